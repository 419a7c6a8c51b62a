"""Finding TRELLIS.2's weights: the model folder or hub id, its pipeline.json (image to 3D) and
texturing_pipeline.json (painting an uploaded mesh), every checkpoint they name, and the two gated
parts (DINOv3 image encoder, RMBG-2.0 / BiRefNet background remover).

Upstream (microsoft/TRELLIS.2 @ 5565d240c4a494caaf9ece7a554542b76ffa36d3):
`Trellis2ImageTo3DPipeline.from_pretrained(path_or_hub_id, config_file)` reads `<path>/pipeline.json`
(pipelines/base.py:21-50; trellis2_image_to_3d.py:81-117) and builds the DINOv3 image encoder and
the BiRefNet-class background remover (RMBG-2.0 by default) from the hub ids named there. Both are
gated on the hub; `model_reference` points them at local folders under models/ through a derived
config in a writable cache folder (KILN_CACHE_DIR), so models/ can be mounted read-only
(see models/README.md).
`Trellis2TexturingPipeline.from_pretrained(path, config_file="texturing_pipeline.json")`
(trellis2_texturing.py:69-96; example_texturing.py:8) reads the same way through the same base
loader and builds its own encoder and remover from that file's hub ids: the derived copy of it
points them at the same links.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiln3d_inference.engines.base import EngineError
from kiln3d_inference.engines.output import atomic_write_bytes
from kiln3d_inference.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_MODEL_FOLDER = "TRELLIS.2-4B"
UPSTREAM_CONFIG = "pipeline.json"
# The texturing pipeline's config, beside pipeline.json in microsoft/TRELLIS.2-4B (example_texturing.py:8).
TEXTURING_CONFIG = "texturing_pipeline.json"
# Written by earlier versions into the model folder; never linked into the cache.
LEGACY_DERIVED_CONFIG = "pipeline.kiln3d.json"
# Conventional folders under models/ that replace the gated hub downloads when present.
IMAGE_COND_FOLDERS = ("dinov3-vitl16-pretrain-lvd1689m",)
# RMBG_2_0 is what models/README.md downloads to; RMBG-2.0 (the old name) still works through the link.
REMBG_FOLDERS = ("RMBG_2_0", "RMBG-2.0", "BiRefNet")
# Names of the links in the cache folder. transformers imports a trust_remote_code folder's code
# under the folder's base name as a Python module: releases before the fix that sanitises that name
# break on a dot ("RMBG-2.0"), so the remover's link is a plain identifier whatever the folder is
# called.
IMAGE_COND_LINK = "image_cond_model"
REMBG_LINK = "rembg_model"
# Keys of pipeline.json's "models" that the image-to-3D pipeline loads (trellis2_image_to_3d.py:31-40).
PIPELINE_MODEL_KEYS = (
    "sparse_structure_flow_model",
    "sparse_structure_decoder",
    "shape_slat_flow_model_512",
    "shape_slat_flow_model_1024",
    "shape_slat_decoder",
    "tex_slat_flow_model_512",
    "tex_slat_flow_model_1024",
    "tex_slat_decoder",
)
# Keys of texturing_pipeline.json's "models" that the texturing pipeline loads
# (trellis2_texturing.py:32-37 model_names_to_load; pipelines/base.py:40-46 skips the others).
TEXTURING_MODEL_KEYS = (
    "shape_slat_encoder",
    "tex_slat_decoder",
    "tex_slat_flow_model_512",
    "tex_slat_flow_model_1024",
)


def model_path(settings: Settings) -> Path:
    """KILN_TRELLIS2_MODEL as a path, else <models_dir>/TRELLIS.2-4B (it may be a hub id instead)."""
    model = settings.trellis2.model
    return Path(model) if model else settings.models_dir / DEFAULT_MODEL_FOLDER


def _huggingface_hub() -> Any:
    """huggingface_hub comes with TRELLIS.2's dependencies; None where it is absent."""
    try:
        return importlib.import_module("huggingface_hub")
    except ImportError:
        return None


def _hub_file_cached(repo_id: str, filename: str) -> bool:
    hub = _huggingface_hub()
    return hub is not None and isinstance(hub.try_to_load_from_cache(repo_id, filename), str)


def _hub_path_cached(reference: str, suffixes: tuple[str, ...]) -> bool:
    """reference like 'microsoft/TRELLIS-image-large/ckpts/ss_dec' (repo id, then a path)."""
    parts = reference.split("/")
    if len(parts) < 3:
        return False
    repo_id, name = "/".join(parts[:2]), "/".join(parts[2:])
    return all(_hub_file_cached(repo_id, name + suffix) for suffix in suffixes)


def _checkpoint_present(base: Path | None, hub_id: str | None, reference: str) -> bool:
    """Where upstream's models.from_pretrained looks: '<base>/<ref>', else '<ref>' on the hub."""
    suffixes = (".json", ".safetensors")
    if base is not None and all((base / f"{reference}{s}").is_file() for s in suffixes):
        return True
    if hub_id is not None and _hub_path_cached(f"{hub_id}/{reference}", suffixes):
        return True
    return _hub_path_cached(reference, suffixes)


