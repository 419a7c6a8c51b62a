"""Voxel previews: the occupied cells an engine knows before its mesh exists (proto `Preview`).

A preview is a set of voxels in an n^3 grid over the finished model's unit cube, in the model's
own axes (glTF: x right, y up, z towards the viewer): voxel (x, y, z) fills [x/n - 0.5,
(x+1)/n - 0.5] and likewise in y and z. `pack()` turns one into the proto's bytes: sorted,
unique (x, y, z) triplets, one byte per axis when n <= 256, else uint16 little-endian; at most
MAX_PREVIEW_VOXELS, the grid halved until it fits (so the event stays small and the browser draws
at most that many cubes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from kiln3d_inference.engines.base import Stage

MAX_PREVIEW_VOXELS = 32_768
MAX_RESOLUTION = 65_535

CoordArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class VoxelPreview:
    """A packed preview: its stage (STRUCTURE or GEOMETRY), grid side n, voxel count, and the
    coordinate bytes (count x 3 values, uint8 when n <= 256 else uint16 little-endian)."""

    stage: Stage
    resolution: int
    count: int
    coords: bytes


PreviewCallback = Callable[[VoxelPreview], None]


def pack(stage: Stage, coords: npt.ArrayLike, resolution: int) -> VoxelPreview:
    """Pack integer voxel coordinates, shape (count, 3), each in [0, resolution), into a
    VoxelPreview. Repeats are dropped; past MAX_PREVIEW_VOXELS the grid is halved (voxels merged)
    until they fit. Raises ValueError for a bad shape, a resolution outside 1-65535, or a
    coordinate outside the grid."""
    array = np.asarray(coords, dtype=np.int64)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"voxel coordinates must have shape (count, 3), not {array.shape}")
    if not 1 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"preview resolution must be 1-{MAX_RESOLUTION}, not {resolution}")
    if array.size and (array.min() < 0 or array.max() >= resolution):
        raise ValueError(f"voxel coordinates outside the {resolution}^3 grid")
    unique = np.unique(array, axis=0) if array.size else array.reshape(0, 3)
    while unique.shape[0] > MAX_PREVIEW_VOXELS and resolution > 1:
        resolution = (resolution + 1) // 2
        unique = np.unique(unique // 2, axis=0)
    dtype = np.uint8 if resolution <= 256 else np.dtype("<u2")
    return VoxelPreview(
        stage=stage,
        resolution=resolution,
        count=int(unique.shape[0]),
        coords=np.ascontiguousarray(unique.astype(dtype)).tobytes(),
    )


def unpack(preview: VoxelPreview) -> CoordArray:
    """The coordinates of a packed preview, shape (count, 3) (the inverse of pack, for tests and
    tools)."""
    dtype = np.uint8 if preview.resolution <= 256 else np.dtype("<u2")
    return np.frombuffer(preview.coords, dtype=dtype).reshape(-1, 3).astype(np.int64)


def shell(occupied: npt.NDArray[np.bool_]) -> CoordArray:
    """The surface voxels of a dense (x, y, z) occupancy grid: occupied cells with at least one
    empty face neighbour (the inside of a solid never shows, so it is never sent)."""
    inner = ndimage.binary_erosion(occupied, structure=ndimage.generate_binary_structure(3, 1))
    return np.argwhere(occupied & ~inner).astype(np.int64)
