"""Engine selection: KILN_ENGINE as given; `auto` follows the trellis2 probe and says why."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from kiln3d_inference.engines import factory
from kiln3d_inference.engines.inflate import InflateEngine
from kiln3d_inference.engines.simulate import SimulateEngine
from kiln3d_inference.settings import EngineChoice, Settings, SimulateFault


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


def test_one_job_limit_for_every_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().recycle_after_jobs == 100
    monkeypatch.setenv("KILN_RECYCLE_AFTER_JOBS", "0")
    assert Settings().recycle_after_jobs == 0
    monkeypatch.setenv("KILN_RECYCLE_AFTER_JOBS", "-1")
    with pytest.raises(ValidationError, match="recycle_after_jobs"):
        Settings()