def _aux_model_present(name: str) -> bool:
    path = Path(name)
    if path.is_dir():
        return (path / "config.json").is_file()
    return "/" in name and _hub_file_cached(name, "config.json")


def _resolve_aux(value: str, models_dir: Path, folders: tuple[str, ...]) -> str | None:
    """An explicit folder or hub id, else a conventional folder under models_dir, else None."""
    if value:
        path = Path(value)
        return str(path.resolve()) if path.exists() else value
    for folder in folders:
        candidate = models_dir / folder
        if (candidate / "config.json").is_file():
            return str(candidate.resolve())
    return None


def _locate_config(
    settings: Settings, config_file: str = UPSTREAM_CONFIG
) -> tuple[Path | None, str | None, Path] | str:
    """(local folder, hub id, config_file on disk), or why the weights cannot be found."""
    path = model_path(settings)
    if path.is_dir():
        if not (path / config_file).is_file():
            return f"no {config_file} in {path} (see models/README.md)"
        return path, None, path / config_file
    hub_id = settings.trellis2.model
    if hub_id and hub_id.count("/") == 1 and not hub_id.startswith((".", "/")):
        if not _hub_file_cached(hub_id, config_file):
            what = hub_id if config_file == UPSTREAM_CONFIG else f"{hub_id}'s {config_file}"
            return f"{what} is not in the Hugging Face cache (download it first: see models/README.md)"
        cached = _huggingface_hub().hf_hub_download(hub_id, config_file, local_files_only=True)
        return None, hub_id, Path(cached)
    return f"TRELLIS.2 weights not found at {path} (see models/README.md)"


def check_weights(settings: Settings) -> str | None:
    """None when every file the image-to-3D pipeline loads is on disk (folder or hub cache), else
    why not.

    Raises what reading a broken pipeline.json raises (OSError, ValueError, KeyError).
    """
    return _check_config(settings, UPSTREAM_CONFIG, PIPELINE_MODEL_KEYS)


def check_texturing_weights(settings: Settings) -> str | None:
    """None when every file the texturing pipeline loads (texturing_pipeline.json, the checkpoints
    of TEXTURING_MODEL_KEYS, the encoder and the remover it names) is on disk, else why not.

    Raises what reading a broken texturing_pipeline.json raises (OSError, ValueError, KeyError).
    """
    return _check_config(settings, TEXTURING_CONFIG, TEXTURING_MODEL_KEYS)


def _check_config(settings: Settings, config_file: str, model_keys: tuple[str, ...]) -> str | None:
    located = _locate_config(settings, config_file)
    if isinstance(located, str):
        return located
    base, hub_id, config_path = located
    args = json.loads(config_path.read_text(encoding="utf-8"))["args"]
    missing = [
        reference
        for key, reference in args["models"].items()
        if key in model_keys and not _checkpoint_present(base, hub_id, reference)
    ]
    if missing:
        label = "" if config_file == UPSTREAM_CONFIG else f"{config_file}: "
        return f"{label}checkpoints missing: {', '.join(missing)} (see models/README.md)"
    options, models_dir = settings.trellis2, settings.models_dir
    image_cond = _resolve_aux(options.image_cond_model, models_dir, IMAGE_COND_FOLDERS)
    image_cond = image_cond or args["image_cond_model"]["args"]["model_name"]
    if not _aux_model_present(image_cond):
        return f"image encoder {image_cond} not found (gated DINOv3: see models/README.md)"
    rembg = _resolve_aux(options.rembg_model, models_dir, REMBG_FOLDERS)
    rembg = rembg or args["rembg_model"]["args"]["model_name"]
    if not _aux_model_present(rembg):
        return f"background remover {rembg} not found (gated RMBG-2.0, or BiRefNet: see models/README.md)"
    return None


# Weight files of the encoder's and the remover's folders (safetensors, or PyTorch's older formats).
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pth", ".pt")


def texturing_weight_bytes(settings: Settings) -> int:
    """Bytes on disk of what the texturing pipeline loads into memory: the .safetensors of the
    checkpoints of TEXTURING_MODEL_KEYS in the local model folder, and the weight files of the
    encoder's and the remover's local folders. Parts that are not local (hub ids) count 0, so
    this is a lower bound; 0 when the folder or its texturing_pipeline.json cannot be read."""
    path = model_path(settings)
    try:
        args = json.loads((path / TEXTURING_CONFIG).read_text(encoding="utf-8"))["args"]
        total = sum(
            (path / f"{reference}.safetensors").stat().st_size
            for key, reference in args["models"].items()
            if key in TEXTURING_MODEL_KEYS and (path / f"{reference}.safetensors").is_file()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    options = settings.trellis2
    for value, folders in (
        (options.image_cond_model, IMAGE_COND_FOLDERS),
        (options.rembg_model, REMBG_FOLDERS),
    ):
        resolved = _resolve_aux(value, settings.models_dir, folders)
        if resolved is not None and Path(resolved).is_dir():
            total += sum(
                f.stat().st_size
                for f in Path(resolved).rglob("*")
                if f.is_file() and f.suffix in WEIGHT_SUFFIXES
            )
    return total


@dataclass(frozen=True)
class ModelReference:
    """What from_pretrained is given: `path` (a folder or a hub id) and `config_file`; `local` is
    True when every part of the image-to-3D pipeline loads from disk (then the engine sets
    HF_HUB_OFFLINE=1). `texturing_config`: the config file the texturing pipeline is loaded with
    from the same `path` (TEXTURING_CONFIG), or None when a local model folder has none."""

    path: str
    config_file: str
    local: bool
    texturing_config: str | None = TEXTURING_CONFIG


def cache_folder(settings: Settings) -> Path:
    """Where the derived pipeline config and the links to the weights live: <cache_dir>/trellis2."""
    return settings.cache_dir / "trellis2"


def _link(link: Path, target: Path) -> None:
    """link -> target (absolute), replacing whatever link was there, atomically."""
    if link.is_symlink() and os.readlink(link) == str(target):
        return
    temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target, target_is_directory=target.is_dir())
    os.replace(temporary, link)


