"""Fake `trellis2.modules.sparse.SparseTensor`: features (N, C) at voxel coordinates (N, 4)
[batch, x, y, z], as upstream's structured latents are (trellis2/modules/sparse/basic.py @ 5565d24).
Only what the pipeline and the engine touch: feats, coords, shape, device, to()."""

from __future__ import annotations

from typing import Any


class SparseTensor:
    """Features at sparse voxel coordinates; `shape` and `device` are the features'."""

    def __init__(self, feats: Any, coords: Any) -> None:
        self.feats = feats
        self.coords = coords

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.feats.shape)

    @property
    def device(self) -> Any:
        return self.feats.device

    def to(self, device: Any) -> SparseTensor:
        return SparseTensor(self.feats.to(device), self.coords.to(device))
