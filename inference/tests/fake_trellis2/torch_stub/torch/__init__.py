"""A tiny fake `torch` for tests on machines without PyTorch: only what the engine and the fake
TRELLIS.2 call. Never on sys.path outside inference/tests.

Tensors: `Tensor` holds a numpy array and a `device`. Like PyTorch, a tensor on "cuda" cannot be
read as numpy (`.numpy()` raises TypeError with PyTorch's message): code must `.cpu()` first, so a
test sees an adapter that treats upstream's CUDA tensors as arrays. A "cuda" tensor needs
`cuda.is_available()`, as in PyTorch ("Torch not compiled with CUDA enabled" otherwise).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from torch import cuda

__version__ = "0.0+fake"

__all__ = [
    "AcceleratorError",
    "Tensor",
    "cuda",
    "device",
    "from_numpy",
    "manual_seed",
    "randn",
    "zeros_like",
]


class AcceleratorError(RuntimeError):
    """PyTorch 2.8+ raises this for CUDA errors (illegal memory access, device-side assert);
    older releases a plain RuntimeError("CUDA error: ...")."""


class device:  # noqa: N801 (torch's name)
    """torch.device: a type ("cpu"/"cuda") and an optional index; str() as PyTorch prints it."""

    def __init__(self, type: str, index: int | None = None) -> None:
        name, _, number = str(type).partition(":")
        if name not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type = name
        self.index = int(number) if number else index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self}')"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def _device(where: Any) -> device:
    result = where if isinstance(where, device) else device(str(where))
    if result.type == "cuda" and not cuda.is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")
    return result


class Tensor:
    """A numpy array with a device."""

    def __init__(self, data: np.ndarray[Any, Any], where: Any = "cpu") -> None:
        self._data = data
        self.device = _device(where)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape)

    @property
    def ndim(self) -> int:
        return int(self._data.ndim)

    def __len__(self) -> int:
        return len(self._data)

    def to(self, where: Any, non_blocking: bool = False) -> Tensor:
        return Tensor(self._data, where)

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def detach(self) -> Tensor:
        return self

    def float(self) -> Tensor:
        return Tensor(self._data.astype(np.float32), self.device)

    def int(self) -> Tensor:
        return Tensor(self._data.astype(np.int32), self.device)

    def numpy(self) -> np.ndarray[Any, Any]:
        if self.device.type != "cpu":
            raise TypeError(
                f"can't convert {self.device.type}:0 device type tensor to numpy. "
                "Use Tensor.cpu() to copy the tensor to host memory first."
            )
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray[Any, Any]:
        return self.numpy() if dtype is None else self.numpy().astype(dtype)


def from_numpy(array: np.ndarray[Any, Any]) -> Tensor:
    return Tensor(array, "cpu")


def randn(*size: int) -> Tensor:
    return Tensor(np.random.default_rng(0).standard_normal(size).astype(np.float32), "cpu")


def zeros_like(tensor: Tensor) -> Tensor:
    return Tensor(np.zeros(tensor.shape, dtype=np.float32), tensor.device)


def manual_seed(seed: int) -> None:
    cuda.STATE.seeds.append(seed)
