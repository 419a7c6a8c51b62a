"""Normals of triangle meshes: smooth vertex normals from the geometry, and a mesh's vertices split
where its corners' normals differ (its hard edges).

How a mesh is shaded is told by its vertices: a vertex shared by several triangles is smooth across
them, and a hard edge is two vertices at one position with different normals (glTF 2.0, 3.7.2.1:
"When normals are not specified, client implementations MUST calculate flat normals"; three.js's
BufferGeometry.computeVertexNormals averages over shared vertices only). A painted mesh keeps the
shading its own file gave it through corner normals: (M, 3, 3), the normal of each triangle's
three corners.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

# The normal of a vertex with no area around it (only degenerate triangles): any unit vector will
# do, none is right.
_FALLBACK = np.array([0.0, 0.0, 1.0], np.float32)


def vertex_normals(positions: npt.NDArray[np.floating], triangles: npt.NDArray[np.integer]) -> F32:
    """Unit area-weighted vertex normals (N, 3) float32 of positions (N, 3) and triangles (M, 3):
    smooth across every vertex two triangles share; +Z for a vertex with no area around it."""
    corners = np.asarray(positions, np.float32)[triangles]
    face = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])  # area-weighted
    normals = np.zeros((positions.shape[0], 3), np.float32)
    for axis in range(3):
        for corner in range(3):
            normals[:, axis] += np.bincount(
                triangles[:, corner], weights=face[:, axis], minlength=positions.shape[0]
            ).astype(np.float32)
    return unit(normals)


def unit(vectors: npt.NDArray[np.floating]) -> F32:
    """vectors (..., 3) scaled to length 1, float32; a zero or non-finite one becomes +Z."""
    vectors = np.asarray(vectors, np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        length = np.linalg.norm(vectors, axis=-1, keepdims=True)
        scaled = vectors / np.maximum(length, 1e-12)
    good = (length > 1e-12) & np.isfinite(scaled).all(axis=-1, keepdims=True)
    return np.where(good, scaled, _FALLBACK).astype(np.float32)


def split_by_corner_normals(triangles: I64, corner_normals: F32) -> tuple[I64, I64, F32]:
    """The vertices a mesh needs for its corners' normals: triangles (M, 3) into V vertices, with
    corner_normals (M, 3, 3). Returns (source, split, normals): source (V',) the input vertex each
    output vertex copies, split (M, 3) the same triangles in the same order into the output
    vertices, normals (V', 3). A vertex whose corners agree stays one vertex; one on a hard edge
    becomes one per distinct normal (exact float32 equality: a file's shared normal is one value)."""
    vertex = np.asarray(triangles, np.int64).reshape(-1)
    normals = np.ascontiguousarray(corner_normals, np.float32).reshape(-1, 3)
    # One row of (vertex, normal's three float32 bit patterns) per corner; its unique rows are the
    # output vertices. The bit patterns compare -0.0 and 0.0 apart, which only splits needlessly.
    keys = np.column_stack([vertex, normals.view(np.int32).astype(np.int64)])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return vertex[first], inverse.reshape(-1, 3).astype(np.int64), normals[first]
