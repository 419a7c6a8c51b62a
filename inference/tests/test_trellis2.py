"""The trellis2 engine against a fake TRELLIS.2 (tests/fake_trellis2) and a fake torch: no GPU.

The fake keeps upstream's interface and control flow (call order, tqdm loops, low_vram moves), so
these tests pin what the adapter passes upstream and how it handles progress, cancellation,
out-of-memory and recycling.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import io
import itertools
import json
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from kiln3d_inference.engines.base import (
    EngineError,
    InvalidInput,
    JobCancelled,
    JobContext,
    JobOptions,
    JobTimeout,
    OutOfMemory,
    Stage,
)
from kiln3d_inference.engines.preview import unpack
from kiln3d_inference.engines.trellis2 import Trellis2Engine, trellis2_available
from kiln3d_inference.engines.trellis2.faces import MIN_DECIMATION_TARGET, decimation_target, glb_triangles
from kiln3d_inference.engines.trellis2.inputs import choose_seed, prepare_input
from kiln3d_inference.engines.trellis2.probe import missing_modules, required_modules
from kiln3d_inference.engines.trellis2.weights import model_path
from kiln3d_inference.settings import (
    NVDIFFRAST_FACE_LIMIT,
    Settings,
    Trellis2Settings,
    describe_invalid,
    misspelt_settings,
    setting_names,
)
from tests.helpers import REPO_ROOT

FAKE_ROOT = Path(__file__).resolve().parent / "fake_trellis2"
FAKE_EXTENSIONS = FAKE_ROOT / "extensions"  # nvdiffrast, cumesh, flex_gemm, flash_attn: found by the probe
FAKE_MODULES = ("torch", "trellis2", "o_voxel", "nvdiffrast", "cumesh", "flex_gemm", "flash_attn")


@dataclass
class Fake:
    """Handles on the fake upstream for one test."""

    control: Any
    cuda: Any
    torch: ModuleType
    models_dir: Path
    cache_dir: Path
    sampler_module: ModuleType
    postprocess_module: ModuleType


# What the engine sets in os.environ before its imports (engines/trellis2/environment.py).
ENGINE_ENVIRONMENT = (
    "HF_HUB_OFFLINE",
    "FLEX_GEMM_AUTOTUNE_CACHE_PATH",
    "HF_MODULES_CACHE",
    "PYTORCH_CUDA_ALLOC_CONF",
    "TRITON_CACHE_DIR",
)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fake]:
    for name in list(sys.modules):
        if name.split(".")[0] in FAKE_MODULES:
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(FAKE_ROOT / "torch_stub"))
    monkeypatch.syspath_prepend(str(FAKE_EXTENSIONS))
    monkeypatch.syspath_prepend(str(FAKE_ROOT))
    for name in ("ATTN_BACKEND", "SPARSE_ATTN_BACKEND", "SPARSE_CONV_BACKEND"):
        monkeypatch.delenv(name, raising=False)  # upstream's defaults unless a test sets one
    importlib.invalidate_caches()
    control = importlib.import_module("trellis2.fake_control").CONTROL
    torch = importlib.import_module("torch")
    cuda = importlib.import_module("torch.cuda").STATE
    control.reset()
    cuda.reset()
    models_dir = tmp_path_factory.mktemp("models")  # outside tmp_path, which holds only outputs
    control.write_model_folder(models_dir / "TRELLIS.2-4B")
    # The gated parts, where models/README.md downloads them.
    control.write_aux_folder(models_dir / "dinov3-vitl16-pretrain-lvd1689m")
    control.write_aux_folder(models_dir / "RMBG_2_0")
    for name in ENGINE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)  # the engine sets them in os.environ: undone after the test
    yield Fake(
        control=control,
        cuda=cuda,
        torch=torch,
        models_dir=models_dir,
        cache_dir=tmp_path_factory.mktemp("cache"),
        sampler_module=importlib.import_module("trellis2.pipelines.samplers.flow_euler"),
        postprocess_module=importlib.import_module("o_voxel.postprocess"),
    )
    for name in list(sys.modules):
        if name.split(".")[0] in FAKE_MODULES:
            del sys.modules[name]


def write_aux_folder(models_dir: Path, name: str) -> Path:
    folder = models_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def loaded_aux_names(fake: Fake) -> tuple[str, str]:
    """(image encoder, background remover) model_name as the pipeline built them."""
    pipeline = fake.control.pipeline
    return pipeline.image_cond_model.model_name, pipeline.rembg_model.model_name


def make_settings(fake: Fake, **overrides: Any) -> Settings:
    """The sidecar's settings with the fake's models folder and these trellis2 options."""
    return Settings(
        models_dir=fake.models_dir, cache_dir=fake.cache_dir, trellis2=Trellis2Settings(**overrides)
    )


def loaded_engine(fake: Fake, **overrides: Any) -> Trellis2Engine:
    engine = Trellis2Engine(make_settings(fake, **overrides))
    engine.load()
    return engine


@dataclass
class RecordingContext(JobContext):
    """Keeps the raw percentages the engine reports, before JobContext clamps them."""

    raw: list[tuple[Stage, float, str]] = field(default_factory=list)

    def progress(self, stage: Stage, percent: float, message: str = "") -> None:
        self.raw.append((stage, percent, message))
        super().progress(stage, percent, message)


def new_context(deadline: float | None = None) -> RecordingContext:
    return RecordingContext(task_id="t", on_progress=lambda stage, percent, message: None, deadline=deadline)


def transparent_subject(size: int = 96) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    image.paste((200, 40, 40, 255), (size // 4, size // 4, 3 * size // 4, 3 * size // 4))
    return image


def opaque_subject(size: int = 96) -> Image.Image:
    image = Image.new("RGB", (size, size), (250, 250, 250))
    image.paste((30, 90, 200), (size // 4, size // 4, 3 * size // 4, 3 * size // 4))
    return image


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def assert_models_on_cpu(fake: Fake) -> None:
    placement = {name: model.device for name, model in fake.control.models.items()}
    assert set(placement.values()) == {"cpu"}, placement


def oom_on(fake: Fake, runs: set[int], desc: str = "Sampling shape SLat", step: int = 2) -> None:
    """Raise torch.cuda.OutOfMemoryError at one sampler step of the given run numbers (1-based)."""

    def hook(tqdm_desc: str, index: int, steps: int) -> object:
        if len(fake.control.calls_named("run")) in runs and tqdm_desc == desc and index == step:
            raise fake.torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return None

    fake.control.step_hook = hook


# -- load ------------------------------------------------------------------------------------------


def test_load_builds_the_pipeline_from_the_model_folder(fake: Fake) -> None:
    engine = loaded_engine(fake)
    (call,) = fake.control.calls_named("from_pretrained")
    assert call == {"path": str(fake.cache_dir / "trellis2"), "config_file": "pipeline.json"}
    assert fake.control.calls_named("cuda") == [{"low_vram": True}]
    assert engine.device() == "cuda:0 (Fake GPU 24GB)"
    assert_models_on_cpu(fake)  # low_vram: models go to the GPU only for their own step


def test_low_vram_off_puts_every_model_on_the_gpu(fake: Fake) -> None:
    loaded_engine(fake, low_vram=False)
    assert {model.device for model in fake.control.models.values()} == {"cuda"}


def test_the_gated_parts_load_through_links_in_the_cache_folder(fake: Fake) -> None:
    loaded_engine(fake)
    cache = fake.cache_dir / "trellis2"
    (call,) = fake.control.calls_named("from_pretrained")
    assert call == {"path": str(cache), "config_file": "pipeline.json"}
    derived = json.loads((cache / "pipeline.json").read_text(encoding="utf-8"))
    assert derived["args"]["image_cond_model"]["args"]["model_name"] == str(cache / "image_cond_model")
    assert derived["args"]["rembg_model"] == {
        "name": "BiRefNet",
        "args": {"model_name": str(cache / "rembg_model")},
    }
    assert loaded_aux_names(fake) == (str(cache / "image_cond_model"), str(cache / "rembg_model"))
    assert (cache / "rembg_model").resolve() == (fake.models_dir / "RMBG_2_0").resolve()
    # Every checkpoint loaded through the cache's links, none from the hub.
    loaded = [c["path"] for c in fake.control.calls_named("load_checkpoint")]
    assert len(loaded) == 8
    assert all(path.startswith(str(cache) + "/") for path in loaded)
    # The upstream file stays as downloaded, and nothing else is written beside it.
    upstream = json.loads((fake.models_dir / "TRELLIS.2-4B" / "pipeline.json").read_text(encoding="utf-8"))
    assert upstream == fake.control.pipeline_json
    assert not (fake.models_dir / "TRELLIS.2-4B" / "pipeline.kiln3d.json").exists()


@pytest.mark.parametrize("folder", ["RMBG-2.0", "BiRefNet"])
def test_a_remover_folder_with_dots_or_dashes_still_loads_through_its_link(fake: Fake, folder: str) -> None:
    # transformers before the dotted-folder fix imports trust_remote_code under the folder's name.
    (fake.models_dir / "RMBG_2_0" / "config.json").unlink()
    (fake.models_dir / "RMBG_2_0").rmdir()
    source = write_aux_folder(fake.models_dir, folder)
    loaded_engine(fake)
    assert (fake.cache_dir / "trellis2" / "rembg_model").resolve() == source.resolve()


def test_the_fake_remover_refuses_a_dotted_folder_like_old_transformers(fake: Fake) -> None:
    # What the link above avoids: handing "RMBG-2.0" itself to the loader fails.
    dotted = write_aux_folder(fake.models_dir, "RMBG-2.0")
    rembg = importlib.import_module("trellis2.pipelines.rembg")
    with pytest.raises(ModuleNotFoundError, match=r"transformers_modules\.RMBG-2"):
        rembg.BiRefNet(str(dotted))


def test_an_explicit_hub_id_wins_and_then_the_hub_is_not_offline(fake: Fake) -> None:
    with pytest.raises(EngineError, match=r"ZhengPeng7/BiRefNet.*cannot be downloaded"):
        loaded_engine(fake, rembg_model="ZhengPeng7/BiRefNet")
    derived = json.loads((fake.cache_dir / "trellis2" / "pipeline.json").read_text(encoding="utf-8"))
    assert derived["args"]["rembg_model"]["args"]["model_name"] == "ZhengPeng7/BiRefNet"
    import os

    assert "HF_HUB_OFFLINE" not in os.environ


def test_everything_local_sets_the_offline_and_cache_environment(fake: Fake) -> None:
    import os

    loaded_engine(fake)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["FLEX_GEMM_AUTOTUNE_CACHE_PATH"] == str(
        fake.cache_dir / "flex_gemm" / "autotune_cache.json"
    )
    assert (fake.cache_dir / "flex_gemm").is_dir()
    assert os.environ["HF_MODULES_CACHE"] == str(fake.cache_dir / "hf_modules")
    assert os.environ["PYTORCH_CUDA_ALLOC_CONF"] == "expandable_segments:True"
    # FlexGEMM's Triton kernels, compiled once, kept with the sidecar's cache.
    assert os.environ["TRITON_CACHE_DIR"] == str(fake.cache_dir / "triton")
    assert (fake.cache_dir / "triton").is_dir()


def test_the_users_own_environment_wins(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("PYTORCH_CUDA_ALLOC_CONF", "max_split_size_mb:512")
    monkeypatch.setenv("FLEX_GEMM_AUTOTUNE_CACHE_PATH", str(fake.cache_dir / "mine.json"))
    monkeypatch.setenv("TRITON_CACHE_DIR", str(fake.cache_dir / "my-triton"))
    loaded_engine(fake)
    assert os.environ["PYTORCH_CUDA_ALLOC_CONF"] == "max_split_size_mb:512"
    assert os.environ["FLEX_GEMM_AUTOTUNE_CACHE_PATH"] == str(fake.cache_dir / "mine.json")
    assert os.environ["TRITON_CACHE_DIR"] == str(fake.cache_dir / "my-triton")


def tree_snapshot(folder: Path) -> dict[str, tuple[int, int, float]]:
    """Every path under folder (links not followed): mode, size, mtime."""
    snapshot = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        snapshot[str(path.relative_to(folder))] = (info.st_mode, info.st_size, info.st_mtime)
    return snapshot


def test_a_read_only_models_folder_loads_and_runs_unchanged(fake: Fake, tmp_path: Path) -> None:
    # As docker-compose mounts it (ro). chmod alone would not stop root (CI runs as root), so the
    # test also compares the whole tree before and after.
    before = tree_snapshot(fake.models_dir)
    paths = [fake.models_dir, *fake.models_dir.rglob("*")]
    for path in paths:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        engine = loaded_engine(fake)
        engine.generate(opaque_subject(), tmp_path / "m.glb", 1, new_context())
        assert tree_snapshot(fake.models_dir) == {
            name: (mode & ~0o222, size, mtime) for name, (mode, size, mtime) in before.items()
        }
    finally:
        for path in paths:
            path.chmod(path.stat().st_mode | 0o200)
    assert (tmp_path / "m.glb").is_file()
    assert (fake.cache_dir / "trellis2" / "pipeline.json").is_file()


def test_models_readme_names_every_variable_the_engine_sets(fake: Fake) -> None:
    # An owner moving a cache (or wondering where Triton's kernels went) reads models/README.md.
    loaded_engine(fake)
    readme = (REPO_ROOT / "models" / "README.md").read_text(encoding="utf-8")
    for name in ENGINE_ENVIRONMENT:
        assert name in os.environ, name
        assert f"`{name}=" in readme, f"models/README.md does not name {name}"


def test_an_unwritable_cache_folder_fails_the_load_naming_the_setting(fake: Fake, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    settings = Settings(models_dir=fake.models_dir, cache_dir=blocked, trellis2=Trellis2Settings())
    with pytest.raises(EngineError, match="KILN_CACHE_DIR"):
        Trellis2Engine(settings).load()


def test_a_second_load_reuses_the_cache_links(fake: Fake) -> None:
    loaded_engine(fake)
    first = tree_snapshot(fake.cache_dir / "trellis2")
    fake.control.reset()
    loaded_engine(fake)
    second = tree_snapshot(fake.cache_dir / "trellis2")
    assert first.keys() == second.keys()
    links = [name for name in first if name not in ("pipeline.json", "texturing_pipeline.json")]
    assert links
    assert all(first[name] == second[name] for name in links)  # the links were kept, not redone


def test_a_missing_gated_part_fails_offline_with_its_name(fake: Fake) -> None:
    (fake.models_dir / "dinov3-vitl16-pretrain-lvd1689m" / "config.json").unlink()
    with pytest.raises(EngineError, match="facebook/dinov3-vitl16-pretrain-lvd1689m"):
        loaded_engine(fake)


def test_missing_weights_fail_the_load_with_a_pointer_to_the_readme(fake: Fake, tmp_path: Path) -> None:
    engine = Trellis2Engine(Settings(models_dir=tmp_path / "empty"))
    with pytest.raises(EngineError, match=r"weights not found .*models/README\.md"):
        engine.load()


def test_a_machine_never_set_up_is_told_the_packages_before_the_weights(tmp_path: Path) -> None:
    # No fake on the path: this venv has none of TRELLIS.2's packages, and no weights either.
    assert "trellis2" in " ".join(missing_modules())
    engine = Trellis2Engine(Settings(models_dir=tmp_path / "empty"))
    with pytest.raises(
        EngineError, match=r"^TRELLIS\.2 is not installed: missing .*trellis2.*install_trellis2\.sh"
    ):
        engine.load()


def test_a_hub_id_is_passed_through_to_from_pretrained(fake: Fake) -> None:
    engine = Trellis2Engine(make_settings(fake, model="microsoft/TRELLIS.2-4B"))
    with pytest.raises(EngineError, match=r"could not load TRELLIS\.2 from microsoft/TRELLIS\.2-4B"):
        engine.load()  # the fake has no hub
    assert fake.control.calls_named("from_pretrained") == [
        {"path": "microsoft/TRELLIS.2-4B", "config_file": "pipeline.json"}
    ]


def test_load_without_cuda_fails_clearly(fake: Fake) -> None:
    fake.cuda.available = False
    with pytest.raises(EngineError, match="CUDA is not available"):
        loaded_engine(fake)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KILN_TRELLIS2_PIPELINE_TYPE", "512")
    monkeypatch.setenv("KILN_TRELLIS2_TEXTURE_SIZE", "1024")
    monkeypatch.setenv("KILN_RECYCLE_AFTER_JOBS", "7")
    monkeypatch.setenv("KILN_MODELS_DIR", str(tmp_path))
    settings = Settings()
    options = settings.trellis2
    assert (options.pipeline_type, options.texture_size, settings.recycle_after_jobs) == ("512", 1024, 7)
    assert model_path(settings) == tmp_path / "TRELLIS.2-4B"
    monkeypatch.setenv("KILN_TRELLIS2_TEXTURE_SIZE", "3000")
    with pytest.raises(ValidationError, match="texture_size") as bad_size:
        Settings()
    assert describe_invalid(bad_size.value).startswith("KILN_TRELLIS2_TEXTURE_SIZE: ")
    monkeypatch.setenv("KILN_TRELLIS2_TEXTURE_SIZE", "2048")
    monkeypatch.setenv("KILN_TRELLIS2_PIPELINE_TYPE", "2048_cascade")
    with pytest.raises(ValidationError, match="pipeline_type") as bad_type:
        Settings()
    assert describe_invalid(bad_type.value).startswith("KILN_TRELLIS2_PIPELINE_TYPE: ")


def test_every_setting_is_in_a_settings_table() -> None:
    # The owner's only list of them: inference/README.md (the sidecar's), models/README.md (trellis2's),
    # where "`KILN_TRELLIS2_STRUCTURE_STEPS` / `_SHAPE_STEPS`" names KILN_TRELLIS2_SHAPE_STEPS too.
    tables = (REPO_ROOT / "inference" / "README.md").read_text(encoding="utf-8") + (
        REPO_ROOT / "models" / "README.md"
    ).read_text(encoding="utf-8")
    missing = [
        name
        for name in sorted(setting_names())
        if f"`{name}`" not in tables and f"`_{name.removeprefix('KILN_TRELLIS2_')}`" not in tables
    ]
    assert len(setting_names()) > 30
    assert missing == []


def test_misspelt_settings_are_named_and_the_project_s_other_variables_are_not() -> None:
    environ = {
        "KILN_TRELLIS2_TEXTUR_SIZE": "1024",  # a typo of an engine option
        "KILN_TRELLIS2_GPU": "1",  # unknown in the engine's namespace, close to nothing
        "KILN_BUSY_WAIT": "3",  # a typo of KILN_BUSY_WAIT_S
        "KILN_TRELLIS2_SRC": "/opt/TRELLIS.2",  # the installer's
        "KILN_TEST_REDIS_URL": "redis://127.0.0.1:6379/12",  # the test suites'
        "KILN_TRELLIS2_WARM_UP_PIPELINE_TYPE": "512",
        "KILN_BUSY_WAIT_S": "3",
        "PATH": "/usr/bin",
    }
    assert misspelt_settings(environ) == [
        "KILN_BUSY_WAIT is not a setting of the sidecar and is ignored; did you mean KILN_BUSY_WAIT_S?",
        "KILN_TRELLIS2_GPU is not a setting of the sidecar and is ignored "
        "(inference/README.md and models/README.md list them)",
        "KILN_TRELLIS2_TEXTUR_SIZE is not a setting of the sidecar and is ignored; "
        "did you mean KILN_TRELLIS2_TEXTURE_SIZE?",
    ]


# -- generate: arguments ---------------------------------------------------------------------------


def test_generate_passes_the_configuration_to_run_to_glb_and_export(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(
        fake,
        pipeline_type="1024",
        shape_steps=9,
        texture_guidance=2.5,
        max_num_tokens=32768,
        decimation_target=200_000,
        texture_size=1024,
        remesh_band=2.0,
        webp_textures=True,
    )
    output = tmp_path / "model.glb"
    result = engine.generate(transparent_subject(), output, 1234, new_context())

    (run,) = fake.control.calls_named("run")
    assert run == {
        "image_mode": "RGB",  # preprocessed by us: cropped and premultiplied
        "seed": 1234,
        "sparse_structure_sampler_params": {},
        "shape_slat_sampler_params": {"steps": 9},
        "tex_slat_sampler_params": {"guidance_strength": 2.5},
        "preprocess_image": False,
        "pipeline_type": "1024",
        "max_num_tokens": 32768,
    }
    assert fake.cuda.seeds == [1234]
    (to_glb,) = fake.control.calls_named("to_glb")
    assert to_glb == {
        "attr_layout": {
            "base_color": slice(0, 3),
            "metallic": slice(3, 4),
            "roughness": slice(4, 5),
            "alpha": slice(5, 6),
        },
        "aabb": [[-0.5, -0.5, -0.5], [0.5, 0.5, 0.5]],
        "voxel_size": 1 / 1024,
        "grid_size": None,
        "decimation_target": 200_000,
        "texture_size": 1024,
        "remesh": True,
        "remesh_band": 2.0,
        "remesh_project": 0.0,
        "verbose": False,
        "use_tqdm": True,
    }
    (export,) = fake.control.calls_named("export")
    assert export["file_type"] == "glb"
    assert export["extension_webp"] is True
    assert Path(export["file_obj"]).parent == tmp_path  # written beside the output, then renamed
    assert Path(export["file_obj"]).name != output.name

    data = output.read_bytes()
    magic, version, length = struct.unpack("<III", data[:12])
    assert (magic, version, length) == (0x46546C67, 2, len(data))
    assert result.output_path == output
    assert result.bytes == len(data)
    assert result.triangles == 4
    assert result.engine == "trellis2"
    assert result.seconds >= 0
    assert leftovers(tmp_path) == []


def test_the_default_keeps_pipeline_json_sampler_values_and_png_textures(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    engine.generate(transparent_subject(), tmp_path / "m.glb", 5, new_context())
    (run,) = fake.control.calls_named("run")
    assert run["pipeline_type"] == "1024_cascade"
    assert run["sparse_structure_sampler_params"] == run["shape_slat_sampler_params"] == {}
    assert run["tex_slat_sampler_params"] == {}
    assert fake.control.calls_named("export")[0]["extension_webp"] is False
    assert fake.control.calls_named("to_glb")[0]["decimation_target"] == 500_000
    # 12 steps each from pipeline.json; the cascade samples the shape twice.
    assert len(fake.control.steps) == 12 * 4


@pytest.mark.parametrize(("given", "expected"), [(7, 7), (2**31 - 1, 1), (-5, 2**31 - 6)])
def test_seeds_are_kept_or_folded_into_int32(given: int, expected: int) -> None:
    assert choose_seed(given) == expected


def test_seed_zero_lets_the_engine_choose(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    engine.generate(transparent_subject(), tmp_path / "a.glb", 0, new_context())
    engine.generate(transparent_subject(), tmp_path / "b.glb", 0, new_context())
    seeds = [run["seed"] for run in fake.control.calls_named("run")]
    assert all(0 < seed < 2**31 - 1 for seed in seeds)
    assert seeds[0] != seeds[1]


# -- generate: input -------------------------------------------------------------------------------


def test_transparent_rgba_skips_background_removal(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert fake.control.rembg_calls == 0
    assert fake.control.calls_named("preprocess_image")[0]["mode"] == "RGBA"


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(opaque_subject(), id="rgb"),
        pytest.param(opaque_subject().convert("RGBA"), id="rgba-all-opaque"),
        pytest.param(opaque_subject().convert("L"), id="greyscale"),
    ],
)
def test_opaque_input_gets_its_background_removed(fake: Fake, tmp_path: Path, image: Image.Image) -> None:
    engine = loaded_engine(fake)
    engine.generate(image, tmp_path / "m.glb", 1, new_context())
    assert fake.control.rembg_calls == 1
    assert fake.control.calls_named("preprocess_image")[0]["mode"] == "RGB"


def test_a_few_stray_translucent_pixels_do_not_count_as_transparency() -> None:
    image = opaque_subject().convert("RGBA")
    alpha = np.full((96, 96), 255, dtype=np.uint8)
    alpha[0, :10] = 254  # what some editors leave behind
    alpha[1, :10] = 0
    image.putalpha(Image.fromarray(alpha))
    prepared, transparent = prepare_input(image)
    assert (prepared.mode, transparent) == ("RGB", False)


def test_palette_png_transparency_counts() -> None:
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([0, 0, 0, 200, 40, 40])
    palette.paste(1, (16, 16, 48, 48))
    encoded = io.BytesIO()
    palette.save(encoded, format="PNG", transparency=0)  # index 0 is transparent
    prepared, transparent = prepare_input(Image.open(io.BytesIO(encoded.getvalue())))
    assert (prepared.mode, transparent) == ("RGBA", True)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (Image.new("RGBA", (64, 64), (0, 0, 0, 0)), "transparent everywhere"),
        (Image.new("RGB", (8, 64)), "too small"),
        (Image.new("RGB", (64, 64), (200, 200, 200)), "no foreground object"),
    ],
    ids=["fully-transparent", "tiny", "nothing-to-cut-out"],
)
def test_unusable_images_are_invalid_input(
    fake: Fake, tmp_path: Path, image: Image.Image, message: str
) -> None:
    engine = loaded_engine(fake)
    with pytest.raises(InvalidInput, match=message):
        engine.generate(image, tmp_path / "m.glb", 1, new_context())
    assert fake.control.calls_named("run") == []
    assert list(tmp_path.glob("*.glb")) == []


def test_a_missing_output_folder_is_refused_before_any_work(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    with pytest.raises(EngineError, match="output folder does not exist") as refused:
        engine.generate(transparent_subject(), tmp_path / "nope" / "m.glb", 1, new_context())
    assert not isinstance(refused.value, InvalidInput)  # the api's fault, not the picture's
    assert fake.control.calls_named("preprocess_image") == []


# -- progress --------------------------------------------------------------------------------------


@pytest.mark.parametrize("pipeline_type", ["512", "1024", "1024_cascade", "1536_cascade"])
def test_progress_is_one_monotonic_bar_from_0_to_100(fake: Fake, tmp_path: Path, pipeline_type: str) -> None:
    engine = loaded_engine(
        fake, pipeline_type=pipeline_type, structure_steps=5, shape_steps=7, texture_steps=6
    )
    ctx = new_context()
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    percents = [percent for _, percent, _ in ctx.raw]
    assert percents == sorted(percents), "progress went backwards"
    assert 0 <= percents[0] <= 5
    assert percents[-1] == 100
    stages = [stage for stage, _, _ in ctx.raw]
    assert stages == sorted(stages), "stages out of order"
    assert set(stages) == set(Stage)
    passes = 4 if pipeline_type.endswith("cascade") else 3
    sampling_reports = [m for s, _, m in ctx.raw if s in (Stage.STRUCTURE, Stage.GEOMETRY, Stage.TEXTURE)]
    assert len(sampling_reports) == 5 + 7 * (passes - 2) + 6 + passes  # each step, plus each pass's start
    assert "sampling texture 1024 6/6" in sampling_reports or "sampling texture 512 6/6" in sampling_reports
    export_messages = [m for s, _, m in ctx.raw if s is Stage.EXPORT]
    assert any("sampling attributes" in m for m in export_messages)
    # The GEOMETRY share grows with resolution: a 1536 cascade spends most of the bar on shape.
    geometry = [p for s, p, _ in ctx.raw if s is Stage.GEOMETRY]
    assert max(geometry) - min(geometry) > (40 if pipeline_type == "1536_cascade" else 10)


def test_progress_is_reported_between_every_sampler_step(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake, pipeline_type="512")
    ctx = new_context()
    seen: list[int] = []
    fake.control.step_hook = lambda desc, step, steps: seen.append(len(ctx.raw))
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    assert len(seen) == 36
    assert all(later > earlier for earlier, later in itertools.pairwise(seen))


def test_the_export_reports_each_stage_as_it_starts_and_ends(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    ctx = new_context()
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    export = [(round(p, 2), m) for stage, p, m in ctx.raw if stage is Stage.EXPORT]
    messages = [m for _, m in export]
    assert messages[:2] == ["decoding mesh", "mesh decoded at 1024"]
    assert "simplifying mesh" in messages
    # to_glb's six ticks, plus each of its five named stages when it starts (half a tick on).
    to_glb = [m for m in messages if m.startswith("extracting GLB")]
    assert len(to_glb) == 11
    assert "extracting GLB 2/6: cleaning mesh" in to_glb  # reported when "Cleaning mesh" starts
    assert messages[-2:] == ["writing GLB", "done"]
    percents = [p for p, _ in export]
    assert percents == sorted(percents)
    assert len(set(percents)) >= 14


# -- previews --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pipeline_type", "expected"),
    [
        ("512", [(Stage.STRUCTURE, 32)]),
        ("1024", [(Stage.STRUCTURE, 64)]),
        ("1024_cascade", [(Stage.STRUCTURE, 32), (Stage.GEOMETRY, 64)]),
        ("1536_cascade", [(Stage.STRUCTURE, 32), (Stage.GEOMETRY, 96)]),
    ],
)
def test_previews_come_from_the_structure_and_cascade_shape_stages(
    fake: Fake, tmp_path: Path, pipeline_type: str, expected: list[tuple[Stage, int]]
) -> None:
    engine = loaded_engine(
        fake, pipeline_type=pipeline_type, structure_steps=3, shape_steps=3, texture_steps=3
    )
    events: list[tuple[str, object]] = []
    ctx = RecordingContext(
        task_id="t",
        on_progress=lambda stage, percent, message: events.append(("progress", stage)),
        on_preview=lambda preview: events.append(("preview", preview)),
    )
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    previews = [p for kind, p in events if kind == "preview"]
    assert [(p.stage, p.resolution) for p in previews] == expected  # type: ignore[attr-defined]
    for preview in previews:
        coords = unpack(preview)  # type: ignore[arg-type]
        n = preview.resolution  # type: ignore[attr-defined]
        assert coords.shape[0] == preview.count > 50  # type: ignore[attr-defined]
        # The fake's dome rises along the pipeline's z: in the GLB's axes that is +y, and the
        # pipeline's y becomes -z (o_voxel's to_glb), so the dome spans z but never dips in y.
        assert coords[:, 1].min() >= (n - 1) // 2
        assert coords[:, 1].max() > 0.8 * n
        assert coords[:, 0].min() < 0.2 * n
        assert coords[:, 2].min() < 0.2 * n
    # Each preview goes out when its stage's sampling is over, before the next stage reports.
    kinds = [kind if kind == "preview" else events_stage for kind, events_stage in events]
    first = kinds.index("preview")
    assert Stage.STRUCTURE in kinds[:first]
    assert Stage.GEOMETRY not in kinds[:first]
    if len(previews) == 2:
        second = kinds.index("preview", first + 1)
        assert Stage.GEOMETRY in kinds[first:second]
        assert Stage.TEXTURE not in kinds[:second]
    # The instance's methods are the class's again.
    assert "sample_sparse_structure" not in vars(engine._pipeline)
    assert "sample_shape_slat_cascade" not in vars(engine._pipeline)


def test_a_cancel_while_the_structure_preview_goes_out_stops_before_the_shape_stage(
    fake: Fake, tmp_path: Path
) -> None:
    engine = loaded_engine(
        fake, pipeline_type="1024_cascade", structure_steps=2, shape_steps=2, texture_steps=2
    )
    ctx = new_context()
    ctx.on_preview = lambda preview: ctx.cancelled.set()
    with pytest.raises(JobCancelled):
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    assert not [desc for desc, _, _ in fake.control.steps if desc == "Sampling shape SLat"]
    assert "sample_sparse_structure" not in vars(engine._pipeline)
    assert not (tmp_path / "m.glb").exists()


def test_an_unexpected_stage_output_costs_the_preview_not_the_job(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake, pipeline_type="512", structure_steps=2, shape_steps=2, texture_steps=2)
    pipeline_class = type(engine._pipeline)
    original = pipeline_class.sample_sparse_structure
    bad = fake.torch.from_numpy(np.zeros((3, 2), dtype=np.int32))  # not (N, 4)
    previews: list[object] = []

    def odd_structure(self: Any, *args: Any) -> Any:
        original(self, *args)
        return bad

    pipeline_class.sample_sparse_structure = odd_structure
    try:
        ctx = new_context()
        ctx.on_preview = previews.append
        result = engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    finally:
        pipeline_class.sample_sparse_structure = original
    assert previews == []
    assert result.output_path.exists()


# -- request options ---------------------------------------------------------------------------------


def test_request_options_win_over_the_settings_and_the_seed_used_is_reported(
    fake: Fake, tmp_path: Path
) -> None:
    engine = loaded_engine(
        fake, pipeline_type="1024_cascade", structure_steps=1, shape_steps=1, texture_steps=1
    )
    ctx = RecordingContext(
        task_id="t",
        on_progress=lambda stage, percent, message: None,
        options=JobOptions(pipeline_type="512", texture_size=4096, faces=200_000),
    )
    result = engine.generate(transparent_subject(), tmp_path / "m.glb", 7, ctx)
    assert fake.control.calls_named("run")[-1]["pipeline_type"] == "512"
    to_glb = fake.control.calls_named("to_glb")[-1]
    assert (to_glb["texture_size"], to_glb["decimation_target"]) == (4096, 200_000)
    assert (result.seed, result.ignored) == (7, ())
    # Without options: the settings; seed 0 lets the engine choose one, and it says which.
    result = engine.generate(transparent_subject(), tmp_path / "n.glb", 0, new_context())
    assert fake.control.calls_named("run")[-1]["pipeline_type"] == "1024_cascade"
    assert fake.control.calls_named("to_glb")[-1]["texture_size"] == 2048
    assert result.seed == fake.control.calls_named("run")[-1]["seed"] > 0


def test_an_unknown_pipeline_type_is_refused_before_any_work(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    ctx = RecordingContext(
        task_id="t",
        on_progress=lambda stage, percent, message: None,
        options=JobOptions(pipeline_type="2048"),
    )
    with pytest.raises(EngineError, match="unknown pipeline type"):
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    assert fake.control.calls_named("run") == []


def test_the_tqdm_names_are_restored_after_the_job(fake: Fake, tmp_path: Path) -> None:
    sampler_tqdm, postprocess_tqdm = fake.sampler_module.tqdm, fake.postprocess_module.tqdm
    engine = loaded_engine(fake)
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert (fake.sampler_module.tqdm, fake.postprocess_module.tqdm) == (sampler_tqdm, postprocess_tqdm)
    oom_on(fake, {2, 3})
    with pytest.raises(OutOfMemory):
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert (fake.sampler_module.tqdm, fake.postprocess_module.tqdm) == (sampler_tqdm, postprocess_tqdm)


# -- out of memory ---------------------------------------------------------------------------------


def test_oom_is_cleaned_up_and_retried_once_at_the_lower_resolution(
    fake: Fake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = loaded_engine(fake)
    collects: list[int] = []
    real_collect = gc.collect

    def counting_collect(generation: int = 2) -> int:
        collects.append(generation)
        return real_collect(generation)

    monkeypatch.setattr(gc, "collect", counting_collect)
    oom_on(fake, {1})
    placement_at_retry: dict[str, str] = {}

    def remember_placement(tqdm_desc: str, index: int, steps: int) -> object:
        if len(fake.control.calls_named("run")) == 2 and not placement_at_retry:
            placement_at_retry.update({n: m.device for n, m in fake.control.models.items()})
        return None

    first_hook = fake.control.step_hook
    fake.control.step_hook = lambda d, i, n: (first_hook(d, i, n), remember_placement(d, i, n))
    empty_cache_before = fake.cuda.empty_cache_calls
    ctx = new_context()
    result = engine.generate(transparent_subject(), tmp_path / "m.glb", 99, ctx)

    runs = fake.control.calls_named("run")
    assert [r["pipeline_type"] for r in runs] == ["1024_cascade", "512"]
    assert [r["seed"] for r in runs] == [99, 99]
    assert collects
    assert fake.cuda.empty_cache_calls > empty_cache_before
    # The interrupted step's model (shape 512, on the GPU when the error came) is back on the CPU
    # before the retry starts; only the retry's first model has been moved up since.
    assert {n for n, d in placement_at_retry.items() if d != "cpu"} == {"sparse_structure_flow_model"}
    assert result.output_path.is_file()
    assert fake.control.rembg_calls == 0
    assert len(fake.control.calls_named("preprocess_image")) == 1
    percents = [p for _, p, _ in ctx.raw]
    assert percents == sorted(percents)
    assert percents[-1] == 100
    assert any("retrying at 512" in m for _, _, m in ctx.raw)


def test_a_second_oom_is_reported_as_out_of_memory(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    oom_on(fake, {1, 2}, desc="Sampling sparse structure", step=0)
    with pytest.raises(OutOfMemory, match="GPU out of memory") as raised:
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert raised.value.__cause__ is None
    assert len(fake.control.calls_named("run")) == 2
    assert_models_on_cpu(fake)
    assert list(tmp_path.iterdir()) == []


def test_without_a_retry_type_the_retry_uses_the_same_pipeline_type(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake, pipeline_type="1024", oom_retry_pipeline_type="")
    oom_on(fake, {1})
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert [r["pipeline_type"] for r in fake.control.calls_named("run")] == ["1024", "1024"]


def export_oom_on(fake: Fake, calls: set[int], stage: str = "Sampling attributes") -> None:
    """An extension's out-of-memory RuntimeError in these to_glb calls (1-based, this test's)."""
    seen = {"calls": 0}

    def hook(name: str) -> None:
        if name == "Extracting GLB":
            seen["calls"] += 1
        if name == stage and seen["calls"] in calls:
            raise RuntimeError("CUDA error: out of memory (cumesh remesh_narrow_band_dc)")

    fake.control.export_hook = hook


def test_an_export_oom_retries_the_export_alone_with_lighter_settings(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    export_oom_on(fake, {1})
    ctx = new_context()
    result = engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    assert result.output_path.is_file()
    assert len(fake.control.calls_named("run")) == 1  # the sampled mesh was kept
    exports = [(c["decimation_target"], c["texture_size"]) for c in fake.control.calls_named("to_glb")]
    assert exports == [(500_000, 2048), (200_000, 1024)]
    assert len(fake.control.calls_named("export")) == 1
    assert any("exporting again with 200000 faces, 1024 px texture" in m for _, _, m in ctx.raw)
    raw = [p for _, p, _ in ctx.raw]
    assert raw == sorted(raw)  # the retried export fills what is left of the bar, never back
    assert raw[-1] == 100
    assert_models_on_cpu(fake)


def test_a_second_export_oom_reruns_sampling_at_the_retry_type(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    export_oom_on(fake, {1, 2})
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert [r["pipeline_type"] for r in fake.control.calls_named("run")] == ["1024_cascade", "512"]
    exports = [(c["decimation_target"], c["texture_size"]) for c in fake.control.calls_named("to_glb")]
    assert exports == [(500_000, 2048), (200_000, 1024), (200_000, 1024)]


def test_an_export_oom_at_every_try_is_out_of_memory(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    export_oom_on(fake, {1, 2, 3})
    with pytest.raises(OutOfMemory):
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert len(fake.control.calls_named("to_glb")) == 3
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "m.glb").exists()
    assert_models_on_cpu(fake)


def test_lighter_settings_equal_to_the_configured_ones_skip_the_export_retry(
    fake: Fake, tmp_path: Path
) -> None:
    engine = loaded_engine(fake, texture_size=1024, decimation_target=100_000)
    export_oom_on(fake, {1})
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert [r["pipeline_type"] for r in fake.control.calls_named("run")] == ["1024_cascade", "512"]
    exports = [(c["decimation_target"], c["texture_size"]) for c in fake.control.calls_named("to_glb")]
    assert exports == [(100_000, 1024), (100_000, 1024)]


# -- face targets, delivered faces, memory between the stages ---------------------------------------


@pytest.mark.parametrize(
    ("settings", "options", "expected"),
    [
        ({"decimation_target": 20_000}, JobOptions(), [(MIN_DECIMATION_TARGET, 2048)]),
        ({}, JobOptions(faces=10_000), [(MIN_DECIMATION_TARGET, 2048)]),
        ({"decimation_target": 1_000}, JobOptions(faces=250_000), [(250_000, 2048)]),
        ({}, JobOptions(faces=100_000_000), [(NVDIFFRAST_FACE_LIMIT, 2048)]),
    ],
    ids=["setting-below", "request-below", "request-wins", "over-nvdiffrast"],
)
def test_face_targets_stay_where_the_export_survives(
    fake: Fake, tmp_path: Path, settings: dict[str, Any], options: JobOptions, expected: list[tuple[int, int]]
) -> None:
    engine = loaded_engine(fake, **settings)
    ctx = JobContext(task_id="t", on_progress=lambda stage, percent, message: None, options=options)
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    exports = [(c["decimation_target"], c["texture_size"]) for c in fake.control.calls_named("to_glb")]
    assert exports == expected


def test_the_export_retry_target_has_the_same_floor(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake, export_retry_decimation_target=30_000)
    export_oom_on(fake, {1})
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    exports = [(c["decimation_target"], c["texture_size"]) for c in fake.control.calls_named("to_glb")]
    assert exports == [(500_000, 2048), (MIN_DECIMATION_TARGET, 1024)]


def test_the_floor_is_above_the_failing_target_upstream_reported() -> None:
    assert MIN_DECIMATION_TARGET >= 2 * 50_000  # microsoft/TRELLIS.2#84 failed at 50,000
    assert decimation_target(1) == MIN_DECIMATION_TARGET
    assert decimation_target(300_000) == 300_000
    assert decimation_target(NVDIFFRAST_FACE_LIMIT + 1) == NVDIFFRAST_FACE_LIMIT


def test_the_api_contract_names_the_floor_its_faces_option_meets() -> None:
    # POST /api/generate accepts faces from 10,000: a client must read there that trellis2 uses at
    # least MIN_DECIMATION_TARGET, and that the task's triangles say what the model holds.
    openapi = json.loads((REPO_ROOT / "api" / "openapi.json").read_text(encoding="utf-8"))
    upload = openapi["components"]["schemas"]["GenerateUploadDto"]["properties"]["faces"]
    assert upload["minimum"] < MIN_DECIMATION_TARGET
    assert f"at least {MIN_DECIMATION_TARGET}" in upload["description"]
    assert "triangles" in upload["description"]
    design = (REPO_ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    assert f"engine uses at least {MIN_DECIMATION_TARGET}" in design.replace("\n  ", " ")


def test_the_result_reports_the_triangles_the_glb_holds(
    fake: Fake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The decimation target is a request CuMesh may miss (CuMesh#28), and the mesh object is not
    # the file: the count comes from the GLB written.
    mesh_class = fake.postprocess_module.FakeTrimesh
    original_export = mesh_class.export

    def export_half(
        self: Any, file_obj: str | None = None, file_type: str | None = None, **kwargs: Any
    ) -> Any:
        half = mesh_class(self.vertices, self.faces[: len(self.faces) // 2])  # self keeps its 4 faces
        return original_export(half, file_obj, file_type, **kwargs)

    monkeypatch.setattr(mesh_class, "export", export_half)
    engine = loaded_engine(fake, decimation_target=500_000)
    result = engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert result.triangles == 2  # the fake mesh has 4 faces; half were written
    assert glb_triangles(result.output_path) == 2


def test_glb_triangles_counts_lists_strips_fans_and_unindexed_primitives(tmp_path: Path) -> None:
    document = {
        "asset": {"version": "2.0"},
        "accessors": [{"count": 30}, {"count": 12}, {"count": 7}, {"count": 9}, {"count": 5}],
        "meshes": [
            {"primitives": [{"attributes": {"POSITION": 1}, "indices": 0}]},  # 10
            {"primitives": [{"attributes": {"POSITION": 1}}]},  # 4, unindexed
            {"primitives": [{"attributes": {"POSITION": 1}, "indices": 2, "mode": 5}]},  # strip: 5
            {"primitives": [{"attributes": {"POSITION": 1}, "indices": 3, "mode": 6}]},  # fan: 7
            {"primitives": [{"attributes": {"POSITION": 1}, "indices": 4, "mode": 1}]},  # lines: 0
        ],
    }
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    path = tmp_path / "counted.glb"
    path.write_bytes(struct.pack("<IIIII", 0x46546C67, 2, 20 + len(text), len(text), 0x4E4F534A) + text)
    assert glb_triangles(path) == 10 + 4 + 5 + 7
    (tmp_path / "not.glb").write_bytes(b"solid ascii stl" + bytes(20))
    with pytest.raises(ValueError, match=r"not a glTF 2\.0 binary"):
        glb_triangles(tmp_path / "not.glb")


def test_the_cuda_cache_is_emptied_between_sampling_and_export(
    fake: Fake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = loaded_engine(fake)
    collected: list[int] = []
    real_collect = gc.collect

    def counting_collect(*args: Any) -> int:
        collected.append(1)
        return real_collect(*args)

    monkeypatch.setattr(gc, "collect", counting_collect)
    marks: dict[str, tuple[int, int]] = {}

    def after_each_step(desc: str, step: int, steps: int) -> None:
        marks["last step"] = (fake.cuda.empty_cache_calls, len(collected))

    def at_export(stage: str) -> None:
        marks.setdefault(f"export {stage}", (fake.cuda.empty_cache_calls, len(collected)))

    fake.control.step_hook = after_each_step
    fake.control.export_hook = at_export
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    (simplify,) = fake.control.calls_named("simplify")
    assert simplify["target"] == NVDIFFRAST_FACE_LIMIT
    emptied, collections = marks["export Extracting GLB"]
    assert emptied > marks["last step"][0]
    assert collections > marks["last step"][1]


@pytest.mark.parametrize(
    "error",
    [
        "CUDA error: an illegal memory access was encountered",
        "CUDA error: device-side assert triggered",
        "CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasGemmEx`",
    ],
)
def test_a_cuda_error_fails_the_job_internal_and_asks_for_a_restart(
    fake: Fake, tmp_path: Path, error: str
) -> None:
    engine = loaded_engine(fake)
    empty_cache_before = fake.cuda.empty_cache_calls

    def broken(tqdm_desc: str, index: int, steps: int) -> object:
        raise RuntimeError(error)

    fake.control.step_hook = broken
    assert not engine.should_recycle()
    with pytest.raises(EngineError, match=r"^Internal error: CUDA error") as raised:
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert raised.value.code.name == "INTERNAL"
    assert len(fake.control.calls_named("run")) == 1  # never retried
    assert engine.should_recycle()
    engine.clear_cache()  # the sidecar's after-job clean-up leaves a broken context alone
    assert fake.cuda.empty_cache_calls == empty_cache_before
    # A job that still reaches this process is refused, not run on the broken context.
    fake.control.step_hook = None
    with pytest.raises(EngineError, match="CUDA context is broken"):
        engine.generate(transparent_subject(), tmp_path / "n.glb", 1, new_context())
    assert len(fake.control.calls_named("run")) == 1


def test_an_accelerator_error_during_export_is_a_cuda_error(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)

    def hook(stage: str) -> None:
        if stage == "Cleaning mesh":
            raise fake.torch.AcceleratorError("CUDA error: unspecified launch failure")

    fake.control.export_hook = hook
    with pytest.raises(EngineError, match="Internal error: CUDA error during export"):
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert engine.should_recycle()
    assert leftovers(tmp_path) == []


def test_other_errors_are_not_retried(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)

    def broken(tqdm_desc: str, index: int, steps: int) -> object:
        raise RuntimeError("something else broke")

    fake.control.step_hook = broken
    with pytest.raises(RuntimeError, match="something else broke"):
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert len(fake.control.calls_named("run")) == 1
    assert not engine.should_recycle()
    assert_models_on_cpu(fake)


# -- the cascade ---------------------------------------------------------------------------------


def test_the_cascade_toggles_the_shape_decoders_low_vram_around_its_own_steps(
    fake: Fake, tmp_path: Path
) -> None:
    engine = loaded_engine(fake)
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    decoder = fake.control.models["shape_slat_decoder"]
    assert decoder.low_vram_seen == [("upsample", True), ("decode", True)]
    assert decoder.low_vram is False
    assert decoder.device == "cpu"
    assert fake.control.cascade_resolutions == [(1024, 1024)]


def test_an_oom_inside_the_cascade_upsample_leaves_every_model_on_the_cpu(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    decoder = fake.control.models["shape_slat_decoder"]
    original = decoder.upsample
    calls = {"n": 0}

    def upsample(x: Any, upsample_times: int) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise fake.torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 6.00 GiB")
        return original(x, upsample_times)

    decoder.upsample = upsample
    seen: dict[str, Any] = {}

    def at_retry(desc: str, index: int, steps: int) -> object:
        if len(fake.control.calls_named("run")) == 2 and not seen:
            seen.update({"low_vram": decoder.low_vram, "device": decoder.device})
        return None

    fake.control.step_hook = at_retry
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert seen == {"low_vram": False, "device": "cpu"}  # cleaned up before the 512 retry
    assert [r["pipeline_type"] for r in fake.control.calls_named("run")] == ["1024_cascade", "512"]


def test_1536_falls_back_by_128_until_the_tokens_fit_and_says_so(fake: Fake, tmp_path: Path) -> None:
    # The default token count (2 * (res / 16)^2: 18432 at 1536) fits: no fallback.
    engine = loaded_engine(fake, pipeline_type="1536_cascade", max_num_tokens=30_000)
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert fake.control.cascade_resolutions == [(1536, 1536)]
    fake.control.reset()
    fake.control.tokens_at = lambda resolution: resolution * 25  # 1536 -> 38400, 1280 -> 32000, 1152 -> 28800
    engine = loaded_engine(fake, pipeline_type="1536_cascade", max_num_tokens=30_000)
    ctx = new_context()
    engine.generate(transparent_subject(), tmp_path / "n.glb", 1, ctx)
    assert fake.control.cascade_resolutions == [(1536, 1152)]
    (to_glb,) = fake.control.calls_named("to_glb")
    assert to_glb["voxel_size"] == pytest.approx(1 / 1152)
    assert any("mesh decoded at 1152 (token limit; asked 1536)" in m for _, _, m in ctx.raw)


def test_the_token_fallback_stops_at_1024(fake: Fake, tmp_path: Path) -> None:
    fake.control.tokens_at = lambda resolution: 60_000  # over 49152 at every resolution
    engine = loaded_engine(fake, pipeline_type="1536_cascade")
    engine.generate(transparent_subject(), tmp_path / "m.glb", 1, new_context())
    assert fake.control.cascade_resolutions == [(1536, 1024)]


# -- what the fake holds to, like upstream ----------------------------------------------------------


def test_run_returns_cuda_tensors_that_numpy_cannot_read(fake: Fake) -> None:
    engine = loaded_engine(fake)
    (mesh,) = engine._pipeline.run(transparent_subject(), preprocess_image=True)
    assert str(mesh.vertices.device) == "cuda"
    with pytest.raises(TypeError, match="can't convert cuda"):
        np.asarray(mesh.vertices)
    assert mesh.vertices.cpu().numpy().shape == (4, 3)


def test_get_cond_sets_the_encoder_resolution_and_moves_it_only_for_its_call(fake: Fake) -> None:
    engine = loaded_engine(fake)
    pipeline = engine._pipeline
    cond = pipeline.get_cond([transparent_subject()], 1024)
    assert set(cond) == {"cond", "neg_cond"}
    assert cond["cond"].shape == (1, (1024 // 16) ** 2 + 5, 1024)
    assert str(cond["neg_cond"].device) == "cuda"
    assert pipeline.image_cond_model.image_size == 1024
    assert pipeline.image_cond_model.device == "cpu"
    assert pipeline.get_cond([transparent_subject()], 512, include_neg_cond=False).keys() == {"cond"}


def test_a_misspelt_sampler_parameter_fails_like_upstream(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    with pytest.raises(TypeError, match="guidance_strenght"):
        engine._pipeline.run(
            transparent_subject(), sparse_structure_sampler_params={"guidance_strenght": 3.0}
        )


def test_preprocess_crops_a_square_around_the_subject_like_upstream(fake: Fake) -> None:
    engine = loaded_engine(fake)
    image = Image.new("RGBA", (2000, 1000), (0, 0, 0, 0))
    image.paste((200, 40, 40, 255), (400, 300, 1000, 500))  # 600 x 200, scaled by 1024/2000
    out = engine._pipeline.preprocess_image(image)
    assert out.mode == "RGB"
    assert out.size[0] == out.size[1]  # a square of the longer side
    assert abs(out.size[0] - 600 * 1024 / 2000) <= 2


# -- cancellation and deadline ---------------------------------------------------------------------


def test_cancel_stops_the_sampler_at_the_next_step(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    ctx = new_context()

    def cancel_at_shape_step_3(tqdm_desc: str, index: int, steps: int) -> object:
        if tqdm_desc == "Sampling shape SLat" and index == 3:
            ctx.cancelled.set()
        return None

    fake.control.step_hook = cancel_at_shape_step_3
    with pytest.raises(JobCancelled):
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    assert fake.control.steps[-1] == ("Sampling shape SLat", 3, 12)
    assert len(fake.control.calls_named("run")) == 1  # a cancel is not retried
    assert fake.control.calls_named("to_glb") == []
    assert_models_on_cpu(fake)
    assert list(tmp_path.iterdir()) == []


def test_cancel_from_another_thread_during_export_leaves_no_file(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    ctx = new_context()

    def cancel_elsewhere(stage: str) -> None:
        if stage == "Cleaning mesh":
            canceller = threading.Thread(target=ctx.cancelled.set)
            canceller.start()
            canceller.join()

    fake.control.export_hook = cancel_elsewhere
    with pytest.raises(JobCancelled):
        engine.generate(transparent_subject(), tmp_path / "m.glb", 1, ctx)
    assert fake.control.calls_named("export") == []
    assert list(tmp_path.iterdir()) == []


def test_the_deadline_stops_the_job_between_steps(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    fake.control.step_hook = lambda desc, step, steps: time.sleep(0.01)
    with pytest.raises(JobTimeout):
        engine.generate(
            transparent_subject(), tmp_path / "m.glb", 1, new_context(deadline=time.monotonic() + 0.1)
        )
    assert 1 <= len(fake.control.steps) < 48
    assert list(tmp_path.iterdir()) == []


# -- warm-up, recycling, health --------------------------------------------------------------------


def test_warm_up_generates_once_and_exercises_the_background_remover(fake: Fake) -> None:
    engine = loaded_engine(fake, warm_up_pipeline_type="512")
    engine.warm_up()
    runs = fake.control.calls_named("run")
    assert [r["pipeline_type"] for r in runs] == ["512"]
    assert len(fake.control.calls_named("export")) == 1
    assert fake.control.rembg_calls == 1
    assert not engine.should_recycle()


def test_the_trellis2_job_limit_is_counted_by_the_sidecar_not_the_engine(fake: Fake, tmp_path: Path) -> None:
    # The sidecar counts every job, failed ones too (test_server.py); the engine asks only for VRAM.
    settings = make_settings(fake, recycle_vram_gb=0)
    engine = Trellis2Engine(settings.model_copy(update={"recycle_after_jobs": 2}))
    engine.load()
    engine.generate(transparent_subject(), tmp_path / "a.glb", 1, new_context())
    with pytest.raises(InvalidInput):
        engine.generate(Image.new("RGBA", (64, 64)), tmp_path / "b.glb", 1, new_context())
    assert not engine.should_recycle()


def test_recycle_past_the_vram_threshold(fake: Fake) -> None:
    engine = loaded_engine(fake, recycle_vram_gb=10)
    fake.cuda.used_bytes = 9 * 1024**3
    assert not engine.should_recycle()
    fake.cuda.used_bytes = 11 * 1024**3
    assert engine.should_recycle()
    assert (engine.vram().used_bytes, engine.vram().total_bytes) == (11 * 1024**3, 24 * 1024**3)


def test_the_default_vram_threshold_is_the_warm_up_level_plus_headroom(fake: Fake) -> None:
    engine = loaded_engine(fake)
    assert engine.recycle_vram_limit() is None  # nothing to compare with before the warm-up
    fake.cuda.used_bytes = 3 * 1024**3
    engine.warm_up()
    assert engine.recycle_vram_limit() == 9 * 1024**3
    fake.cuda.used_bytes = 8 * 1024**3
    assert not engine.should_recycle()
    fake.cuda.used_bytes = 9 * 1024**3
    assert engine.should_recycle()


def test_a_zero_vram_threshold_never_recycles(fake: Fake) -> None:
    engine = loaded_engine(fake, recycle_vram_gb=0)
    engine.warm_up()
    fake.cuda.used_bytes = 24 * 1024**3
    assert not engine.should_recycle()


def test_health_before_load(fake: Fake) -> None:
    engine = Trellis2Engine(make_settings(fake))
    assert engine.device() == "cuda (not loaded)"
    assert engine.vram().total_bytes == 0
    assert not engine.should_recycle()
    engine.clear_cache()  # harmless before load


# -- availability probe ----------------------------------------------------------------------------


def hide_modules(monkeypatch: pytest.MonkeyPatch, *hidden: str) -> None:
    """find_spec answers None for these names (and, like Python, raises for a name under one)."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        if name in hidden:
            return None
        if any(name.startswith(f"{parent}.") for parent in hidden):
            raise ModuleNotFoundError(f"No module named {name.split('.', maxsplit=1)[0]!r}")
        return real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def not_installed(*missing: str) -> str:
    return f"TRELLIS.2 is not installed: missing {', '.join(missing)} (inference/scripts/install_trellis2.sh)"


