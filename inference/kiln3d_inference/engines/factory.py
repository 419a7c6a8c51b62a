"""Choosing and building the engine named by KILN_ENGINE (auto picks trellis2 or inflate)."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass

from kiln3d_inference.engines.base import Engine
from kiln3d_inference.settings import EngineChoice, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineSelection:
    name: str  # "trellis2", "inflate" or "simulate"
    reason: str


def cuda_available() -> tuple[bool, str]:
    """(available, why); torch is imported only when it is installed at all."""
    if importlib.util.find_spec("torch") is None:
        return False, "torch is not installed"
    try:
        torch = importlib.import_module("torch")
        if bool(torch.cuda.is_available()):
            return True, f"CUDA device {torch.cuda.get_device_name(0)}"
        return False, "torch sees no CUDA device"
    except Exception as exc:  # a broken torch install must not stop the CPU engine
        return False, f"torch failed to initialise CUDA: {exc}"


def select_engine(settings: Settings) -> EngineSelection:
    if settings.engine is not EngineChoice.AUTO:
        return EngineSelection(settings.engine.value, f"KILN_ENGINE={settings.engine.value}")
    weights = settings.models_dir / settings.trellis2.model
    if not weights.is_dir():
        return EngineSelection("inflate", f"auto: no TRELLIS.2 weights at {weights}")
    cuda, why = cuda_available()
    if not cuda:
        return EngineSelection("inflate", f"auto: {why}")
    return EngineSelection("trellis2", f"auto: {why} and weights at {weights}")


def build_engine(name: str, settings: Settings) -> Engine:
    if name == "inflate":
        from kiln3d_inference.engines.inflate import InflateEngine

        return InflateEngine()
    if name == "simulate":
        from kiln3d_inference.engines.simulate import SimulateEngine

        return SimulateEngine(settings.simulate_seconds, settings.simulate_fault)
    if name == "trellis2":
        # Owned by the trellis2 engineer; imported lazily so CPU machines never import torch.
        module = importlib.import_module("kiln3d_inference.engines.trellis2")
        engine: Engine = module.Trellis2Engine(settings)
        return engine
    raise ValueError(f"unknown engine {name!r}")
