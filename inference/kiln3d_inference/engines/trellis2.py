"""The `trellis2` engine: microsoft/TRELLIS.2-4B on CUDA behind the Engine seam.

Written against upstream microsoft/TRELLIS.2 @ 5565d240c4a494caaf9ece7a554542b76ffa36d3; the
file:line references below are to that commit.

- Loading: `Trellis2ImageTo3DPipeline.from_pretrained(path_or_hub_id, config_file)` reads
  `<path>/pipeline.json` (pipelines/base.py:21-50; trellis2_image_to_3d.py:81-117) and builds the
  DINOv3 image encoder and the BiRefNet-class background remover (RMBG-2.0 by default) from the
  hub ids named there. Both are gated on the hub; `_model_reference` points them at local folders
  under models/ through a derived config file (see models/README.md). `low_vram` (default True in
  pipeline.json) keeps every model on the CPU and moves each to the GPU only for its own step
  (trellis2_image_to_3d.py:119-125, 210-221): that is what lets a 24 GB card run it.
- Input: `preprocess_image` (trellis2_image_to_3d.py:127-162) skips background removal when an RGBA
  image has any alpha below 255, else runs rembg; then crops to alpha > 0.8 and premultiplies. We
  decide "real transparency" ourselves (`prepare_input`) and hand it an RGBA or an RGB image
  accordingly, so a near-opaque RGBA (stray alpha 254 pixels) still gets its background removed.
- Sampling: `run(image, seed, sparse_structure_sampler_params, shape_slat_sampler_params,
  tex_slat_sampler_params, preprocess_image, pipeline_type, max_num_tokens)` (lines 488-595);
  pipeline types '512', '1024', '1024_cascade' (the default, line 56), '1536_cascade'. Sampler
  params merge over pipeline.json's: `steps`, `guidance_strength`, `guidance_rescale`,
  `guidance_interval`, `rescale_t` (samplers/flow_euler.py:84-208; app.py:375-392). It returns a
  list of `MeshWithVoxel` (vertices, faces, attrs, coords, layout, voxel_size).
- Export: `o_voxel.postprocess.to_glb(...)` (o-voxel/o_voxel/postprocess.py:14-330) returns a
  `trimesh.Trimesh`; `.export(path, file_type='glb', extension_webp=...)` writes it. Arguments as
  upstream's example.py:33-48 (remesh on, band 1, project 0), decimation and texture size ours.
- Progress: see trellis2_progress.py (upstream has no callback; its tqdm loops are borrowed).
- Out of memory: torch.cuda.OutOfMemoryError (or an extension's "out of memory" RuntimeError) is
  handled once the exception and its traceback are gone: models back to the CPU in low_vram mode
  (an interrupted step leaves its model on the GPU), gc.collect(), torch.cuda.empty_cache(), then
  one retry, at KILN_TRELLIS2_OOM_RETRY_PIPELINE_TYPE when set; a second OOM is `OutOfMemory`.

torch, trellis2 and o_voxel are imported inside load() only: this module imports on any machine.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import json
import logging
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageDraw
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kiln3d_inference.engines.base import (
    Engine,
    EngineError,
    GenerateResult,
    InvalidInput,
    JobContext,
    OutOfMemory,
    VramUsage,
)
from kiln3d_inference.engines.output import atomic_output, atomic_write_bytes
from kiln3d_inference.engines.trellis2_progress import (
    JobProgress,
    SamplingPass,
    patched_attribute,
    sampling_passes,
)

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_MODEL_FOLDER = "TRELLIS.2-4B"
DEFAULT_HUB_ID = "microsoft/TRELLIS.2-4B"
UPSTREAM_CONFIG = "pipeline.json"
DERIVED_CONFIG = "pipeline.kiln3d.json"
# Conventional folders under models/ that replace the gated hub downloads when present.
IMAGE_COND_FOLDERS = ("dinov3-vitl16-pretrain-lvd1689m",)
REMBG_FOLDERS = ("RMBG-2.0", "BiRefNet")
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
SAMPLER_MODULE = "trellis2.pipelines.samplers.flow_euler"
POSTPROCESS_MODULE = "o_voxel.postprocess"
SAMPLER_DEFAULT_STEPS = 50  # FlowEulerSampler.sample's default when pipeline.json names none
NVDIFFRAST_FACE_LIMIT = 16_777_216  # example.py:26 simplifies to this before rendering/export
AABB = ((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5))  # the pipeline's output volume (trellis2_image_to_3d.py:478)
MAX_SEED = 2**31 - 1
GIB = 1024**3
# Unset KILN_TRELLIS2_RECYCLE_VRAM_GB: recycle once this much more is held than after the warm-up
# (a 1024_cascade job peaks well above its resting use; leave it the room to run).
RECYCLE_VRAM_GROWTH_GIB = 6.0
# Input judged to have real transparency: at least this share of pixels below half alpha.
TRANSPARENT_SHARE = 0.01
FOREGROUND_ALPHA = 204  # upstream crops to alpha > 0.8 * 255 (trellis2_image_to_3d.py:152)
MIN_FOREGROUND_PIXELS = 16
MIN_IMAGE_SIDE = 16

PipelineType = Literal["512", "1024", "1024_cascade", "1536_cascade"]
OptionalPipelineType = Literal["", "512", "1024", "1024_cascade", "1536_cascade"]


class Trellis2EngineSettings(BaseSettings):
    """KILN_TRELLIS2_<NAME>; every default suits one 24 GB card (RTX 4090)."""

    model_config = SettingsConfigDict(env_prefix="KILN_TRELLIS2_", extra="ignore", populate_by_name=True)

    models_dir: Path = Field(
        default=REPO_ROOT / "models",
        validation_alias=AliasChoices(
            "models_dir", "KILN_TRELLIS2_MODELS_DIR", "KILN_MODELS_DIR", "MODELS_DIR"
        ),
    )
    # A folder (default <models_dir>/TRELLIS.2-4B) or a hub id such as microsoft/TRELLIS.2-4B.
    model: str = ""
    pipeline_type: PipelineType = "1024_cascade"
    # Used by the one retry after CUDA out-of-memory; "" retries the same type.
    oom_retry_pipeline_type: OptionalPipelineType = "512"
    # "" warms up with pipeline_type (compiles the kernels the real jobs use).
    warm_up_pipeline_type: OptionalPipelineType = ""
    low_vram: bool = True
    # None keeps pipeline.json's values (12 steps each in TRELLIS.2-4B).
    structure_steps: int | None = Field(default=None, ge=1, le=100)
    shape_steps: int | None = Field(default=None, ge=1, le=100)
    texture_steps: int | None = Field(default=None, ge=1, le=100)
    structure_guidance: float | None = Field(default=None, ge=0.0, le=20.0)
    shape_guidance: float | None = Field(default=None, ge=0.0, le=20.0)
    texture_guidance: float | None = Field(default=None, ge=0.0, le=20.0)
    max_num_tokens: int = Field(default=49152, ge=1024, le=1_000_000)
    decimation_target: int = Field(default=500_000, ge=1_000, le=NVDIFFRAST_FACE_LIMIT)
    texture_size: int = 2048
    remesh: bool = True
    remesh_band: float = Field(default=1.0, gt=0.0, le=8.0)
    remesh_project: float = Field(default=0.0, ge=0.0, le=1.0)
    # The source GLB is for editing tools: PNG textures by default; the api makes the WebP web copy.
    webp_textures: bool = False
    # Folders or hub ids replacing pipeline.json's gated parts; "" = a conventional folder under
    # models_dir when present (dinov3-vitl16-pretrain-lvd1689m; RMBG-2.0, else BiRefNet), else hub.
    image_cond_model: str = ""
    rembg_model: str = ""
    # Restart the sidecar after this many jobs (0 = never) or above this much used VRAM (GiB,
    # device-wide, measured after a job; 0 = never; unset = what the GPU held after the warm-up
    # plus RECYCLE_VRAM_GROWTH_GIB): upstream's memory grows over repeated runs.
    recycle_after_jobs: int = Field(default=100, ge=0)
    recycle_vram_gb: float | None = Field(default=None, ge=0.0)
    # The availability probe refuses smaller cards.
    min_vram_gb: float = Field(default=20.0, ge=0.0)
    # PYTORCH_CUDA_ALLOC_CONF unless already set (upstream example.py:3 uses it to save memory).
    alloc_conf: str = "expandable_segments:True"
    verbose: bool = False

    @field_validator("texture_size")
    @classmethod
    def _texture_size_is_a_power_of_two(cls, value: int) -> int:
        if value not in (512, 1024, 2048, 4096):
            raise ValueError("texture_size must be 512, 1024, 2048 or 4096")
        return value

    def model_path(self) -> Path:
        return Path(self.model) if self.model else self.models_dir / DEFAULT_MODEL_FOLDER


# -- input -----------------------------------------------------------------------------------------


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def prepare_input(image: Image.Image) -> tuple[Image.Image, bool]:
    """The image to give `preprocess_image`, and whether it has real transparency.

    Transparent: RGBA, so upstream uses its alpha as the mask and skips background removal.
    Otherwise: RGB, so upstream runs its background remover.
    """
    if image.width < MIN_IMAGE_SIDE or image.height < MIN_IMAGE_SIDE:
        raise InvalidInput(
            f"image too small: {image.width}x{image.height}, at least {MIN_IMAGE_SIDE} px a side"
        )
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"))
        if float(np.mean(alpha < 128)) >= TRANSPARENT_SHARE:
            if int(np.count_nonzero(alpha > FOREGROUND_ALPHA)) < MIN_FOREGROUND_PIXELS:
                raise InvalidInput("the image is transparent everywhere: no foreground to model")
            return rgba, True
    return image.convert("RGB"), False


def warm_up_image(size: int = 384) -> Image.Image:
    """A small built-in subject on a transparent background (a mug-like shape)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size
    draw.rounded_rectangle(
        (0.28 * s, 0.22 * s, 0.68 * s, 0.80 * s), radius=int(0.05 * s), fill=(196, 72, 48, 255)
    )
    draw.ellipse((0.28 * s, 0.16 * s, 0.68 * s, 0.28 * s), fill=(150, 50, 36, 255))
    draw.arc(
        (0.58 * s, 0.36 * s, 0.84 * s, 0.66 * s),
        start=-90,
        end=90,
        fill=(196, 72, 48, 255),
        width=int(0.05 * s),
    )
    return image


