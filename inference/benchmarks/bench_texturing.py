"""Time the inflate engine's texturing of an uploaded mesh (projection_texturing.texture_mesh) at
two texture sizes, beside the same mesh painted at the smaller size in the same run: the time should
grow about as the texels do (4x from 1024 to 2048 px), whatever the mesh's triangle count. Before the
fill of unseen texels was bounded (2026-12-07), a 12-triangle box took 16 s at 1024 px and 82 s at
2048 px on a 2-vCPU machine. Prints one line per case, or JSON with --json (the engine row of
`npm run bench`, api/bench/rows/engine.row.ts, reads it).

Run: inference/.venv/bin/python inference/benchmarks/bench_texturing.py [--quick] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import trimesh
from PIL import Image

from kiln3d_inference.engines.projection_texturing import texture_mesh

PICTURE = Path(__file__).resolve().parent.parent.parent / "fixtures" / "samples" / "typical_misc_lantern.png"


def meshes(quick: bool) -> dict[str, trimesh.Trimesh]:
    """The meshes painted: a box (12 large triangles: most texels far from the seen side) and, in
    the full run, an icosphere of 1,280 triangles."""
    found = {"box, 12 triangles": trimesh.creation.box()}
    if not quick:
        found["icosphere, 1280 triangles"] = trimesh.creation.icosphere(subdivisions=3)
    return found


def seconds(picture: Image.Image, mesh: trimesh.Trimesh, size: int, repeat: int) -> float:
    """Median wall seconds of texture_mesh(picture, mesh, size) over `repeat` runs."""
    times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        texture_mesh(picture, mesh, size)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    """Times every case; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the box only, at 512 and 1024 px")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = parser.parse_args()
    small, large = (512, 1024) if args.quick else (1024, 2048)
    with Image.open(PICTURE) as opened:
        picture = opened.convert("RGBA")
    rows: list[dict[str, object]] = []
    for name, mesh in meshes(args.quick).items():
        base = seconds(picture, mesh, small, args.repeat)
        rows.append(
            {
                "mesh": name,
                "size": large,
                "seconds": seconds(picture, mesh, large, args.repeat),
                "base_size": small,
                "base_seconds": base,
            }
        )
    if args.json:
        print(json.dumps({"cpus": os.cpu_count(), "repeat": args.repeat, "cases": rows}))
        return 0
    for row in rows:
        ratio = float(str(row["seconds"])) / float(str(row["base_seconds"]))
        print(
            f"{row['mesh']!s:<28} {row['size']} px {float(str(row['seconds'])):7.2f} s   "
            f"{row['base_size']} px {float(str(row['base_seconds'])):7.2f} s   ratio {ratio:4.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
