"""A tiny fake `torch` for tests on machines without PyTorch: only what the engine and the fake
TRELLIS.2 call (torch.cuda.*, manual_seed, from_numpy and a Tensor's detach/cpu/numpy). Never on
sys.path outside inference/tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from torch import cuda

__version__ = "0.0+fake"

__all__ = ["Tensor", "cuda", "from_numpy", "manual_seed"]


class Tensor:
    """A CPU tensor over a numpy array: the members the engine reads (shape, detach, cpu, numpy)."""

    def __init__(self, array: npt.NDArray[Any]) -> None:
        self._array = array

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._array.shape)

    def detach(self) -> Tensor:
        return self

    def cpu(self) -> Tensor:
        return self

    def numpy(self) -> npt.NDArray[Any]:
        return self._array


def from_numpy(ndarray: npt.NDArray[Any]) -> Tensor:
    """Like torch.from_numpy: shares the array's memory."""
    return Tensor(np.asarray(ndarray))


def manual_seed(seed: int) -> None:
    cuda.STATE.seeds.append(seed)
