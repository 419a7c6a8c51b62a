"""The fake networks `from_pretrained` builds: they know their device, check their inputs' device
like a real module (a CPU model given a CUDA tensor raises PyTorch's device-mismatch error), and
keep the forward signatures of upstream's classes (microsoft/TRELLIS.2 @ 5565d24):
SparseStructureFlowModel.forward(x, t, cond) (sparse_structure_flow.py:224),
SLatFlowModel.forward(x, t, cond, concat_cond=None, **kwargs) (structured_latent_flow.py:169),
the shape decoder's set_resolution / upsample / forward(x, guide_subs=None, return_subs=False) and
its `low_vram` flag (sc_vaes/sparse_unet_vae.py:421-509)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from trellis2.fake_control import CONTROL


def _device_type(where: Any) -> str:
    return str(where).split(":")[0]


class FakeModel:
    """A network: where it lives, and real weights when the control makes them (device check)."""

    in_channels = 8
    resolution = 16

    def __init__(self, name: str) -> None:
        self.name = name
        self.device = "cpu"
        self.weight: Any = CONTROL.make_weight(name) if CONTROL.make_weight is not None else None

    def to(self, device: Any) -> FakeModel:
        self.device = _device_type(device)
        if self.weight is not None:
            self.weight = self.weight.to(str(device))
        return self

    def cuda(self) -> FakeModel:
        return self.to("cuda")

    def cpu(self) -> FakeModel:
        return self.to("cpu")

    def eval(self) -> FakeModel:
        return self

    def _check_input(self, tensor: Any) -> None:
        where = _device_type(tensor.device)
        if where != self.device:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two devices, "
                f"{self.device} and {where}! ({self.name})"
            )


class FakeStructureFlow(FakeModel):
    def __call__(self, x: Any, t: Any, cond: Any) -> Any:
        self._check_input(x)
        return x


class FakeSLatFlow(FakeModel):
    in_channels = 32

    def __call__(self, x: Any, t: Any, cond: Any, concat_cond: Any = None, **kwargs: Any) -> Any:
        self._check_input(x)
        return x


class FakeDecoder(FakeModel):
    """The sparse-structure decoder (occupancy) or the texture decoder (voxel attributes)."""

    def __call__(self, x: Any, guide_subs: Any = None) -> Any:
        self._check_input(x)
        return x


class FakeShapeDecoder(FakeModel):
    """The shape decoder: `low_vram` is set by the pipeline around upsample and decode."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.low_vram = False
        self.decode_resolution = 0
        self.low_vram_seen: list[tuple[str, bool]] = []

    def set_resolution(self, resolution: int) -> None:
        self.decode_resolution = resolution

    def upsample(self, x: Any, upsample_times: int) -> Any:
        """Coordinates of the upsampled tokens, (N, 4) int on x's device."""
        self._check_input(x)
        self.low_vram_seen.append(("upsample", self.low_vram))
        CONTROL.record("upsample", upsample_times=upsample_times, low_vram=self.low_vram)
        return x

    def __call__(self, x: Any, guide_subs: Any = None, return_subs: bool = False) -> Any:
        self._check_input(x)
        self.low_vram_seen.append(("decode", self.low_vram))
        return x


class FakeShapeEncoder(FakeModel):
    """The texturing pipeline's shape encoder: forward(vertices, intersected), two sparse tensors
    on its device (trellis2_texturing.py:219 @ 5565d24); returns the shape latent's features."""

    def __call__(self, x: Any, intersected: Any) -> Any:
        self._check_input(x.feats)
        self._check_input(intersected.feats)
        return x


def tensor_on(device: Any, array: np.ndarray[Any, Any]) -> Any:
    """A tensor of `array` on `device` (the stub's or PyTorch's)."""
    return torch.from_numpy(array).to(device)
