"""A tiny fake `torch` for tests on machines without PyTorch: only what the engine and the fake
TRELLIS.2 call (torch.cuda.*, manual_seed). Never on sys.path outside inference/tests."""

from __future__ import annotations

from torch import cuda

__version__ = "0.0+fake"

__all__ = ["cuda", "manual_seed"]


def manual_seed(seed: int) -> None:
    cuda.STATE.seeds.append(seed)
