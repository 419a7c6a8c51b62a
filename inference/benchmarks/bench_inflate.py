"""Time the inflate engine on every sample (and a 1024 px version of each), printing per-image
timings, triangle counts and GLB sizes. Target: at most 1.5 s for a 1024 px image on 2 cores.

Run: inference/.venv/bin/python inference/benchmarks/bench_inflate.py [--repeat N] [IMAGE ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

from kiln3d_inference.engines.relief import inflate_image

TARGET_S = 1.5
SAMPLE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def default_images() -> list[Path]:
    repo = Path(__file__).resolve().parent.parent.parent
    folder = Path(os.environ.get("KILN_SAMPLES_DIR") or repo / "fixtures" / "samples")
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in SAMPLE_SUFFIXES)


def at_1024(image: Image.Image) -> Image.Image:
    scale = 1024 / max(image.size)
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths: list[Path] = args.images or default_images()
    if not paths:
        print("no images found (set KILN_SAMPLES_DIR)", file=sys.stderr)
        return 1
    inflate_image(Image.open(paths[0]))  # warm-up: imports, first allocations
    print(
        f"{'image':<40} {'size':>10} {'median s':>9} {'max s':>7} {'triangles':>9} {'GLB MB':>7}  silhouette"
    )
    worst_1024 = 0.0
    for path in paths:
        original = Image.open(path)
        original.load()
        for label, image in ((path.name, original), (f"{path.name} @1024", at_1024(original))):
            times: list[float] = []
            result = None
            for _ in range(args.repeat):
                started = time.perf_counter()
                result = inflate_image(image)
                times.append(time.perf_counter() - started)
            assert result is not None
            if label.endswith("@1024"):
                worst_1024 = max(worst_1024, *times)
            print(
                f"{label:<40} {image.width:>4}x{image.height:<5} {statistics.median(times):>9.3f} "
                f"{max(times):>7.3f} {result.triangles:>9} {len(result.glb) / 1e6:>7.2f}  {result.kind}"
            )
    verdict = "meets" if worst_1024 <= TARGET_S else "MISSES"
    print(f"worst 1024 px time {worst_1024:.3f} s: {verdict} the {TARGET_S} s target ({os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
