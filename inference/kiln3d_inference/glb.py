"""A minimal glTF 2.0 binary (GLB) writer: one textured triangle mesh, one PBR material."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

GLB_MAGIC = 0x46546C67  # "glTF"
CHUNK_JSON = 0x4E4F534A  # "JSON"
CHUNK_BIN = 0x004E4942  # "BIN\0"
ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
FLOAT = 5126
UNSIGNED_INT = 5125
LINEAR = 9729
LINEAR_MIPMAP_LINEAR = 9987
CLAMP_TO_EDGE = 33071


@dataclass(frozen=True)
class TexturedMesh:
    """One triangle mesh with one base-colour texture, in glTF's conventions (Y up, metres)."""

    positions: npt.NDArray[np.float32]  # (N, 3)
    normals: npt.NDArray[np.float32]  # (N, 3), unit length
    uvs: npt.NDArray[np.float32]  # (N, 2), glTF convention: origin top-left
    indices: npt.NDArray[np.uint32]  # (M, 3), counter-clockwise seen from outside
    texture: bytes  # encoded PNG or JPEG
    texture_mime: str  # "image/png" or "image/jpeg"


def _pad4(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % 4)


def encode_glb(mesh: TexturedMesh, generator: str, name: str = "model") -> bytes:
    """A binary glTF 2.0 (GLB) of the mesh: one node, one primitive, the texture embedded;
    `generator` goes into asset.generator."""
    positions = np.ascontiguousarray(mesh.positions, dtype="<f4")
    normals = np.ascontiguousarray(mesh.normals, dtype="<f4")
    uvs = np.ascontiguousarray(mesh.uvs, dtype="<f4")
    indices = np.ascontiguousarray(mesh.indices, dtype="<u4").reshape(-1)

    blobs: list[bytes] = []
    views: list[dict[str, object]] = []
    offset = 0

    def add_view(data: bytes, target: int | None) -> int:
        nonlocal offset
        view: dict[str, object] = {"buffer": 0, "byteOffset": offset, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        padded = _pad4(data, b"\x00")
        blobs.append(padded)
        offset += len(padded)
        views.append(view)
        return len(views) - 1

    pos_view = add_view(positions.tobytes(), ARRAY_BUFFER)
    nrm_view = add_view(normals.tobytes(), ARRAY_BUFFER)
    uv_view = add_view(uvs.tobytes(), ARRAY_BUFFER)
    idx_view = add_view(indices.tobytes(), ELEMENT_ARRAY_BUFFER)
    img_view = add_view(mesh.texture, None)
    count = int(positions.shape[0])

    document = {
        "asset": {"version": "2.0", "generator": generator},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": name}],
        "meshes": [
            {
                "name": name,
                "primitives": [
                    {
                        "attributes": {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2},
                        "indices": 3,
                        "material": 0,
                        "mode": 4,
                    }
                ],
            }
        ],
        "materials": [
            {
                "name": "surface",
                "pbrMetallicRoughness": {
                    "baseColorTexture": {"index": 0},
                    "metallicFactor": 0.0,
                    "roughnessFactor": 0.9,
                },
            }
        ],
        "textures": [{"sampler": 0, "source": 0}],
        "samplers": [
            {
                "magFilter": LINEAR,
                "minFilter": LINEAR_MIPMAP_LINEAR,
                "wrapS": CLAMP_TO_EDGE,
                "wrapT": CLAMP_TO_EDGE,
            }
        ],
        "images": [{"bufferView": img_view, "mimeType": mesh.texture_mime}],
        "accessors": [
            {
                "bufferView": pos_view,
                "componentType": FLOAT,
                "count": count,
                "type": "VEC3",
                "min": [float(v) for v in positions.min(axis=0)],
                "max": [float(v) for v in positions.max(axis=0)],
            },
            {"bufferView": nrm_view, "componentType": FLOAT, "count": count, "type": "VEC3"},
            {"bufferView": uv_view, "componentType": FLOAT, "count": count, "type": "VEC2"},
            {
                "bufferView": idx_view,
                "componentType": UNSIGNED_INT,
                "count": int(indices.shape[0]),
                "type": "SCALAR",
                "min": [int(indices.min())],
                "max": [int(indices.max())],
            },
        ],
        "bufferViews": views,
        "buffers": [{"byteLength": offset}],
    }
    json_chunk = _pad4(json.dumps(document, separators=(",", ":")).encode("utf-8"), b" ")
    bin_chunk = b"".join(blobs)
    total = 12 + 8 + len(json_chunk) + 8 + len(bin_chunk)
    return b"".join(
        [
            struct.pack("<III", GLB_MAGIC, 2, total),
            struct.pack("<II", len(json_chunk), CHUNK_JSON),
            json_chunk,
            struct.pack("<II", len(bin_chunk), CHUNK_BIN),
            bin_chunk,
        ]
    )


def read_glb(data: bytes) -> tuple[dict[str, object], bytes]:
    """Split a GLB into its JSON document and BIN chunk (used by tests and tools)."""
    magic, version, total = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC or version != 2 or total != len(data):
        raise ValueError("not a glTF 2.0 binary")
    json_len, json_type = struct.unpack_from("<II", data, 12)
    if json_type != CHUNK_JSON:
        raise ValueError("first chunk is not JSON")
    document = json.loads(data[20 : 20 + json_len])
    if not isinstance(document, dict):
        raise ValueError("glTF JSON is not an object")
    rest = 20 + json_len
    binary = b""
    if rest < len(data):
        bin_len, bin_type = struct.unpack_from("<II", data, rest)
        if bin_type != CHUNK_BIN:
            raise ValueError("second chunk is not BIN")
        binary = data[rest + 8 : rest + 8 + bin_len]
    return document, binary
