"""Fake `trellis2.representations`: `MeshWithVoxel` (representations/mesh/base.py:190-221 @ 5565d24),
CUDA tensors in, `simplify` as upstream's (mesh/base.py:71)."""

from __future__ import annotations

from typing import Any

from trellis2.fake_control import CONTROL


class MeshWithVoxel:
    def __init__(  # noqa: PLR0917 (upstream's signature)
        self,
        vertices: Any,
        faces: Any,
        origin: list[float],
        voxel_size: float,
        coords: Any,
        attrs: Any,
        voxel_shape: Any,
        layout: dict[str, slice] = {},  # noqa: B006 (upstream's default)
    ) -> None:
        self.vertices = vertices.float()
        self.faces = faces.int()
        self.origin = origin
        self.voxel_size = voxel_size
        self.coords = coords
        self.attrs = attrs
        self.voxel_shape = voxel_shape
        self.layout = layout

    @property
    def device(self) -> Any:
        return self.vertices.device

    def simplify(self, target: int = 1000000, verbose: bool = False, options: dict[str, Any] = {}) -> None:  # noqa: B006
        CONTROL.record("simplify", target=target, verbose=verbose)
        if str(self.vertices.device).split(":")[0] != "cuda":
            raise RuntimeError("CuMesh: expected CUDA tensors")
