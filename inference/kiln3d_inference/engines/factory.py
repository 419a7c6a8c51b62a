"""Choosing and building the engine named by KILN_ENGINE (auto picks trellis2 or inflate)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from kiln3d_inference.engines.base import Engine
from kiln3d_inference.settings import EngineChoice, Settings

TRELLIS2_MODULE = "kiln3d_inference.engines.trellis2"


@dataclass(frozen=True)
class EngineSelection:
    """The engine to run and why (logged, and shown by Health while loading)."""

    name: str  # "trellis2", "inflate" or "simulate"
    reason: str


def _trellis2_module() -> Any:
    # Imported lazily: the module itself never imports torch at import time, but keep the CPU path
    # independent of it anyway.
    return importlib.import_module(TRELLIS2_MODULE)


def select_engine(settings: Settings) -> EngineSelection:
    """KILN_ENGINE as given, or for `auto` trellis2 where its probe (CUDA, packages, weights) passes."""
    if settings.engine is not EngineChoice.AUTO:
        return EngineSelection(settings.engine.value, f"KILN_ENGINE={settings.engine.value}")
    try:
        available, why = _trellis2_module().trellis2_available(settings)
    except Exception as exc:  # a broken optional engine must not stop the CPU default
        available, why = False, f"trellis2 probe failed: {type(exc).__name__}: {exc}"
    if available:
        return EngineSelection("trellis2", f"auto: {why}")
    return EngineSelection("inflate", f"auto: trellis2 unavailable ({why})")


def build_engine(name: str, settings: Settings) -> Engine:
    """A new, unloaded engine by name ("inflate", "simulate" or "trellis2"); ValueError otherwise."""
    if name == "inflate":
        from kiln3d_inference.engines.inflate import InflateEngine

        return InflateEngine()
    if name == "simulate":
        from kiln3d_inference.engines.simulate import SimulateEngine

        return SimulateEngine(
            settings.simulate_seconds, settings.simulate_fault, settings.simulate_warmup_seconds
        )
    if name == "trellis2":
        engine: Engine = _trellis2_module().Trellis2Engine(settings)
        return engine
    raise ValueError(f"unknown engine {name!r}")
