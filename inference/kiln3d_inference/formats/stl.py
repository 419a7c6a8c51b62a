"""STL (binary) for printing, written by trimesh: the printing frame (Z up, millimetres)."""

from __future__ import annotations

from pathlib import Path

import trimesh

from kiln3d_inference.formats.geometry import print_frame
from kiln3d_inference.formats.source import Model


def write_stl(model: Model, target: Path, size_mm: float) -> None:
    """Writes `model` to `target` as a binary STL in millimetres, Z up, longest side `size_mm`,
    centred on x = y = 0 and resting on z = 0 (geometry.print_frame). One facet per triangle."""
    positions, faces = model.merged()
    mesh = trimesh.Trimesh(
        vertices=print_frame(positions, size_mm), faces=faces, process=False, validate=False
    )
    target.write_bytes(trimesh.exchange.stl.export_stl(mesh))