PIPELINE_MODULES = ("torch", "trellis2", "o_voxel", "nvdiffrast", "cumesh", "flex_gemm", "flash_attn")


@pytest.mark.parametrize("hidden", PIPELINE_MODULES)
def test_probe_names_each_missing_module(fake: Fake, monkeypatch: pytest.MonkeyPatch, hidden: str) -> None:
    ready_models(fake)
    hide_modules(monkeypatch, hidden)
    expected = "nvdiffrast.torch" if hidden == "nvdiffrast" else hidden
    assert trellis2_available(make_settings(fake)) == (False, not_installed(expected))


def test_probe_names_every_missing_module_at_once(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    ready_models(fake)
    hide_modules(monkeypatch, "nvdiffrast", "cumesh", "flash_attn")
    assert trellis2_available(make_settings(fake)) == (
        False,
        not_installed("nvdiffrast.torch", "cumesh", "flash_attn"),
    )


def test_probe_imports_no_torch_or_extension_to_find_them(tmp_path: Path) -> None:
    # In a fresh process (the fixture has imported the fake): everything installed, no weights, so
    # the probe looks every module up and stops before it would import torch.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kiln3d_inference.engines.trellis2 import trellis2_available\n"
        "from kiln3d_inference.settings import Settings\n"
        f"print(trellis2_available(Settings(models_dir=Path({str(tmp_path)!r}))))\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    path = [str(FAKE_ROOT), str(FAKE_EXTENSIONS), str(FAKE_ROOT / "torch_stub")]
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
    )
    verdict, imported = done.stdout.splitlines()[-2:]
    assert verdict.startswith("(False, 'TRELLIS.2 weights not found at"), verdict
    assert set(imported.split()).isdisjoint(
        {"torch", "trellis2", "o_voxel", "cumesh", "flex_gemm", "flash_attn"}
    )
    assert "nvdiffrast" in imported.split()  # the parent of nvdiffrast.torch, a light package


