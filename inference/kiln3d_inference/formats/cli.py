"""The formats tool's command line, a contract with the api (which runs it as a separate process):

    python -m kiln3d_inference.formats --format {obj,stl,3mf,ply,usdz} [--size-mm N] SOURCE.glb TARGET

Writes TARGET (the caller passes a temporary path); TARGET is removed on any failure.
- exit 0: one JSON line on stdout, {"format", "bytes", "triangles", "watertight", "size_mm", "seconds"}
  (size_mm is null for obj, ply and usdz).
- exit 3: the source cannot be read as a triangle mesh; one JSON line {"error": message} on stderr.
- exit 2: usage error (argparse), among them --size-mm with a format other than stl or 3mf.
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

from kiln3d_inference.formats.geometry import DEFAULT_SIZE_MM, is_watertight
from kiln3d_inference.formats.source import Model, SourceError, read_model

FORMATS = ("obj", "stl", "3mf", "ply", "usdz")
PRINT_FORMATS = ("stl", "3mf")
EXIT_SOURCE = 3


def _writer(fmt: str, size_mm: float | None) -> Callable[[Model, Path], None]:
    """The writer of `fmt`; imported on use, so a format's library loads only when it is asked for."""
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

    return write_usdz


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
    parser.add_argument("source", type=Path, metavar="SOURCE.glb")
    parser.add_argument("target", type=Path, metavar="TARGET")
    return parser


def convert(fmt: str, source: Path, target: Path, size_mm: float | None = None) -> dict[str, object]:
    """Converts the GLB at `source` to `fmt` at `target`; returns the success line's fields.
    size_mm applies to stl and 3mf (default DEFAULT_SIZE_MM). Raises SourceError for a source that
    is not a readable triangle mesh; anything else the writers raise. Leaves `target` removed on failure."""
    started = time.monotonic()
    try:
        model = read_model(source)
        size = (size_mm or DEFAULT_SIZE_MM) if fmt in PRINT_FORMATS else None
        _writer(fmt, size)(model, target)
        watertight = is_watertight(*model.merged())
        return {
            "format": fmt,
            "bytes": target.stat().st_size,
            "triangles": model.triangles,
            "watertight": watertight,
            "size_mm": size,
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
    try:
        line = convert(args.format, args.source, args.target, args.size_mm)
    except SourceError as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return EXIT_SOURCE
    print(json.dumps(line))
    return 0
