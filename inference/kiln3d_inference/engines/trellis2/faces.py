"""Face counts of the trellis2 engine's GLB: the decimation target handed to upstream's export, kept
within what that export survives, and the triangles a written GLB really holds.

Why a floor: upstream's export (o_voxel.postprocess.to_glb at microsoft/TRELLIS.2 @ 5565d24, which
decimates with CuMesh) fails at low targets: microsoft/TRELLIS.2#84 reports a decimation target of
50,000 breaking the GLB export after 3 or 4 generations in one process, and JeffreyXiang/CuMesh#28
that CuMesh's simplify stops short of small targets (so a low target buys fewer faces than asked
anyway). MIN_DECIMATION_TARGET is twice the failing figure. Why count the file: the target is a
request, not a result (CuMesh#28), so the job reports what it delivered.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from kiln3d_inference.settings import NVDIFFRAST_FACE_LIMIT

# Faces; see the module docstring (TRELLIS.2#84 failed at 50,000).
MIN_DECIMATION_TARGET = 100_000
GLB_MAGIC = 0x46546C67  # "glTF"
GLB_JSON_CHUNK = 0x4E4F534A  # "JSON"
TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6  # glTF primitive modes


def decimation_target(asked: int) -> int:
    """The face target to hand to_glb for `asked` faces: within [MIN_DECIMATION_TARGET,
    NVDIFFRAST_FACE_LIMIT] (16,777,216, the most nvdiffrast renders)."""
    return max(MIN_DECIMATION_TARGET, min(asked, NVDIFFRAST_FACE_LIMIT))


def glb_triangles(path: Path) -> int:
    """Triangles in the GLB at `path`: over every mesh primitive (each mesh counted once, however
    many nodes use it), indices / 3 for triangle lists (vertices without indices), count - 2 for
    strips and fans; points and lines count 0. Reads only the header and the JSON chunk.
    Raises ValueError when the file is no glTF 2.0 binary or its JSON does not say."""
    with path.open("rb") as file:
        header = file.read(20)
        if len(header) < 20:
            raise ValueError(f"{path}: too short for a GLB")
        magic, version, _length, json_length, chunk_type = struct.unpack("<IIIII", header)
        if magic != GLB_MAGIC or version != 2 or chunk_type != GLB_JSON_CHUNK:
            raise ValueError(f"{path}: not a glTF 2.0 binary")
        document: Any = json.loads(file.read(json_length))
    try:
        accessors = document.get("accessors", [])
        total = 0
        for mesh in document.get("meshes", []):
            for primitive in mesh["primitives"]:
                mode = primitive.get("mode", TRIANGLES)
                source = primitive.get("indices", primitive["attributes"].get("POSITION"))
                count = int(accessors[source]["count"]) if source is not None else 0
                if mode == TRIANGLES:
                    total += count // 3
                elif mode in (TRIANGLE_STRIP, TRIANGLE_FAN):
                    total += max(count - 2, 0)
        return total
    except (AttributeError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"{path}: glTF JSON without readable primitives ({exc!r})") from exc