def test_probe_recognises_nvdiffrast_installed_as_unknown(
    fake: Fake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What setuptools < 61 leaves of nvdiffrast v0.4.0: the compiled module, no package.
    (tmp_path / "_nvdiffrast_c.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    ready_models(fake)
    hide_modules(monkeypatch, "nvdiffrast")
    available, reason = trellis2_available(make_settings(fake))
    assert not available
    assert reason.startswith(
        "TRELLIS.2 is not installed: missing nvdiffrast.torch (installed as UNKNOWN-0.0.0, only its "
        "_nvdiffrast_c: built by a setuptools older than 61;"
    )


def test_probe_reports_a_package_that_fails_to_import(
    fake: Fake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # nvdiffrast/__init__.py reads its version from its metadata: without it, the import raises.
    (tmp_path / "nvdiffrast").mkdir()
    (tmp_path / "nvdiffrast" / "__init__.py").write_text(
        "from importlib.metadata import version\n__version__ = version('kiln-no-such-dist')\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "nvdiffrast", raising=False)
    importlib.invalidate_caches()
    ready_models(fake)
    available, reason = trellis2_available(make_settings(fake))
    assert not available
    assert "missing nvdiffrast.torch (nvdiffrast does not import: PackageNotFoundError" in reason


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, ["flex_gemm", "flash_attn"]),
        ({"ATTN_BACKEND": "xformers"}, ["flex_gemm", "xformers"]),
        ({"ATTN_BACKEND": "flash_attn_3"}, ["flex_gemm", "flash_attn_interface"]),
        # sdpa serves dense attention alone: sparse attention stays at flash_attn upstream.
        ({"ATTN_BACKEND": "sdpa"}, ["flex_gemm", "flash_attn"]),
        ({"ATTN_BACKEND": "sdpa", "SPARSE_ATTN_BACKEND": "xformers"}, ["flex_gemm", "xformers"]),
        (
            {"ATTN_BACKEND": "xformers", "SPARSE_ATTN_BACKEND": "flash_attn"},
            ["flex_gemm", "xformers", "flash_attn"],
        ),
        ({"ATTN_BACKEND": "no-such-backend"}, ["flex_gemm", "flash_attn"]),  # ignored upstream too
        ({"SPARSE_CONV_BACKEND": "spconv"}, ["flex_gemm", "spconv", "flash_attn"]),
        ({"SPARSE_CONV_BACKEND": "none"}, ["flex_gemm", "flash_attn"]),  # flex_gemm: the export's
    ],
)
def test_the_backend_variables_choose_the_modules(environment: dict[str, str], expected: list[str]) -> None:
    names = [m.name for m in required_modules(environment)]
    assert names[:5] == ["torch", "trellis2", "o_voxel", "nvdiffrast.torch", "cumesh"]
    assert names[5:] == expected


def test_probe_follows_the_configured_attention_backend(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    ready_models(fake)
    monkeypatch.setenv("ATTN_BACKEND", "xformers")
    assert trellis2_available(make_settings(fake)) == (False, not_installed("xformers"))
    hide_modules(monkeypatch, "flash_attn")
    assert missing_modules() == ["xformers"]  # flash_attn is no longer needed
    monkeypatch.setenv("SPARSE_ATTN_BACKEND", "flash_attn")
    assert missing_modules() == ["xformers", "flash_attn"]


def test_probe_without_any_of_it_installed(tmp_path: Path) -> None:
    available, reason = trellis2_available(Settings(models_dir=tmp_path))
    assert not available
    assert reason.startswith("TRELLIS.2 is not installed: missing ")
    assert "trellis2, o_voxel, nvdiffrast.torch, cumesh, flex_gemm" in reason


def test_probe_says_the_weights_are_missing(fake: Fake, tmp_path: Path) -> None:
    available, reason = trellis2_available(Settings(models_dir=tmp_path / "none"))
    assert not available
    assert reason.startswith("TRELLIS.2 weights not found at")


def test_probe_names_a_missing_checkpoint(fake: Fake) -> None:
    decoder = (
        fake.models_dir
        / "TRELLIS.2-4B/microsoft/TRELLIS-image-large/ckpts/ss_dec_conv3d_16l8_fp16.safetensors"
    )
    decoder.unlink()
    available, reason = trellis2_available(make_settings(fake))
    assert not available
    assert "microsoft/TRELLIS-image-large/ckpts/ss_dec_conv3d_16l8_fp16" in reason


def test_probe_names_the_gated_parts(fake: Fake) -> None:
    for folder in ("dinov3-vitl16-pretrain-lvd1689m", "RMBG_2_0"):
        (fake.models_dir / folder / "config.json").unlink()
        (fake.models_dir / folder).rmdir()
    assert trellis2_available(make_settings(fake))[1].startswith(
        "image encoder facebook/dinov3-vitl16-pretrain-lvd1689m not found"
    )
    write_aux_folder(fake.models_dir, "dinov3-vitl16-pretrain-lvd1689m")
    assert trellis2_available(make_settings(fake))[1].startswith(
        "background remover briaai/RMBG-2.0 not found"
    )


def ready_models(fake: Fake) -> None:
    write_aux_folder(fake.models_dir, "dinov3-vitl16-pretrain-lvd1689m")
    write_aux_folder(fake.models_dir, "BiRefNet")


def test_probe_says_yes_with_the_device(fake: Fake) -> None:
    ready_models(fake)
    available, reason = trellis2_available(make_settings(fake))
    assert available, reason
    assert reason.startswith("cuda:0 (Fake GPU 24GB, 24.0 GiB), weights ")


@pytest.mark.parametrize(
    ("configure", "reason"),
    [
        (lambda cuda: setattr(cuda, "available", False), "CUDA is not available"),
        (lambda cuda: setattr(cuda, "total_bytes", 12 * 1024**3), "has 12.0 GiB; TRELLIS.2 needs 20 GiB"),
    ],
    ids=["no-cuda", "small-card"],
)
def test_probe_checks_the_gpu(fake: Fake, configure: Callable[[Any], None], reason: str) -> None:
    ready_models(fake)
    configure(fake.cuda)
    available, message = trellis2_available(make_settings(fake))
    assert not available
    assert reason in message


def test_probe_never_raises(fake: Fake) -> None:
    ready_models(fake)
    (fake.models_dir / "TRELLIS.2-4B" / "pipeline.json").write_text("{not json", encoding="utf-8")
    available, reason = trellis2_available(make_settings(fake))
    assert not available
    assert reason.startswith("probe failed: JSONDecodeError")
