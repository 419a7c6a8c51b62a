"""Shared test helpers: sample discovery, GLB mesh checks, Khronos glTF-Validator through Node."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kiln3d_inference.proto import inference_pb2 as pb
from kiln3d_inference.server import MODEL_CHUNK_BYTES

INFERENCE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = INFERENCE_DIR.parent
VALIDATOR_SCRIPT = Path(__file__).resolve().parent / "validate_glb.mjs"
SAMPLE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
GLB_MAGIC = 0x46546C67  # "glTF"
CHUNK_JSON = 0x4E4F534A  # "JSON"
CHUNK_BIN = 0x004E4942  # "BIN\0"


def samples_dir() -> Path:
    """The sample pictures kept in the repository: <repo>/fixtures/samples (see fixtures/README.md)."""
    return REPO_ROOT / "fixtures" / "samples"


def sample_images() -> list[Path]:
    folder = samples_dir()
    return (
        sorted(p for p in folder.glob("*") if p.suffix.lower() in SAMPLE_SUFFIXES) if folder.is_dir() else []
    )


@dataclass(frozen=True)
class MeshFacts:
    positions: npt.NDArray[np.float32]
    normals: npt.NDArray[np.float32]
    uvs: npt.NDArray[np.float32]
    triangles: npt.NDArray[np.uint32]
    document: dict[str, object]
    texture: bytes

    @property
    def triangle_count(self) -> int:
        return int(self.triangles.shape[0])


def read_glb(data: bytes) -> tuple[dict[str, object], bytes]:
    """Split a GLB into its JSON document and BIN chunk: the raw glTF, read without trimesh, so the
    tests see what any glTF reader sees (UV origin at the image's top left)."""
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


def _accessor(
    document: dict[str, object], binary: bytes, index: int, dtype: str, width: int
) -> npt.NDArray[np.generic]:
    accessors = document["accessors"]
    views = document["bufferViews"]
    assert isinstance(accessors, list)
    assert isinstance(views, list)
    accessor = accessors[index]
    view = views[accessor["bufferView"]]
    assert "byteStride" not in view, "interleaved views are not read here"
    count = int(accessor["count"]) * width
    offset = int(view.get("byteOffset", 0)) + int(accessor.get("byteOffset", 0))
    return np.frombuffer(binary, dtype=dtype, count=count, offset=offset).reshape(-1, width)


def parse_mesh(glb: bytes) -> MeshFacts:
    document, binary = read_glb(glb)
    meshes = document["meshes"]
    assert isinstance(meshes, list)
    assert len(meshes) == 1
    primitive = meshes[0]["primitives"][0]
    attributes = primitive["attributes"]
    images = document["images"]
    views = document["bufferViews"]
    assert isinstance(images, list)
    assert isinstance(views, list)
    image_view = views[images[0]["bufferView"]]
    image_start = int(image_view.get("byteOffset", 0))
    texture = binary[image_start : image_start + int(image_view["byteLength"])]
    return MeshFacts(
        positions=_accessor(document, binary, attributes["POSITION"], "<f4", 3).astype(np.float32),
        normals=_accessor(document, binary, attributes["NORMAL"], "<f4", 3).astype(np.float32),
        uvs=_accessor(document, binary, attributes["TEXCOORD_0"], "<f4", 2).astype(np.float32),
        triangles=_accessor(document, binary, primitive["indices"], "<u4", 1)
        .reshape(-1, 3)
        .astype(np.uint32),
        document=document,
        texture=texture,
    )


def edge_problems(triangles: npt.NDArray[np.uint32]) -> dict[str, int]:
    """Counts of undirected edges not shared by exactly two triangles, and of directed edges used
    twice (inconsistent winding). Both are 0 for a closed, consistently oriented manifold."""
    tri = triangles.astype(np.int64)
    directed = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    undirected = np.sort(directed, axis=1)
    _, counts = np.unique(undirected, axis=0, return_counts=True)
    _, directed_counts = np.unique(directed, axis=0, return_counts=True)
    return {
        "open_or_nonmanifold_edges": int(np.sum(counts != 2)),
        "repeated_directed_edges": int(np.sum(directed_counts != 1)),
    }


def signed_volume(positions: npt.NDArray[np.float32], triangles: npt.NDArray[np.uint32]) -> float:
    p = positions.astype(np.float64)
    v0, v1, v2 = p[triangles[:, 0]], p[triangles[:, 1]], p[triangles[:, 2]]
    return float(np.einsum("ij,ij->i", v0, np.cross(v1, v2)).sum() / 6.0)


def euler_characteristic(facts: MeshFacts) -> int:
    tri = facts.triangles.astype(np.int64)
    edges = np.unique(
        np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1), axis=0
    )
    used_vertices = np.unique(tri).size
    return int(used_vertices - edges.shape[0] + tri.shape[0])


def validate_glbs(paths: list[Path]) -> dict[str, dict[str, object]]:
    """Run the Khronos glTF-Validator (npm gltf-validator) over the files in one Node process."""
    node = shutil.which("node") or "/usr/bin/node"
    done = subprocess.run(
        [node, str(VALIDATOR_SCRIPT), *[str(p) for p in paths]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO_ROOT,
    )
    reports: dict[str, dict[str, object]] = {}
    for line in done.stdout.splitlines():
        report = json.loads(line)
        reports[str(report["path"])] = report
    missing = [str(p) for p in paths if str(p) not in reports]
    assert not missing, f"validator gave no report for {missing}: {done.stderr}"
    return reports


def streamed_model(events: list[pb.GenerateEvent]) -> bytes:
    """The model a Generate stream delivered: its ModelChunk events joined, checked against Done
    (offsets contiguous from 0, each chunk at most MODEL_CHUNK_BYTES, length and SHA-256 equal)."""
    chunks = [e.model_chunk for e in events if e.WhichOneof("event") == "model_chunk"]
    done = events[-1].done
    assert events[-1].WhichOneof("event") == "done", events[-1]
    offset = 0
    for chunk in chunks:
        assert chunk.offset == offset
        assert 0 < len(chunk.data) <= MODEL_CHUNK_BYTES
        offset += len(chunk.data)
    model = b"".join(chunk.data for chunk in chunks)
    assert len(model) == done.bytes
    assert hashlib.sha256(model).digest() == done.sha256
    kinds = [e.WhichOneof("event") for e in events]
    first_chunk = kinds.index("model_chunk")
    assert set(kinds[first_chunk:-1]) == {"model_chunk"}, "chunks come last, right before done"
    return model
