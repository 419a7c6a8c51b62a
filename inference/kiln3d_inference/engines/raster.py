"""A small triangle rasteriser in numpy (no GPU): the coverage, depth buffers and UV-layout rasters
of the inflate engine's projection texturing (engines/projection_texturing.py).

Triangles are grouped by the size of their pixel bounding box (rounded up to powers of two), and each
group tests every pixel centre of its boxes at once, in chunks of at most `budget` candidates, so the
memory stays bounded whatever the mesh; `check` is called between chunks (a job's cancellation and
deadline). A pixel centre exactly on an edge belongs to both triangles: adjacent triangles leave no
gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DEFAULT_BUDGET = 1 << 21  # candidate pixels tested at once (a few tens of MB of temporaries)


def _nothing() -> None:
    """The default `check`: nothing to poll."""


@dataclass(frozen=True)
class Fragments:
    """Pixels covered by triangles: `triangle` (K,) the triangle's index, `pixel` (K,) the pixel's
    flat index (row * width + column), `weights` (K, 3) its barycentric coordinates (each >= 0, sum 1)
    at the pixel centre."""

    triangle: I64
    pixel: I64
    weights: F64


def fragments(
    corners: F64,
    width: int,
    height: int,
    budget: int = DEFAULT_BUDGET,
    check: Callable[[], None] = _nothing,
) -> Iterator[Fragments]:
    """The pixel centres each triangle covers, in chunks. corners (T, 3, 2): each triangle's
    vertices in pixel units (x to the right, y down; pixel (row r, column c) has its centre at
    (c + 0.5, r + 0.5)); triangles of zero area and pixels outside width x height are skipped.
    Either winding is accepted."""
    xs, ys = corners[:, :, 0], corners[:, :, 1]
    with np.errstate(invalid="ignore"):
        col0 = np.clip(np.ceil(xs.min(axis=1) - 0.5), 0, width).astype(np.int64)
        col1 = np.clip(np.floor(xs.max(axis=1) - 0.5), -1, width - 1).astype(np.int64)
        row0 = np.clip(np.ceil(ys.min(axis=1) - 0.5), 0, height).astype(np.int64)
        row1 = np.clip(np.floor(ys.max(axis=1) - 0.5), -1, height - 1).astype(np.int64)
    area = (xs[:, 1] - xs[:, 0]) * (ys[:, 2] - ys[:, 0]) - (xs[:, 2] - xs[:, 0]) * (ys[:, 1] - ys[:, 0])
    box_w, box_h = col1 - col0 + 1, row1 - row0 + 1
    live = (box_w > 0) & (box_h > 0) & (area != 0) & np.isfinite(area)
    ids = np.nonzero(live)[0]
    if ids.size == 0:
        return
    # Power-of-two box classes: a handful of groups, each vectorised over its triangles.
    wclass = np.ceil(np.log2(box_w[ids])).astype(np.int64)
    hclass = np.ceil(np.log2(box_h[ids])).astype(np.int64)
    keys = wclass * 64 + hclass
    order = np.argsort(keys, kind="stable")
    ids, keys = ids[order], keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    for start, end in zip(starts, ends, strict=True):
        group_w, group_h = 1 << int(keys[start] // 64), 1 << int(keys[start] % 64)
        cells = group_w * group_h
        offset_x = np.tile(np.arange(group_w), group_h)
        offset_y = np.repeat(np.arange(group_h), group_w)
        per_chunk = max(1, budget // cells)
        for chunk_start in range(int(start), int(end), per_chunk):
            check()
            tri = ids[chunk_start : min(int(end), chunk_start + per_chunk)]
            cols = col0[tri, None] + offset_x[None, :]
            rows = row0[tri, None] + offset_y[None, :]
            valid = (cols <= col1[tri, None]) & (rows <= row1[tri, None])
            cx, cy = cols + 0.5, rows + 0.5
            x, y, a = xs[tri], ys[tri], area[tri, None]
            # Barycentric weight of each corner: the signed area opposite it over the whole.
            w0 = (
                (x[:, 1, None] - cx) * (y[:, 2, None] - cy) - (x[:, 2, None] - cx) * (y[:, 1, None] - cy)
            ) / a
            w1 = (
                (x[:, 2, None] - cx) * (y[:, 0, None] - cy) - (x[:, 0, None] - cx) * (y[:, 2, None] - cy)
            ) / a
            w2 = 1.0 - w0 - w1
            inside = valid & (w0 >= 0) & (w1 >= 0) & (w2 >= -1e-12)
            which, cell = np.nonzero(inside)
            if which.size == 0:
                continue
            yield Fragments(
                triangle=tri[which],
                pixel=rows[which, cell] * width + cols[which, cell],
                weights=np.stack(
                    [w0[which, cell], w1[which, cell], np.maximum(w2[which, cell], 0.0)], axis=1
                ),
            )


def depth_buffer(
    corners: F64,
    depths: F64,
    width: int,
    height: int,
    check: Callable[[], None] = _nothing,
) -> F64:
    """The nearest depth at each pixel centre, (height, width) float64, +inf where no triangle
    covers it. corners (T, 3, 2) as for fragments(); depths (T, 3) each corner's depth (smaller is
    nearer), interpolated linearly (an orthographic view)."""
    buffer = np.full(width * height, np.inf)
    for part in fragments(corners, width, height, check=check):
        depth = np.einsum("kj,kj->k", part.weights, depths[part.triangle])
        np.minimum.at(buffer, part.pixel, depth)
    return buffer.reshape(height, width)


def coverage(
    corners: F64, width: int, height: int, check: Callable[[], None] = _nothing
) -> npt.NDArray[np.bool_]:
    """(height, width) True where some triangle covers the pixel centre; corners as for fragments()."""
    covered = np.zeros(width * height, bool)
    for part in fragments(corners, width, height, check=check):
        covered[part.pixel] = True
    return covered.reshape(height, width)
