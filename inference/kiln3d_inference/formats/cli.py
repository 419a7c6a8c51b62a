"""The formats tool's command line, a contract with the api (which runs it as a separate process):

    python -m kiln3d_inference.formats --format {obj,stl,3mf,ply,usdz} [--size-mm N] [--units U] \
        SOURCE.glb TARGET

Writes TARGET (the caller passes a temporary path); TARGET is removed on any failure.
- --units m|cm|mm|in: SOURCE is a painted mesh whose coordinates are in that unit (POST /api/texture's
  `units`). stl and 3mf without --size-mm are then made at the mesh's own size (its coordinates x the
  unit, in millimetres: no rescale); usdz declares metersPerUnit from it (0.001 for mm). Without it
  (a generated model), stl and 3mf are made at --size-mm or 100 mm and usdz says metersPerUnit 1.
- exit 0: one JSON line on stdout, {"format", "bytes", "triangles", "watertight", "size_mm", "seconds"}
  (size_mm: the longest side of an stl or 3mf in millimetres, to 0.001; null for obj, ply and usdz).
- exit 3: the source cannot be read as a triangle mesh; one JSON line {"error": message} on stderr.
- exit 2: usage error (argparse), among them --size-mm with a format other than stl or 3mf, and
  --units with obj or ply (their coordinates are the GLB's own, whatever the unit).
- exit 1: anything else (a traceback on stderr).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kiln3d_inference.formats.geometry import (
    DEFAULT_SIZE_MM,
    MILLIMETRES_PER_UNIT,
    is_watertight,
    own_size_mm,
)
from kiln3d_inference.formats.source import Model, SourceError, read_model

FORMATS = ("obj", "stl", "3mf", "ply", "usdz")
PRINT_FORMATS = ("stl", "3mf")
UNITS = tuple(MILLIMETRES_PER_UNIT)
# The formats --units changes: the printing ones (their own size) and usdz (its metersPerUnit).
UNIT_FORMATS = (*PRINT_FORMATS, "usdz")
EXIT_SOURCE = 3


def _writer(fmt: str, size_mm: float | None, units: str | None) -> Callable[[Model, Path], None]:
    """The writer of `fmt`; imported on use, so a format's library loads only when it is asked for.
    size_mm: the longest side of stl and 3mf; units: the source's unit, for usdz's metersPerUnit."""
    if fmt == "stl":
        from kiln3d_inference.formats.stl import write_stl

        return lambda model, target: write_stl(model, target, size_mm or DEFAULT_SIZE_MM)
    if fmt == "3mf":
        from kiln3d_inference.formats.threemf import write_3mf

        return lambda model, target: write_3mf(model, target, size_mm or DEFAULT_SIZE_MM)
    if fmt == "ply":
        from kiln3d_inference.formats.ply import write_ply

        return write_ply
    if fmt == "obj":
        from kiln3d_inference.formats.obj import write_obj

        return write_obj
    from kiln3d_inference.formats.usdz import write_usdz

    meters_per_unit = MILLIMETRES_PER_UNIT[units] / 1000.0 if units is not None else 1.0
    return lambda model, target: write_usdz(model, target, meters_per_unit)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kiln3d_inference.formats",
        description="Converts a Kiln3D GLB to a download format.",
    )
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument(
        "--size-mm",
        type=float,
        default=None,
        help=f"stl and 3mf only: the longest side in millimetres (default {DEFAULT_SIZE_MM:g})",
    )
    parser.add_argument(
        "--units",
        choices=UNITS,
        default=None,
        help="stl, 3mf and usdz: SOURCE is a painted mesh in this unit; stl and 3mf without --size-mm "
        "are made at its own size, usdz declares metersPerUnit from it",
    )
    parser.add_argument("source", type=Path, metavar="SOURCE.glb")
    parser.add_argument("target", type=Path, metavar="TARGET")
    return parser


def convert(
    fmt: str, source: Path, target: Path, size_mm: float | None = None, units: str | None = None
) -> dict[str, object]:
    """Converts the GLB at `source` to `fmt` at `target`; returns the success line's fields.
    size_mm applies to stl and 3mf: their longest side in millimetres; without it, a source with
    `units` (a painted mesh: m, cm, mm or in) is made at its own size (own_size_mm: no rescale), any
    other at DEFAULT_SIZE_MM. `units` also sets usdz's metersPerUnit. Raises SourceError for a source
    that is not a readable triangle mesh; anything else the writers raise. Leaves `target` removed
    on failure."""
    started = time.monotonic()
    try:
        model = read_model(source)
        size: float | None = None
        if fmt in PRINT_FORMATS:
            if size_mm is not None:
                size = size_mm
            elif units is not None:
                size = own_size_mm(model.merged()[0], units)
            else:
                size = DEFAULT_SIZE_MM
        _writer(fmt, size, units)(model, target)
        watertight = is_watertight(*model.merged())
        return {
            "format": fmt,
            "bytes": target.stat().st_size,
            "triangles": model.triangles,
            "watertight": watertight,
            "size_mm": None if size is None else round(size, 3),
            "seconds": round(time.monotonic() - started, 3),
        }
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status (argparse exits 2 itself on usage errors)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.size_mm is not None:
        if args.format not in PRINT_FORMATS:
            parser.error(f"--size-mm applies only to {' and '.join(PRINT_FORMATS)}, not {args.format}")
        if not (math.isfinite(args.size_mm) and args.size_mm > 0):
            parser.error("--size-mm must be a positive number")
    if args.units is not None and args.format not in UNIT_FORMATS:
        parser.error(f"--units applies only to {', '.join(UNIT_FORMATS)}, not {args.format}")
    try:
        line = convert(args.format, args.source, args.target, args.size_mm, args.units)
    except SourceError as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return EXIT_SOURCE
    print(json.dumps(line))
    return 0