# -- availability probe ----------------------------------------------------------------------------


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


def _locate_config(settings: Trellis2EngineSettings) -> tuple[Path | None, str | None, Path] | str:
    """(local folder, hub id, pipeline.json on disk), or why the weights cannot be found."""
    path = settings.model_path()
    if path.is_dir():
        if not (path / UPSTREAM_CONFIG).is_file():
            return f"no {UPSTREAM_CONFIG} in {path} (see models/README.md)"
        return path, None, path / UPSTREAM_CONFIG
    hub_id = settings.model
    if hub_id and hub_id.count("/") == 1 and not hub_id.startswith((".", "/")):
        if not _hub_file_cached(hub_id, UPSTREAM_CONFIG):
            return f"{hub_id} is not in the Hugging Face cache (download it first: see models/README.md)"
        cached = _huggingface_hub().hf_hub_download(hub_id, UPSTREAM_CONFIG, local_files_only=True)
        return None, hub_id, Path(cached)
    return f"TRELLIS.2 weights not found at {path} (see models/README.md)"


def _check_weights(settings: Trellis2EngineSettings) -> str | None:
    """None when every file the pipeline loads is on disk (folder or hub cache), else why not."""
    located = _locate_config(settings)
    if isinstance(located, str):
        return located
    base, hub_id, config_path = located
    args = json.loads(config_path.read_text(encoding="utf-8"))["args"]
    missing = [
        reference
        for key, reference in args["models"].items()
        if key in PIPELINE_MODEL_KEYS and not _checkpoint_present(base, hub_id, reference)
    ]
    if missing:
        return f"checkpoints missing: {', '.join(missing)} (see models/README.md)"
    image_cond = _resolve_aux(settings.image_cond_model, settings.models_dir, IMAGE_COND_FOLDERS)
    image_cond = image_cond or args["image_cond_model"]["args"]["model_name"]
    if not _aux_model_present(image_cond):
        return f"image encoder {image_cond} not found (gated DINOv3: see models/README.md)"
    rembg = _resolve_aux(settings.rembg_model, settings.models_dir, REMBG_FOLDERS)
    rembg = rembg or args["rembg_model"]["args"]["model_name"]
    if not _aux_model_present(rembg):
        return f"background remover {rembg} not found (gated RMBG-2.0, or BiRefNet: see models/README.md)"
    return None