def _all_checkpoints_local(folder: Path, args: dict[str, Any]) -> bool:
    """Every checkpoint the pipeline loads is in the folder (not only in the hub cache)."""
    return all(
        (folder / f"{reference}{suffix}").is_file()
        for key, reference in args["models"].items()
        if key in PIPELINE_MODEL_KEYS
        for suffix in (".json", ".safetensors")
    )


def _read_config(path: Path) -> dict[str, Any]:
    """A pipeline config as JSON; EngineError naming the file when it cannot be read."""
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EngineError(f"cannot read {path} (see models/README.md): {exc}") from exc
    return config


def model_reference(settings: Settings) -> ModelReference:
    """The reference for from_pretrained, with models_dir treated as read-only.

    A local model folder is mirrored into cache_folder(): a link per entry of the folder (the
    checkpoints upstream finds as `<path>/<ref>`), links named IMAGE_COND_LINK and REMBG_LINK to the
    gated parts' folders (a remover link name transformers can import as a module, whatever the
    source folder is called), and `pipeline.json`, a copy of the model's pointing at those links.
    Nothing is written under models_dir. A hub id is passed through (upstream downloads it).
    Raises EngineError when the weights are missing or the cache folder is not writable.
    """
    options = settings.trellis2
    path = model_path(settings)
    if not path.is_dir():
        if not options.model:
            raise EngineError(f"TRELLIS.2 weights not found at {path} (see models/README.md)")
        if options.image_cond_model or options.rembg_model:
            raise EngineError("KILN_TRELLIS2_IMAGE_COND_MODEL / _REMBG_MODEL need a local model folder")
        return ModelReference(options.model, UPSTREAM_CONFIG, local=False)
    config = _read_config(path / UPSTREAM_CONFIG)
    # The texturing pipeline's config gets the same encoder and remover (loaded only on the
    # first texturing job; a broken one fails that job, never the engine's start).
    texturing: dict[str, Any] | None = None
    if (path / TEXTURING_CONFIG).is_file():
        try:
            texturing = _read_config(path / TEXTURING_CONFIG)
        except EngineError:
            log.warning("cannot read %s: texturing is off", path / TEXTURING_CONFIG, exc_info=True)
    args = config["args"]
    cache = cache_folder(settings)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        for entry in sorted(path.iterdir()):
            if entry.name not in (UPSTREAM_CONFIG, TEXTURING_CONFIG, LEGACY_DERIVED_CONFIG):
                _link(cache / entry.name, entry.resolve())
        local = _all_checkpoints_local(path, args)
        for key, value, folders, link_name in (
            ("image_cond_model", options.image_cond_model, IMAGE_COND_FOLDERS, IMAGE_COND_LINK),
            ("rembg_model", options.rembg_model, REMBG_FOLDERS, REMBG_LINK),
        ):
            resolved = _resolve_aux(value, settings.models_dir, folders)
            if resolved is not None and Path(resolved).is_dir():
                _link(cache / link_name, Path(resolved))
                resolved = str(cache / link_name)
            else:
                local = False
            if resolved is not None:  # a link, or a hub id
                for derived in (config, texturing):
                    if derived is not None and key in derived["args"]:
                        derived["args"][key]["args"]["model_name"] = resolved
        atomic_write_bytes(cache / UPSTREAM_CONFIG, json.dumps(config, indent=2).encode())
        if texturing is not None:
            atomic_write_bytes(cache / TEXTURING_CONFIG, json.dumps(texturing, indent=2).encode())
        else:
            (cache / TEXTURING_CONFIG).unlink(missing_ok=True)  # a folder that lost it since
    except OSError as exc:
        raise EngineError(f"cannot prepare {cache} (KILN_CACHE_DIR must be writable): {exc}") from exc
    log.info(
        "model %s via %s: image encoder %s, background remover %s, %s",
        path,
        cache,
        args["image_cond_model"]["args"]["model_name"],
        args["rembg_model"]["args"]["model_name"],
        "all local" if local else "some parts from the hub",
    )
    return ModelReference(
        str(cache), UPSTREAM_CONFIG, local=local, texturing_config=TEXTURING_CONFIG if texturing else None
    )
