"""Time the inflate engine on each sample picture at 1024 px (its longest side), beside a yardstick
measured in the same run on the same picture: Pillow decoding it, resizing it to 1024 px and
encoding a PNG (what preparing any picture costs on this machine). Prints one line per picture,
or JSON with --json (the engine row of `npm run bench`, api/bench/rows/engine.row.ts, reads it).
No absolute target: on shared machines only the ratio to the yardstick means something.

Run: inference/.venv/bin/python inference/benchmarks/bench_inflate.py [--repeat N] [--json] [IMAGE ...]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

from kiln3d_inference.engines.relief import inflate_image

SAMPLE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
SIDE_PX = 1024


def default_images() -> list[Path]:
    """The sample pictures in fixtures/samples (or KILN_SAMPLES_DIR)."""
    repo = Path(__file__).resolve().parent.parent.parent
    folder = Path(os.environ.get("KILN_SAMPLES_DIR") or repo / "fixtures" / "samples")
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in SAMPLE_SUFFIXES)


def at_1024(image: Image.Image) -> Image.Image:
    """The picture scaled so its longest side is SIDE_PX (LANCZOS)."""
    scale = SIDE_PX / max(image.size)
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)


def yardstick(path: Path) -> None:
    """Decode, resize to 1024 px, encode as PNG: the same-run baseline."""
    with Image.open(path) as original:
        at_1024(original).save(io.BytesIO(), format="PNG")


def median_seconds(work: list[float]) -> float:
    """Median of the timings, in seconds."""
    return statistics.median(work)


def main() -> int:
    """Times every picture; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = parser.parse_args()
    paths: list[Path] = args.images or default_images()
    if not paths:
        print("no images found (set KILN_SAMPLES_DIR)", file=sys.stderr)
        return 1
    inflate_image(at_1024(Image.open(paths[0])))  # warm-up: imports, first allocations
    rows: list[dict[str, object]] = []
    for path in paths:
        with Image.open(path) as original:
            original.load()
            image = at_1024(original)
        inflate_times: list[float] = []
        yard_times: list[float] = []
        triangles = 0
        glb_bytes = 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            yardstick(path)
            yard_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = inflate_image(image)
            inflate_times.append(time.perf_counter() - started)
            triangles, glb_bytes = result.triangles, len(result.glb)
        rows.append(
            {
                "image": path.name,
                "width": image.width,
                "height": image.height,
                "inflate_s": median_seconds(inflate_times),
                "yardstick_s": median_seconds(yard_times),
                "triangles": triangles,
                "glb_bytes": glb_bytes,
            }
        )
    if args.json:
        print(json.dumps({"cpus": os.cpu_count(), "repeat": args.repeat, "pictures": rows}))
        return 0
    print(f"{'image':<34} {'size':>10} {'inflate s':>9} {'yardstick s':>11} {'ratio':>6} {'triangles':>9}")
    for row in rows:
        inflate_s = float(str(row["inflate_s"]))
        yard_s = float(str(row["yardstick_s"]))
        size = f"{row['width']}x{row['height']}"
        print(
            f"{row['image']!s:<34} {size:>10} {inflate_s:>9.3f} {yard_s:>11.3f} "
            f"{inflate_s / yard_s:>6.1f} {row['triangles']!s:>9}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
