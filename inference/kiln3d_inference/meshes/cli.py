"""The mesh intake's command line, a contract with the api (which runs it as a separate process):

    python -m kiln3d_inference.meshes --max-faces N SRC OUT_GLB

Judges SRC by its content (GLB, PLY or OBJ; never its name) and writes OUT_GLB, the canonical GLB
(intake.canonical_glb: one triangle mesh, POSITION float32 and indices uint32 only), written to a
temporary name beside it and renamed; nothing is left at OUT_GLB on any failure.
- exit 0: one JSON line on stdout,
  {"format": "glb"|"obj"|"ply", "triangles", "vertices", "bbox_min": [x, y, z], "bbox_max": [x, y, z]}.
- exit 3: the upload is refused; one JSON line on stdout, {"code", "message", ...}: code
  unsupported_mesh, mesh_compressed (+ "extension"), mesh_no_faces (+ "what"), mesh_not_finite,
  mesh_too_many_faces (+ "faces", "max_faces").
- exit 2: usage error (argparse). exit 1: anything else (a traceback on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path

from kiln3d_inference.meshes.intake import MeshRefused, bounded_faces, intake

EXIT_REFUSED = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kiln3d_inference.meshes",
        description="Reads an uploaded GLB, OBJ or PLY into Kiln3D's canonical GLB.",
    )
    parser.add_argument("--max-faces", type=bounded_faces, required=True, help="most triangles accepted")
    parser.add_argument("source", type=Path, metavar="SRC")
    parser.add_argument("target", type=Path, metavar="OUT_GLB")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status (argparse exits 2 itself on usage errors)."""
    args = _parser().parse_args(argv)
    target: Path = args.target
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        mesh = intake(args.source.read_bytes(), args.max_faces)
        partial.write_bytes(mesh.glb())
        partial.replace(target)
    except MeshRefused as refused:
        print(json.dumps(refused.as_json()))
        return EXIT_REFUSED
    finally:
        partial.unlink(missing_ok=True)
    print(json.dumps(mesh.summary()))
    return 0