def trellis2_available(settings: Trellis2EngineSettings | None = None) -> tuple[bool, str]:
    """Whether the trellis2 engine can load here, and why not. Never raises; imports torch last."""
    try:
        settings = settings or Trellis2EngineSettings()
        for module, what in (("torch", "PyTorch"), ("trellis2", "TRELLIS.2"), ("o_voxel", "o_voxel")):
            if importlib.util.find_spec(module) is None:
                return False, f"{what} is not installed (inference/scripts/install_trellis2.sh)"
        weights_problem = _check_weights(settings)
        if weights_problem is not None:
            return False, weights_problem
        if settings.alloc_conf:
            # The engine loads in this process after the probe: same allocator settings for both.
            os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", settings.alloc_conf)
        torch: Any = importlib.import_module("torch")
        if not torch.cuda.is_available():
            return False, "CUDA is not available (no NVIDIA GPU or driver visible to PyTorch)"
        index = torch.cuda.current_device()
        name = torch.cuda.get_device_name(index)
        total_gib = torch.cuda.get_device_properties(index).total_memory / GIB
        if total_gib < settings.min_vram_gb:
            return (
                False,
                f"{name} has {total_gib:.1f} GiB; TRELLIS.2 needs {settings.min_vram_gb:g} GiB or more",
            )
        return True, f"cuda:{index} ({name}, {total_gib:.1f} GiB), weights {settings.model_path()}"
    except Exception as exc:  # a probe reports, never raises: `auto` then falls back to inflate
        return False, f"probe failed: {type(exc).__name__}: {exc}"


