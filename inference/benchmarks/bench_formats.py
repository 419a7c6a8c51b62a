"""Time the formats tool (kiln3d_inference/formats) on two GLBs: the inflate engine's relief of a
sample picture, and a synthetic TRELLIS.2-sized model (a displaced sphere of about 1M triangles
with a 4096 px PBR base colour and a 4096 px metallic-roughness texture, written by trimesh as
o_voxel's to_glb does). Each format runs as the api runs it, one `python -m kiln3d_inference.formats`
process, so its seconds include the interpreter and imports; its peak memory is the process's
maximum resident set. Prints one JSON object. Figures only, no assertions.

Run: inference/.venv/bin/python inference/benchmarks/bench_formats.py [--quick]
(--quick: a ~100k-triangle, 1024 px synthetic model, for CI.)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

from kiln3d_inference.engines.relief import inflate_image

FORMATS = ("obj", "stl", "3mf", "ply", "usdz")


def noise_texture(side: int, seed: int, channels: int = 3) -> Image.Image:
    """A side x side picture of smooth colour noise plus a little per-pixel grain (so PNG cannot
    compress it away, like a baked texture)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (max(2, side // 64), max(2, side // 64), channels), dtype=np.uint8)
    smooth = Image.fromarray(coarse.squeeze()).resize((side, side), Image.Resampling.BICUBIC)
    pixels = np.asarray(smooth).astype(np.int16)
    pixels = pixels + rng.integers(-6, 7, pixels.shape, dtype=np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def synthetic_glb(rings: int, texture_px: int) -> bytes:
    """A GLB like TRELLIS.2's: a bumpy sphere (2 x rings x 2 x rings triangles, UV seam split),
    PBR base colour and metallic-roughness textures of texture_px, written by trimesh."""
    segments = 2 * rings
    theta = np.linspace(0.0, np.pi, rings + 1)
    phi = np.linspace(0.0, 2 * np.pi, segments + 1)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    radius = 0.5 + 0.02 * np.sin(7 * t) * np.cos(5 * p)
    positions = np.stack(
        [radius * np.sin(t) * np.cos(p), radius * np.cos(t), radius * np.sin(t) * np.sin(p)], axis=-1
    ).reshape(-1, 3)
    uv = np.stack([p / (2 * np.pi), 1.0 - t / np.pi], axis=-1).reshape(-1, 2)
    ids = np.arange((rings + 1) * (segments + 1)).reshape(rings + 1, segments + 1)
    a, b = ids[:-1, :-1].reshape(-1), ids[:-1, 1:].reshape(-1)
    c, d = ids[1:, :-1].reshape(-1), ids[1:, 1:].reshape(-1)
    faces: npt.NDArray[np.int64] = np.concatenate([np.stack([a, b, c], 1), np.stack([b, d, c], 1)])
    material = PBRMaterial(  # type: ignore[no-untyped-call]
        baseColorTexture=noise_texture(texture_px, 1),
        metallicRoughnessTexture=noise_texture(texture_px, 2),
        metallicFactor=1.0,
        roughnessFactor=1.0,
    )
    mesh = trimesh.Trimesh(
        vertices=positions,
        faces=faces,
        visual=TextureVisuals(uv=uv, material=material),  # type: ignore[no-untyped-call]
        process=False,
    )
    data: bytes = trimesh.Scene(mesh).export(file_type="glb")  # type: ignore[no-untyped-call]
    return data


def inflate_glb() -> bytes:
    """The inflate engine's GLB of the first sample picture (fixtures/samples)."""
    folder = Path(__file__).resolve().parent.parent.parent / "fixtures" / "samples"
    picture = sorted(folder.glob("typical_*.png"))[0]
    return inflate_image(Image.open(io.BytesIO(picture.read_bytes()))).glb


# The CLI as `python -m` runs it, then the process's peak resident memory (VmHWM, kB) on stderr. Not
# the rusage of the child: a forked child inherits its parent's high-water mark (this process holds
# the synthetic GLB), exec or not.
_LAUNCH = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('VmHWM ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv[0] = 'kiln3d_inference.formats'\n"
    "runpy.run_module('kiln3d_inference.formats', run_name='__main__', alter_sys=True)\n"
)


def run_format(fmt: str, source: Path, workdir: Path) -> dict[str, object]:
    """One CLI run: its JSON line, wall seconds and peak resident memory (MiB)."""
    target = workdir / f"out.{fmt}"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCH, "--format", fmt, str(source), str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    peaks = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("VmHWM ")]
    line = json.loads(done.stdout)
    size = int(line["bytes"])
    target.unlink()
    return {
        "process_seconds": round(wall, 2),
        "convert_seconds": line["seconds"],
        "bytes": size,
        "bytes_vs_glb": round(size / source.stat().st_size, 3),
        "peak_rss_mib": round(peaks[-1] / 1024) if peaks else None,
        "triangles": line["triangles"],
        "watertight": line["watertight"],
    }


def bench(name: str, glb: bytes, workdir: Path) -> dict[str, object]:
    """Every format of one GLB."""
    source = workdir / f"{name}.glb"
    source.write_bytes(glb)
    return {
        "glb_bytes": len(glb),
        "formats": {fmt: run_format(fmt, source, workdir) for fmt in FORMATS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~100k-triangle, 1024 px synthetic model")
    args = parser.parse_args()
    rings, texture_px = (160, 1024) if args.quick else (500, 4096)
    with tempfile.TemporaryDirectory(prefix="kiln3d-bench-formats-") as work:
        workdir = Path(work)
        started = time.monotonic()
        synthetic = synthetic_glb(rings, texture_px)
        report = {
            "machine": {"cpus": os.cpu_count()},
            "inflate": bench("inflate", inflate_glb(), workdir),
            "synthetic": {
                "description": f"displaced sphere, {4 * rings * rings} triangles, {texture_px} px textures",
                "build_seconds": round(time.monotonic() - started, 2),
                **bench("synthetic", synthetic, workdir),
            },
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
