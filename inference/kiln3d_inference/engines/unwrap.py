"""UV unwrapping with xatlas, in a child process of its own.

Why a child: xatlas is native code that crashes (SIGSEGV) on some meshes (a closed 82k-triangle
icosphere does, in xatlas 0.0.11); in the sidecar's own process that would kill the sidecar and
every job after it, so a crash here is an EngineError of one job instead. The child is
`python -m kiln3d_inference.engines.unwrap`, fed and answering .npz on stdin and stdout; a
cancelled or overdue job kills it.

Why pieces: xatlas's chart growing is superlinear in a chart's size (82k triangles of a bumpy
sphere: 45 s in one piece, 3 s in 16 on the same machine), so the triangles are cut into pieces of
at most PIECE_FACES by halving their centroids along the longest axis, each piece added to the atlas
as a mesh of its own (xatlas charts them in parallel) and packed together. The cuts are UV seams;
the texture is painted per texel afterwards, so a seam shows nothing.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiln3d_inference.engines.base import EngineError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

PIECE_FACES = 5000
PADDING = 4  # texels between charts
POLL_S = 0.1


@dataclass(frozen=True)
class Unwrapped:
    """A UV layout: `vmapping` (V',) the input vertex each output vertex copies; `triangles`
    (M, 3) into the output vertices, in the input's triangle order; `uvs` (V', 2) in 0..1, v down
    (image rows), one atlas."""

    vmapping: I64
    triangles: I64
    uvs: F64


def pieces(centroids: F64, limit: int = PIECE_FACES) -> list[I64]:
    """Triangle indices cut into groups of at most `limit`: centroids (M, 3) halved along their
    longest extent until every group fits (groups are spatially compact)."""
    done: list[I64] = []
    todo = [np.arange(centroids.shape[0])]
    while todo:
        ids = todo.pop()
        if ids.size <= limit:
            done.append(ids)
            continue
        points = centroids[ids]
        axis = int(np.argmax(points.max(axis=0) - points.min(axis=0)))
        order = ids[np.argsort(points[:, axis], kind="stable")]
        half = order.size // 2
        todo += [order[:half], order[half:]]
    return done


def unwrap_in_process(vertices: F64, faces: I64, size: int) -> Unwrapped:
    """xatlas's layout of the mesh (vertices (N, 3), faces (M, 3)) for a size x size texture, made
    in this process (the child's work; see unwrap())."""
    import xatlas

    groups = pieces(vertices[faces].mean(axis=1))
    used_per_group: list[I64] = []

    def build(resolution: int) -> xatlas.Atlas:
        atlas = xatlas.Atlas()
        used_per_group.clear()
        for ids in groups:
            used, local = np.unique(faces[ids], return_inverse=True)
            used_per_group.append(used)
            atlas.add_mesh(vertices[used].astype(np.float32), local.reshape(-1, 3).astype(np.uint32))
        pack = xatlas.PackOptions()
        pack.resolution = resolution
        pack.padding = PADDING
        pack.bilinear = True
        atlas.generate(xatlas.ChartOptions(), pack)
        return atlas

    atlas = build(size)
    if atlas.atlas_count != 1:  # charts did not fit one atlas of that size: let it grow instead
        atlas = build(0)
    vmapping: list[I64] = []
    uvs: list[F64] = []
    triangles = np.zeros(faces.shape, np.int64)
    offset = 0
    for index, (ids, used) in enumerate(zip(groups, used_per_group, strict=True)):
        mapping, indices, coords = atlas[index]
        vmapping.append(used[mapping.astype(np.int64)])
        uvs.append(coords.astype(np.float64))
        triangles[ids] = indices.astype(np.int64).reshape(-1, 3) + offset
        offset += mapping.shape[0]
    return Unwrapped(np.concatenate(vmapping), triangles, np.concatenate(uvs))


def unwrap(vertices: F64, faces: I64, size: int, check: Callable[[], None] = lambda: None) -> Unwrapped:
    """xatlas's layout of the mesh (vertices (N, 3), faces (M, 3) int) for a size x size texture,
    made in a child process; check() is polled while it runs (an exception from it kills the child
    and propagates). Raises EngineError (INTERNAL) when the child fails or crashes."""
    request = io.BytesIO()
    np.savez(request, vertices=vertices.astype(np.float64), faces=faces.astype(np.int64), size=np.int64(size))
    child = subprocess.Popen(
        [sys.executable, "-m", "kiln3d_inference.engines.unwrap"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    answer: dict[str, bytes] = {}

    def talk() -> None:
        out, err = child.communicate(request.getvalue())
        answer["out"], answer["err"] = out, err

    talker = threading.Thread(target=talk, name="unwrap", daemon=True)
    talker.start()
    try:
        while talker.is_alive():
            check()
            talker.join(POLL_S)
    except BaseException:
        child.kill()
        talker.join(5.0)
        raise
    if child.returncode != 0:
        detail = answer.get("err", b"").decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise EngineError(
            f"internal error: UV unwrapping failed (exit {child.returncode}) {detail[0]}".rstrip()
        )
    with np.load(io.BytesIO(answer["out"])) as result:
        return Unwrapped(result["vmapping"], result["triangles"], result["uvs"])


def main() -> int:
    """The child: an .npz (vertices, faces, size) on stdin, the Unwrapped as .npz on stdout."""
    started = time.monotonic()
    with np.load(io.BytesIO(sys.stdin.buffer.read())) as request:
        result = unwrap_in_process(request["vertices"], request["faces"], int(request["size"]))
    out = io.BytesIO()
    np.savez(out, vmapping=result.vmapping, triangles=result.triangles, uvs=result.uvs)
    sys.stdout.buffer.write(out.getvalue())
    print(f"unwrapped in {time.monotonic() - started:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
