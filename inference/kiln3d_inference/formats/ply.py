"""PLY (binary little-endian) with vertex colours, written by trimesh, in the GLB's own frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from kiln3d_inference.formats.geometry import model_colors
from kiln3d_inference.formats.source import Model


def write_ply(model: Model, target: Path) -> None:
    """Writes `model` to `target` as a binary PLY: metres, Y up (the GLB's frame), every part's
    vertices as they are in the GLB (seams split), RGBA uint8 vertex colours sampled from the base
    colour texture x baseColorFactor (geometry.part_colors), vertex normals when every part has them."""
    positions, faces = model.merged()
    has_normals = all(part.normals is not None for part in model.parts)
    normals = (
        np.concatenate([p.normals for p in model.parts if p.normals is not None]) if has_normals else None
    )
    mesh = trimesh.Trimesh(
        vertices=positions,
        faces=faces,
        vertex_normals=normals,
        vertex_colors=model_colors(model),
        process=False,
        validate=False,
    )
    data = trimesh.exchange.ply.export_ply(
        mesh, encoding="binary", vertex_normal=has_normals, include_attributes=False
    )
    target.write_bytes(data)
