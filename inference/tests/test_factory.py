"""Engine selection: KILN_ENGINE as given; `auto` follows the trellis2 probe and says why."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from kiln3d_inference.engines import factory
from kiln3d_inference.engines.inflate import InflateEngine
from kiln3d_inference.engines.simulate import SimulateEngine
from kiln3d_inference.settings import EngineChoice, Settings, SimulateFault, same_or


def _probe(result: tuple[bool, str]) -> SimpleNamespace:
    def trellis2_available(settings: Settings) -> tuple[bool, str]:
        return result

    return SimpleNamespace(trellis2_available=trellis2_available)


def test_auto_picks_trellis2_when_its_probe_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factory, "_trellis2_module", lambda: _probe((True, "cuda:0 (RTX 4090)")))
    selection = factory.select_engine(Settings(engine=EngineChoice.AUTO))
    assert selection.name == "trellis2"
    assert selection.reason == "auto: cuda:0 (RTX 4090)"


def test_auto_falls_back_to_inflate_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factory, "_trellis2_module", lambda: _probe((False, "CUDA is not available")))
    selection = factory.select_engine(Settings(engine=EngineChoice.AUTO))
    assert selection.name == "inflate"
    assert "CUDA is not available" in selection.reason


def test_auto_survives_a_broken_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> SimpleNamespace:
        raise ImportError("libcudart.so.12: cannot open shared object file")

    monkeypatch.setattr(factory, "_trellis2_module", broken)
    selection = factory.select_engine(Settings(engine=EngineChoice.AUTO))
    assert selection.name == "inflate"
    assert "libcudart" in selection.reason


# Every module the image-to-3D path imports with upstream's default backends (engines/trellis2/probe.py).
PIPELINE_MODULES = (
    "torch",
    "trellis2",
    "o_voxel",
    "nvdiffrast",
    "nvdiffrast.torch",
    "cumesh",
    "flex_gemm",
    "flash_attn",
)


def installed_only(monkeypatch: pytest.MonkeyPatch, present: set[str]) -> None:
    """find_spec finds exactly these names (no module is imported)."""

    def find_spec(name: str, package: str | None = None) -> Any:
        return importlib.machinery.ModuleSpec(name, None) if name in present else None

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    for name in ("ATTN_BACKEND", "SPARSE_ATTN_BACKEND", "SPARSE_CONV_BACKEND"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("absent", "named"),
    [
        ({"nvdiffrast", "nvdiffrast.torch"}, "nvdiffrast.torch"),
        ({"cumesh"}, "cumesh"),
        ({"flex_gemm"}, "flex_gemm"),
        ({"o_voxel"}, "o_voxel"),
        ({"flash_attn"}, "flash_attn"),
        ({"cumesh", "flex_gemm", "flash_attn"}, "cumesh, flex_gemm, flash_attn"),
        (set(PIPELINE_MODULES), "torch, trellis2, o_voxel, nvdiffrast.torch, cumesh, flex_gemm, flash_attn"),
    ],
)
def test_auto_falls_back_naming_every_missing_extension(
    monkeypatch: pytest.MonkeyPatch, absent: set[str], named: str
) -> None:
    installed_only(monkeypatch, set(PIPELINE_MODULES) - absent)
    selection = factory.select_engine(Settings(engine=EngineChoice.AUTO))
    assert selection.name == "inflate"
    assert selection.reason == (
        "auto: trellis2 unavailable (TRELLIS.2 is not installed: "
        f"missing {named} (inference/scripts/install_trellis2.sh))"
    )


def test_auto_with_every_extension_goes_on_to_the_weights(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed_only(monkeypatch, set(PIPELINE_MODULES))
    selection = factory.select_engine(Settings(engine=EngineChoice.AUTO, models_dir=tmp_path))
    assert selection.name == "inflate"
    assert selection.reason.startswith("auto: trellis2 unavailable (TRELLIS.2 weights not found at")


def test_explicit_choice_is_obeyed() -> None:
    for choice in (EngineChoice.INFLATE, EngineChoice.SIMULATE, EngineChoice.TRELLIS2):
        assert factory.select_engine(Settings(engine=choice)).name == choice.value


def test_build_engine_passes_the_simulate_settings() -> None:
    settings = Settings(engine=EngineChoice.SIMULATE, simulate_seconds=2.5, simulate_fault=SimulateFault.OOM)
    engine = factory.build_engine("simulate", settings)
    assert isinstance(engine, SimulateEngine)
    assert engine.seconds == 2.5
    assert engine.fault is SimulateFault.OOM
    assert isinstance(factory.build_engine("inflate", settings), InflateEngine)
    with pytest.raises(ValueError, match="unknown engine"):
        factory.build_engine("nonsense", settings)


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KILN_ENGINE", "simulate")
    monkeypatch.setenv("KILN_LISTEN", "unix:///tmp/x/inference.sock")
    monkeypatch.setenv("KILN_SIMULATE_SECONDS", "4")
    monkeypatch.setenv("KILN_SIMULATE_FAULT", "oom_once")
    settings = Settings()
    assert settings.engine is EngineChoice.SIMULATE
    assert settings.listen == "unix:///tmp/x/inference.sock"
    assert settings.simulate_seconds == 4.0
    assert settings.simulate_fault is SimulateFault.OOM_ONCE
    assert settings.models_dir.name == "models"


def test_settings_read_the_trellis2_options_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KILN_TRELLIS2_PIPELINE_TYPE", "512")
    monkeypatch.setenv("KILN_TRELLIS2_SRC", "/opt/src")  # the installer's variable, not an option
    monkeypatch.setenv("KILN_MODELS_DIR", "/srv/models")
    settings = Settings()
    assert settings.trellis2.pipeline_type == "512"
    assert settings.models_dir == Path("/srv/models")


def test_an_empty_setting_is_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # docker-compose.yml hands the sidecar each setting as ${KILN_X:-}: empty where .env has none.
    for name in (
        "KILN_ENGINE",
        "KILN_SIMULATE_SECONDS",
        "KILN_RECYCLE_AFTER_JOBS",
        "KILN_TRELLIS2_PIPELINE_TYPE",
        "KILN_TRELLIS2_TEXTURE_SIZE",
        "KILN_TRELLIS2_LOW_VRAM",
        "KILN_TRELLIS2_MODEL",
        "KILN_TRELLIS2_OOM_RETRY_PIPELINE_TYPE",
    ):
        monkeypatch.setenv(name, "")
    settings = Settings()
    defaults = Settings.model_construct()
    assert settings.engine is EngineChoice.AUTO
    assert settings.simulate_seconds == 30.0
    assert settings.recycle_after_jobs == defaults.recycle_after_jobs
    assert settings.trellis2.pipeline_type == "1024_cascade"
    assert settings.trellis2.texture_size == 2048
    assert settings.trellis2.low_vram is True
    assert settings.trellis2.model == ""
    assert settings.trellis2.oom_retry_pipeline_type == "512"


def test_same_names_the_jobs_own_pipeline_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KILN_TRELLIS2_OOM_RETRY_PIPELINE_TYPE", "same")
    retry = Settings().trellis2.oom_retry_pipeline_type
    assert same_or(retry, "1536_cascade") == "1536_cascade"
    assert same_or("512", "1536_cascade") == "512"


def test_one_job_limit_for_every_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().recycle_after_jobs == 100
    monkeypatch.setenv("KILN_RECYCLE_AFTER_JOBS", "0")
    assert Settings().recycle_after_jobs == 0
    monkeypatch.setenv("KILN_RECYCLE_AFTER_JOBS", "-1")
    with pytest.raises(ValidationError, match="recycle_after_jobs"):
        Settings()