# -- the engine ------------------------------------------------------------------------------------


class Trellis2Engine(Engine):
    name = "trellis2"

    def __init__(self, settings: Trellis2EngineSettings | None = None) -> None:
        self.settings = settings or Trellis2EngineSettings()
        self.jobs_done = 0
        self._torch: Any = None
        self._pipeline: Any = None
        self._sampler_module: Any = None
        self._postprocess: Any = None
        self._device_index = 0
        self._device_name = ""
        self._vram_after_warm_up: int | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def load(self) -> None:
        s = self.settings
        if s.alloc_conf:
            # Read when CUDA first allocates, so it must be set before torch touches the GPU.
            os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", s.alloc_conf)
        try:
            torch: Any = importlib.import_module("torch")
        except ImportError as exc:
            raise EngineError("PyTorch is not installed (inference/scripts/install_trellis2.sh)") from exc
        if not torch.cuda.is_available():
            raise EngineError("CUDA is not available: the trellis2 engine needs an NVIDIA GPU")
        try:
            pipelines: Any = importlib.import_module("trellis2.pipelines")
            pipeline_class: Any = pipelines.Trellis2ImageTo3DPipeline
            sampler_module = importlib.import_module(SAMPLER_MODULE)
            postprocess = importlib.import_module(POSTPROCESS_MODULE)
        except ImportError as exc:
            raise EngineError(
                f"TRELLIS.2 is not installed ({exc}): inference/scripts/install_trellis2.sh"
            ) from exc
        reference, config_file = self._model_reference()
        started = time.monotonic()
        try:
            if config_file == UPSTREAM_CONFIG:
                pipeline = pipeline_class.from_pretrained(reference)
            else:
                pipeline = pipeline_class.from_pretrained(reference, config_file=config_file)
            pipeline.low_vram = s.low_vram
            pipeline.cuda()
        except Exception as exc:
            raise EngineError(
                f"could not load TRELLIS.2 from {reference}: {type(exc).__name__}: {exc}"
            ) from exc
        self._torch = torch
        self._pipeline = pipeline
        self._sampler_module = sampler_module
        self._postprocess = postprocess
        self._device_index = int(torch.cuda.current_device())
        self._device_name = str(torch.cuda.get_device_name(self._device_index))
        log.info(
            "TRELLIS.2 loaded from %s in %.1f s on %s (low_vram=%s, pipeline %s)",
            reference,
            time.monotonic() - started,
            self.device(),
            s.low_vram,
            s.pipeline_type,
        )

    def _model_reference(self) -> tuple[str, str]:
        """(path or hub id, config file name) for from_pretrained; writes the derived config if needed."""
        s = self.settings
        path = s.model_path()
        if not path.is_dir():
            if not s.model:
                raise EngineError(f"TRELLIS.2 weights not found at {path} (see models/README.md)")
            if s.image_cond_model or s.rembg_model:
                raise EngineError("KILN_TRELLIS2_IMAGE_COND_MODEL / _REMBG_MODEL need a local model folder")
            return s.model, UPSTREAM_CONFIG  # a hub id: upstream downloads it
        image_cond = _resolve_aux(s.image_cond_model, s.models_dir, IMAGE_COND_FOLDERS)
        rembg = _resolve_aux(s.rembg_model, s.models_dir, REMBG_FOLDERS)
        if image_cond is None and rembg is None:
            return str(path), UPSTREAM_CONFIG
        config = json.loads((path / UPSTREAM_CONFIG).read_text(encoding="utf-8"))
        args = config["args"]
        if image_cond is not None:
            args["image_cond_model"]["args"]["model_name"] = image_cond
        if rembg is not None:
            args["rembg_model"]["args"]["model_name"] = rembg
        try:
            atomic_write_bytes(path / DERIVED_CONFIG, json.dumps(config, indent=2).encode())
        except OSError as exc:
            raise EngineError(
                f"cannot write {path / DERIVED_CONFIG} (the model folder must be writable): {exc}"
            ) from exc
        log.info(
            "model config %s: image encoder %s, background remover %s", DERIVED_CONFIG, image_cond, rembg
        )
        return str(path), DERIVED_CONFIG

    def warm_up(self) -> None:
        started = time.monotonic()
        pipeline_type = self.settings.warm_up_pipeline_type or self.settings.pipeline_type
        with tempfile.TemporaryDirectory(prefix="kiln3d-warm-up-") as folder:
            ctx = JobContext(task_id="warm-up", on_progress=lambda stage, percent, message: None)
            self._generate(warm_up_image(), Path(folder) / "warm-up.glb", 1, ctx, pipeline_type)
        self._warm_up_background_removal()
        self.jobs_done = 0
        self._vram_after_warm_up = self.vram().used_bytes
        log.info("TRELLIS.2 warm-up (%s) took %.1f s", pipeline_type, time.monotonic() - started)

    def _warm_up_background_removal(self) -> None:
        """The warm-up subject is transparent, so also run the remover once on an opaque copy."""
        opaque = Image.new("RGB", (384, 384), (245, 245, 245))
        opaque.paste(warm_up_image(), mask=warm_up_image())
        try:
            self._pipeline.preprocess_image(opaque)
        except ValueError:
            log.info("background remover warm-up found no subject (harmless)")
        except Exception:
            log.warning("background remover warm-up failed", exc_info=True)
        finally:
            self._release_memory()

    # -- jobs -------------------------------------------------------------------------------------

    def generate(self, image: Image.Image, output_path: Path, seed: int, ctx: JobContext) -> GenerateResult:
        self.jobs_done += 1
        return self._generate(image, output_path, seed, ctx, self.settings.pipeline_type)

    def _generate(
        self, image: Image.Image, output_path: Path, seed: int, ctx: JobContext, pipeline_type: str
    ) -> GenerateResult:
        if self._pipeline is None:
            raise EngineError("the trellis2 engine is not loaded")
        started = time.monotonic()
        if not output_path.parent.is_dir():
            raise InvalidInput(f"output folder does not exist: {output_path.parent}")
        ctx.check()
        prepared, transparent = prepare_input(image)
        seed = choose_seed(seed)
        attempts = [pipeline_type, self.settings.oom_retry_pipeline_type or pipeline_type]
        log.info(
            "task %s: seed %d, pipeline %s, transparent input %s",
            ctx.task_id,
            seed,
            pipeline_type,
            transparent,
        )
        processed: Image.Image | None = None
        start_percent = 0.0
        for attempt, attempt_type in enumerate(attempts, start=1):
            progress = JobProgress(ctx, self._passes(attempt_type), start_percent)
            out_of_memory = False
            failure: EngineError | None = None
            try:
                if processed is None:
                    processed = self._preprocess(prepared, transparent, progress)
                else:
                    progress.preprocess(1.0, f"retrying at {attempt_type} after running out of GPU memory")
                triangles = self._run_and_export(processed, attempt_type, seed, output_path, progress)
                break
            except EngineError as exc:
                # Ours (cancelled, timed out, bad input): nothing worth a stack; drop the frames
                # it references so the memory they hold can be freed below.
                failure = exc.with_traceback(None)
            except Exception as exc:
                if not self._is_out_of_memory(exc):
                    self._release_memory()
                    raise
                out_of_memory = True
                log.warning(
                    "task %s: CUDA out of memory (attempt %d, %s): %s",
                    ctx.task_id,
                    attempt,
                    attempt_type,
                    exc,
                )
                start_percent = progress.last_percent
            # Outside the except clause: the exception and its traceback are gone, so the
            # tensors its frames referenced can really be freed now.
            self._release_memory()
            if failure is not None:
                raise failure
            if out_of_memory and attempt == len(attempts):
                raise OutOfMemory("GPU out of memory") from None
            log.info("task %s: retrying once at %s", ctx.task_id, attempts[attempt])
        self._release_memory()
        progress.done()
        return GenerateResult(
            output_path=output_path,
            triangles=triangles,
            bytes=output_path.stat().st_size,
            seconds=time.monotonic() - started,
            engine=self.name,
        )

    def _passes(self, pipeline_type: str) -> list[SamplingPass]:
        return sampling_passes(
            pipeline_type,
            self._steps("sparse_structure_sampler_params", self.settings.structure_steps),
            self._steps("shape_slat_sampler_params", self.settings.shape_steps),
            self._steps("tex_slat_sampler_params", self.settings.texture_steps),
        )

    def _steps(self, pipeline_attribute: str, override: int | None) -> int:
        if override is not None:
            return override
        defaults = getattr(self._pipeline, pipeline_attribute, None) or {}
        return int(defaults.get("steps", SAMPLER_DEFAULT_STEPS))

    @staticmethod
    def _sampler_params(steps: int | None, guidance: float | None) -> dict[str, Any]:
        """Only what is configured: run() merges these over pipeline.json's values."""
        params: dict[str, Any] = {}
        if steps is not None:
            params["steps"] = steps
        if guidance is not None:
            params["guidance_strength"] = guidance
        return params

    def _preprocess(self, prepared: Image.Image, transparent: bool, progress: JobProgress) -> Image.Image:
        progress.preprocess(0.1, "cropping to the alpha mask" if transparent else "removing the background")
        try:
            processed: Image.Image = self._pipeline.preprocess_image(prepared)
        except ValueError as exc:
            # Upstream takes min/max of an empty mask when it finds no subject.
            raise InvalidInput("no foreground object found in the image") from exc
        progress.preprocess(1.0, "image ready")
        return processed

    def _run_and_export(
        self, image: Image.Image, pipeline_type: str, seed: int, output_path: Path, progress: JobProgress
    ) -> int:
        s = self.settings
        with (
            patched_attribute(self._sampler_module, "tqdm", progress.sampler_tqdm),
            patched_attribute(self._postprocess, "tqdm", progress.export_tqdm),
        ):
            meshes = self._pipeline.run(
                image,
                seed=seed,
                pipeline_type=pipeline_type,
                preprocess_image=False,
                sparse_structure_sampler_params=self._sampler_params(s.structure_steps, s.structure_guidance),
                shape_slat_sampler_params=self._sampler_params(s.shape_steps, s.shape_guidance),
                tex_slat_sampler_params=self._sampler_params(s.texture_steps, s.texture_guidance),
                max_num_tokens=s.max_num_tokens,
            )
            mesh = meshes[0]
            del meshes
            progress.decoded()
            mesh.simplify(NVDIFFRAST_FACE_LIMIT)
            glb = self._postprocess.to_glb(
                vertices=mesh.vertices,
                faces=mesh.faces,
                attr_volume=mesh.attrs,
                coords=mesh.coords,
                attr_layout=mesh.layout,
                voxel_size=mesh.voxel_size,
                aabb=[list(corner) for corner in AABB],
                decimation_target=s.decimation_target,
                texture_size=s.texture_size,
                remesh=s.remesh,
                remesh_band=s.remesh_band,
                remesh_project=s.remesh_project,
                verbose=s.verbose,
                use_tqdm=True,
            )
            del mesh
        progress.writing()
        triangles = len(glb.faces)
        with atomic_output(output_path) as temporary:
            # The temporary name ends in .tmp, so the format is named, not inferred.
            glb.export(str(temporary), file_type="glb", extension_webp=s.webp_textures)
            progress.check()  # a cancel now still leaves no file under the final name
        return triangles

    # -- memory -----------------------------------------------------------------------------------

    def _is_out_of_memory(self, exc: BaseException) -> bool:
        oom_class = getattr(getattr(self._torch, "cuda", None), "OutOfMemoryError", None)
        if isinstance(oom_class, type) and isinstance(exc, oom_class):
            return True
        # CUDA extensions (cumesh, flex_gemm, nvdiffrast) raise plain RuntimeErrors.
        return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()

    def _offload_models(self) -> None:
        """low_vram mode keeps models on the CPU between steps; an interrupted step leaves its model
        on the GPU (the .cpu() after it never ran), so put every model back."""
        pipeline = self._pipeline
        models = list(getattr(pipeline, "models", {}).values())
        models += [getattr(pipeline, "image_cond_model", None), getattr(pipeline, "rembg_model", None)]
        for model in models:
            if model is None:
                continue
            try:
                model.cpu()
                if isinstance(getattr(model, "low_vram", None), bool):
                    model.low_vram = False  # upstream sets it only around its own call (line 322)
            except Exception:
                log.warning("could not move %s back to the CPU", type(model).__name__, exc_info=True)

    def _release_memory(self) -> None:
        if self._pipeline is not None and getattr(self._pipeline, "low_vram", False):
            self._offload_models()
        gc.collect()
        if self._torch is not None:
            self._torch.cuda.empty_cache()

    def clear_cache(self) -> None:
        self._release_memory()

    # -- health -----------------------------------------------------------------------------------

    def device(self) -> str:
        if not self._device_name:
            return "cuda (not loaded)"
        return f"cuda:{self._device_index} ({self._device_name})"

    def vram(self) -> VramUsage:
        torch = self._torch
        if torch is None:
            return VramUsage()
        try:
            free, total = torch.cuda.mem_get_info(self._device_index)
            return VramUsage(used_bytes=int(total - free), total_bytes=int(total))
        except Exception:
            total = torch.cuda.get_device_properties(self._device_index).total_memory
            return VramUsage(
                used_bytes=int(torch.cuda.memory_reserved(self._device_index)), total_bytes=int(total)
            )

    def recycle_vram_limit(self) -> int | None:
        """Bytes of used VRAM past which the sidecar restarts; None = no limit (yet)."""
        configured = self.settings.recycle_vram_gb
        if configured is not None:
            return int(configured * GIB) if configured > 0 else None
        if self._vram_after_warm_up is None:
            return None
        return self._vram_after_warm_up + int(RECYCLE_VRAM_GROWTH_GIB * GIB)

    def should_recycle(self) -> bool:
        s = self.settings
        if s.recycle_after_jobs and self.jobs_done >= s.recycle_after_jobs:
            log.info("recycling: %d jobs done (limit %d)", self.jobs_done, s.recycle_after_jobs)
            return True
        limit = self.recycle_vram_limit()
        if limit is not None and self._torch is not None:
            used = self.vram().used_bytes
            if used >= limit:
                log.info("recycling: %.2f GiB of VRAM in use (limit %.2f GiB)", used / GIB, limit / GIB)
                return True
        return False


def choose_seed(seed: int) -> int:
    """0 means 'engine chooses'; anything else is folded into upstream's int32 range."""
    if seed == 0:
        return secrets.randbelow(MAX_SEED - 1) + 1
    return seed if 0 < seed < MAX_SEED else (seed % MAX_SEED) or 1
