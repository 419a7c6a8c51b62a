"""The mesh intake (kiln3d_inference.meshes): uploads judged by content into the canonical GLB, and
every refusal code, from real files made here (trimesh's writers, and GLBs assembled by hand for
the hostile cases)."""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import trimesh
from PIL import Image

from kiln3d_inference.meshes.intake import CORNER_NORMALS, MeshRefused, intake, load_intake_glb
from tests.helpers import INFERENCE_DIR, read_glb, validate_glbs

MAX_FACES = 100_000


def _glb(mesh: trimesh.Trimesh | trimesh.Scene) -> bytes:
    data = mesh.export(file_type="glb")
    assert isinstance(data, bytes)
    return data


def _export(mesh: trimesh.Trimesh, file_type: str, **kwargs: Any) -> bytes:
    data = mesh.export(file_type=file_type, **kwargs)
    return data.encode() if isinstance(data, str) else bytes(data)


def _assemble(document: dict[str, Any], binary: bytes) -> bytes:
    """A GLB of `document` and `binary` (padded as glTF requires)."""
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\x00" * (-len(binary) % 4)
    total = 12 + 8 + len(text) + (8 + len(binary) if binary else 0)
    parts = [struct.pack("<4sII", b"glTF", 2, total), struct.pack("<II", len(text), 0x4E4F534A), text]
    if binary:
        parts += [struct.pack("<II", len(binary), 0x004E4942), binary]
    return b"".join(parts)


def _triangle_document(
    position_count: int = 3, index_count: int = 3, mode: int = 4
) -> tuple[dict[str, Any], bytes]:
    """One triangle: indices (3 x uint32, 12 bytes) then positions (3 x VEC3 float32, 36 bytes);
    the accessors' declared counts may claim more than that."""
    indices = np.array([0, 1, 2], "<u4").tobytes()
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], "<f4").tobytes()
    document: dict[str, Any] = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 1}, "indices": 0, "mode": mode}]}],
        "accessors": [
            {"bufferView": 0, "componentType": 5125, "count": index_count, "type": "SCALAR"},
            {"bufferView": 1, "componentType": 5126, "count": position_count, "type": "VEC3"},
        ],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": 12},
            {"buffer": 0, "byteOffset": 12, "byteLength": 36},
        ],
        "buffers": [{"byteLength": 48}],
    }
    return document, indices + positions


def _refusal(data: bytes, max_faces: int = MAX_FACES) -> MeshRefused:
    with pytest.raises(MeshRefused) as caught:
        intake(data, max_faces)
    return caught.value


def _run_cli(tmp_path: Path, data: bytes, *args: str) -> tuple[int, dict[str, Any] | None, Path]:
    source, target = tmp_path / "upload.bin", tmp_path / "canonical.glb"
    source.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-m", "kiln3d_inference.meshes", *args, str(source), str(target)],
        cwd=INFERENCE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) <= 1, done.stdout
    return done.returncode, json.loads(lines[0]) if lines else None, target


# ---- accepted uploads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("glb", _glb),
        ("obj", lambda m: _export(m, "obj", include_normals=True, include_texture=False)),
        ("ply", lambda m: _export(m, "ply", encoding="binary")),
        ("ply", lambda m: _export(m, "ply", encoding="ascii")),
    ],
)
def test_each_format_keeps_every_triangle_and_its_place(kind: str, make: Any) -> None:
    mesh = trimesh.creation.icosphere(subdivisions=2)
    mesh.apply_scale([2.0, 1.0, 0.5])
    mesh.apply_translation([10.0, -3.0, 4.0])
    result = intake(make(mesh), MAX_FACES)
    assert result.format == kind
    assert result.triangles == len(mesh.faces) == 320
    assert result.summary()["vertices"] == len(mesh.vertices)  # equal positions merged, nothing else
    summary = result.summary()
    assert summary["bbox_min"] == pytest.approx(mesh.bounds[0], abs=1e-5)
    assert summary["bbox_max"] == pytest.approx(mesh.bounds[1], abs=1e-5)


def test_the_content_decides_never_the_name(tmp_path: Path) -> None:
    mesh = trimesh.creation.box()
    # A PLY named .obj, an OBJ named .glb: the intake reads what they are.
    for data, kind in ((_export(mesh, "ply"), "ply"), (_export(mesh, "obj"), "obj"), (_glb(mesh), "glb")):
        code, line, _ = _run_cli(tmp_path, data, "--max-faces", "100")
        assert code == 0
        assert line is not None
        assert line["format"] == kind
        assert line["triangles"] == 12


def test_quads_and_polygons_count_as_their_triangles() -> None:
    obj = b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nv 2 1 0\nf 1 2 3 4\nf 2 5 6 3\n"
    assert intake(obj, 100).triangles == 4
    pentagon = b"v 0 0 0\nv 1 0 0\nv 1.5 1 0\nv 0.5 1.5 0\nv -0.5 1 0\nf 1 2 3 4 5\n"
    assert intake(pentagon, 100).triangles == 3
    ply = (
        b"ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\n"
        b"element face 1\nproperty list uchar int vertex_indices\nend_header\n"
        b"0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n"
    )
    assert intake(ply, 100).triangles == 2


def test_windows_text_files_are_read_as_their_utf8_twins() -> None:
    # A trial's exports: an object named in cp1252 (Windows exporters) was refused as "not a mesh"
    # (trimesh needs charset_normalizer to decode it), and a byte-order mark before the first
    # vertex hid that vertex (the faces then named one the file did not have).
    body = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n"
    plain = intake(("o Chateau\n" + body).encode(), 100)
    for variant in (
        ("o Château\n" + body).encode("cp1252"),
        b"\xef\xbb\xbf" + body.encode(),
        b"\xef\xbb\xbf" + ("o Château\n" + body).encode(),
    ):
        mesh = intake(variant, 100)
        assert mesh.triangles == plain.triangles == 2
        assert np.allclose(mesh.vertices, plain.vertices)
        assert np.array_equal(mesh.faces, plain.faces)


def test_an_obj_with_relative_indices_in_any_slot_is_read_as_its_absolute_twin() -> None:
    # -1 is the latest v/vt/vn defined so far; in `v/vt/vn` and `v//vn` corners too.
    head = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nvn 0 0 1\n"
    absolute = intake(head + b"f 1/1/1 2/2/1 3/3/1\nv 0 0 1\nf 1 2 4\n", 100)
    for faces in (
        b"f -3/-3/-1 -2/-2/-1 -1/-1/-1\nv 0 0 1\nf -4 -3 -1  # a comment\n",
        b"f -3//-1 -2//-1 -1//-1\nv 0 0 1\nf 1 2 -1\n",
        b"f -3/-3 -2/-2 -1/-1\nv 0 0 1\nf -4/1 -3/2 -1/3\n",
    ):
        relative = intake(head + faces, 100)
        assert relative.triangles == absolute.triangles == 2
        assert np.allclose(relative.vertices, absolute.vertices)
        assert np.array_equal(relative.faces, absolute.faces)


def test_a_glb_scene_is_flattened_with_its_node_transforms() -> None:
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    scene = trimesh.Scene()
    # x' = 10 - 2 y, y' = 2 x, z' = 2 z: a quarter turn about Z, doubled, moved 10 along X.
    placed = np.array(
        [[0.0, -2.0, 0.0, 10.0], [2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    )
    moved = np.eye(4)
    moved[1, 3] = 5.0
    scene.add_geometry(box, node_name="a", geom_name="box", transform=placed)
    scene.add_geometry(box, node_name="b", geom_name="box", transform=moved)
    result = intake(_glb(scene), MAX_FACES)
    assert result.triangles == 24  # one mesh placed by two nodes: both copies
    summary = result.summary()
    assert summary["bbox_min"] == pytest.approx([-0.5, -1.0, -1.0])
    assert summary["bbox_max"] == pytest.approx([11.0, 5.5, 1.0])


def test_a_glb_with_a_huge_embedded_image_is_read_without_decoding_it() -> None:
    # A PNG whose header claims 60000 x 60000 RGBA (14 GB decoded) over a few bytes of data.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b"")
    document, binary = _triangle_document()
    document["bufferViews"].append({"buffer": 0, "byteOffset": 48, "byteLength": len(png)})
    document["buffers"][0]["byteLength"] = 48 + len(png)
    document["images"] = [{"bufferView": 2, "mimeType": "image/png"}]
    document["textures"] = [{"source": 0}]
    document["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    document["meshes"][0]["primitives"][0]["material"] = 0
    tracemalloc.start()
    try:
        result = intake(_assemble(document, binary + png), MAX_FACES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.triangles == 1
    assert peak < 5_000_000
    canonical, _ = read_glb(result.glb())
    assert "images" not in canonical
    assert "materials" not in canonical


def test_the_canonical_glb_is_position_normal_and_indices_only_and_valid(tmp_path: Path) -> None:
    mesh = trimesh.creation.annulus(r_min=0.5, r_max=1.0, height=0.3, sections=48)
    mesh.apply_translation([1.0, 2.0, 3.0])
    code, line, target = _run_cli(tmp_path, _glb(mesh), "--max-faces", "10000")
    assert code == 0, line
    assert line is not None
    assert set(line) == {"format", "triangles", "vertices", "bbox_min", "bbox_max"}
    data = target.read_bytes()
    document, binary = read_glb(data)
    # uint32 x 3 a triangle; float32 x 3 twice (POSITION, NORMAL) a vertex
    assert len(binary) == 12 * line["triangles"] + 24 * line["vertices"]
    (primitive,) = document["meshes"][0]["primitives"]  # type: ignore[index]
    assert set(primitive["attributes"]) == {"POSITION", "NORMAL"}
    accessors = document["accessors"]
    assert isinstance(accessors, list)
    assert accessors[primitive["attributes"]["POSITION"]]["componentType"] == 5126
    assert accessors[primitive["indices"]]["componentType"] == 5125
    for key in ("materials", "images", "textures", "extensionsUsed", "extensionsRequired"):
        assert key not in document
    report = validate_glbs([target])[str(target)]
    assert report["errors"] == 0, report
    loaded = load_intake_glb(data)
    assert len(loaded.faces) == line["triangles"] == len(mesh.faces)
    # The sidecar joins the positions a hard edge split.
    assert len(loaded.vertices) == len(np.unique(loaded.vertices, axis=0)) <= line["vertices"]
    assert np.allclose(loaded.bounds, mesh.bounds, atol=1e-6)


def _flat_icosahedron() -> trimesh.Trimesh:
    """An icosahedron shaded flat, as a modeller exports one: three vertices a face, each with the
    face's normal (adjacent faces meet at 41.8 degrees)."""
    smooth = trimesh.creation.icosphere(subdivisions=0, radius=0.02)
    corners = np.asarray(smooth.triangles, np.float64).reshape(-1, 3)
    normals = np.repeat(np.asarray(smooth.face_normals), 3, axis=0)
    faces = np.arange(corners.shape[0]).reshape(-1, 3)
    return trimesh.Trimesh(corners, faces, vertex_normals=normals, process=False)


def _corner_normals(data: bytes) -> tuple[trimesh.Trimesh, npt.NDArray[np.float32]]:
    """The sidecar's mesh of a canonical GLB and its corner normals (M, 3, 3)."""
    loaded = load_intake_glb(data)
    corner = np.asarray(loaded.face_attributes[CORNER_NORMALS], np.float32)
    assert corner.shape == (len(loaded.faces), 3, 3)
    assert np.allclose(np.linalg.norm(corner, axis=2), 1.0, atol=1e-5)
    return loaded, corner


def _face_normals(mesh: trimesh.Trimesh) -> npt.NDArray[np.float64]:
    return np.asarray(mesh.face_normals, np.float64)


@pytest.mark.parametrize("kind", ["glb", "obj", "ply"])
def test_a_flat_shaded_mesh_keeps_its_hard_edges(kind: str) -> None:
    # A trial: a faceted icosahedron came back painted as a smooth blob (equal positions were
    # merged and smooth normals made over them). Each corner now keeps its file's normal.
    flat = _flat_icosahedron()
    normals_option = {"obj": {"include_normals": True}, "ply": {"vertex_normal": True}}
    data = _glb(flat) if kind == "glb" else _export(flat, kind, **normals_option[kind])
    canonical = intake(data, MAX_FACES)
    assert canonical.vertices.shape[0] == 60, "a vertex per face corner: every edge is hard"
    loaded, corner = _corner_normals(canonical.glb())
    assert len(loaded.vertices) == 12, "the sidecar's surface is connected again"
    expected = np.repeat(_face_normals(loaded)[:, None, :], 3, axis=1)
    assert np.allclose(corner, expected, atol=1e-5)


def test_a_smooth_mesh_stays_one_vertex_a_position() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.5)
    canonical = intake(_glb(sphere), MAX_FACES)
    assert canonical.vertices.shape[0] == len(sphere.vertices)
    loaded, corner = _corner_normals(canonical.glb())
    # Each position's corners agree and point outward (the file's smooth normals).
    radial = loaded.vertices[loaded.faces] / np.linalg.norm(loaded.vertices[loaded.faces], axis=2)[..., None]
    assert np.allclose(corner, radial, atol=0.05)


def test_an_obj_vertex_with_two_vn_is_two_vertices_and_without_vn_is_flat() -> None:
    # Two triangles folded 90 degrees along the edge v1-v3, first with a normal per side (a hard
    # edge), then with no `vn` at all: flat, as the web app's preview (three.js's OBJLoader) and
    # Blender show it (a verification run: a box without vn previewed flat came back smooth).
    positions = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\n"
    hard = positions + "vn 0 0 -1\nvn -1 0 0\nf 1//1 3//1 2//1\nf 1//2 4//2 3//2\n"
    for text in (hard, positions + "f 1 3 2\nf 1 4 3\n"):
        canonical = intake(text.encode(), MAX_FACES)
        assert canonical.vertices.shape[0] == 6, text
        _, corner = _corner_normals(canonical.glb())
        assert np.allclose(corner[0], [[0, 0, -1]] * 3), text
        assert np.allclose(corner[1], [[-1, 0, 0]] * 3), text


def test_a_ply_without_normals_is_smooth_over_its_shared_vertices() -> None:
    # As three.js's PLYLoader and the preview's computeVertexNormals show it.
    sphere = trimesh.creation.icosphere(subdivisions=1, radius=1.0)
    canonical = intake(_export(sphere, "ply", vertex_normal=False), MAX_FACES)
    assert canonical.vertices.shape[0] == len(sphere.vertices)
    loaded, corner = _corner_normals(canonical.glb())
    radial = loaded.vertices[loaded.faces] / np.linalg.norm(loaded.vertices[loaded.faces], axis=2)[..., None]
    assert np.allclose(corner, radial, atol=0.1)


def test_a_glb_without_normals_is_smooth_where_its_triangles_share_vertices() -> None:
    # No NORMAL: smooth over the file's own shared vertices (as three.js shows it), so a file that
    # splits its vertices at an edge keeps that edge hard, and an older api's canonical GLB
    # (POSITION and indices only) loads as it was painted before.
    document, binary = _triangle_document()
    indices = np.array([0, 1, 2, 0, 2, 3, 4, 5, 6], "<u4").tobytes()
    points = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0], [0, 1, 0], [0, 0, -1]]
    positions = np.array(points, "<f4").tobytes()
    document["accessors"][0]["count"] = 9
    document["accessors"][1]["count"] = 7
    document["bufferViews"] = [
        {"buffer": 0, "byteOffset": 0, "byteLength": len(indices)},
        {"buffer": 0, "byteOffset": len(indices), "byteLength": len(positions)},
    ]
    document["buffers"] = [{"byteLength": len(indices) + len(positions)}]
    del binary
    loaded, corner = _corner_normals(_assemble(document, indices + positions))
    assert len(loaded.vertices) == 5
    assert np.allclose(corner[:2], [0, 0, 1], atol=1e-6), "the square's shared vertices: its own normal"
    assert np.allclose(corner[2], [-1, 0, 0], atol=1e-6), (
        "the folded triangle: its own vertices, its own normal"
    )


def test_normals_turn_with_their_node_and_a_mirror_keeps_them_outward() -> None:
    flat = _flat_icosahedron()
    scene = trimesh.Scene()
    scene.add_geometry(flat, transform=np.diag([-3.0, 1.0, 1.0, 1.0]))  # mirrored and stretched
    canonical = intake(_glb(scene), MAX_FACES)
    loaded, corner = _corner_normals(canonical.glb())
    expected = np.repeat(_face_normals(loaded)[:, None, :], 3, axis=1)
    assert np.allclose(corner, expected, atol=1e-5)
    centre = loaded.vertices.mean(axis=0)
    outward = (loaded.vertices[loaded.faces].mean(axis=1) - centre) * _face_normals(loaded)
    assert (outward.sum(axis=1) > 0).all(), "the faces and their normals point out"


def _modules_imported(tmp_path: Path, data: bytes) -> set[str]:
    """The modules the tool's process imported (`python -X importtime`) while it took `data`."""
    source, target = tmp_path / "upload.bin", tmp_path / "canonical.glb"
    source.write_bytes(data)
    tool_args = ["--max-faces", str(MAX_FACES), str(source), str(target)]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kiln3d_inference.meshes", *tool_args],
        cwd=INFERENCE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    prefix = "import time:"
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith(prefix)}


def test_a_glb_upload_never_imports_trimesh(tmp_path: Path) -> None:
    """The tool runs as a process per upload: a GLB is read by our own reader, and trimesh's import
    (scipy, networkx: about 1 CPU-s of each process) is left to the OBJ and PLY it parses."""
    box = trimesh.creation.box()
    from_glb = _modules_imported(tmp_path, _glb(box))
    assert "numpy" in from_glb
    assert not {"trimesh", "scipy", "networkx"} & from_glb, sorted(from_glb)
    from_obj = _modules_imported(tmp_path, _export(box, "obj", include_normals=False, include_texture=False))
    assert "trimesh" in from_obj


# ---- refusals ----------------------------------------------------------------------------------


def _png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (_png_bytes(), "binary"),
        (b"Dear diary, today I modelled nothing at all.\n" * 20, "not a GLB, PLY or OBJ"),
        (json.dumps({"asset": {"version": "2.0"}, "meshes": []}).encode(), "JSON"),
        (b"", "not a GLB, PLY or OBJ"),
    ],
)
def test_a_file_that_is_no_mesh_is_unsupported(data: bytes, fragment: str) -> None:
    refused = _refusal(data)
    assert refused.code == "unsupported_mesh"
    assert fragment in refused.message


def test_a_truncated_glb_is_unsupported() -> None:
    data = _glb(trimesh.creation.box())
    for cut in (10, 30, len(data) // 2, len(data) - 4):
        assert _refusal(data[:cut]).code == "unsupported_mesh", cut


def test_an_accessor_reaching_past_its_buffer_is_unsupported() -> None:
    document, binary = _triangle_document()
    document["accessors"][1]["byteOffset"] = 8  # 8 + 36 > the view's 36 bytes
    refused = _refusal(_assemble(document, binary))
    assert refused.code == "unsupported_mesh"
    assert "bufferView" in refused.message
    document, binary = _triangle_document()
    document["bufferViews"][1]["byteLength"] = 4096  # past the 48-byte buffer
    assert _refusal(_assemble(document, binary)).code == "unsupported_mesh"


def test_indices_past_the_vertices_are_unsupported() -> None:
    document, _ = _triangle_document()
    binary = np.array([0, 1, 7], "<u4").tobytes() + np.zeros(9, "<f4").tobytes()
    refused = _refusal(_assemble(document, binary))
    assert refused.code == "unsupported_mesh"
    assert "indices" in refused.message


@pytest.mark.parametrize("claimed", ["POSITION", "indices"])
def test_a_huge_declared_accessor_is_refused_at_once_without_allocating(claimed: str) -> None:
    document, binary = _triangle_document(
        position_count=2**31 if claimed == "POSITION" else 3,
        index_count=2**31 if claimed == "indices" else 3,
    )
    data = _assemble(document, binary)
    tracemalloc.start()
    try:
        refused = _refusal(data, max_faces=10**12)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # nothing of the declared 2 GB was allocated (nor looped over)
    assert refused.code == "unsupported_mesh"
    assert "declares 2147483648 elements" in refused.message


@pytest.mark.parametrize("extension", ["KHR_draco_mesh_compression", "EXT_meshopt_compression"])
def test_a_compressed_glb_is_refused_by_name(tmp_path: Path, extension: str) -> None:
    document, binary = _triangle_document()
    document["extensionsUsed"] = [extension]
    document["extensionsRequired"] = [extension]
    code, line, target = _run_cli(tmp_path, _assemble(document, binary), "--max-faces", "10")
    assert code == 3
    assert line is not None
    assert line["code"] == "mesh_compressed"
    assert line["extension"] == extension
    assert not target.exists()


def test_draco_on_a_primitive_is_refused_even_when_not_required() -> None:
    document, binary = _triangle_document()
    document["extensionsUsed"] = ["KHR_draco_mesh_compression"]
    document["meshes"][0]["primitives"][0]["extensions"] = {
        "KHR_draco_mesh_compression": {"bufferView": 0, "attributes": {"POSITION": 0}}
    }
    refused = _refusal(_assemble(document, binary))
    assert refused.code == "mesh_compressed"
    assert refused.fields == {"extension": "KHR_draco_mesh_compression"}


def test_meshes_without_triangles_are_refused_with_what_they_are() -> None:
    cloud = trimesh.PointCloud(np.random.default_rng(1).normal(size=(50, 3)))  # type: ignore[no-untyped-call]
    ply = cloud.export(file_type="ply")  # type: ignore[no-untyped-call]
    refused = _refusal(ply if isinstance(ply, bytes) else ply.encode())
    assert (refused.code, refused.fields["what"]) == ("mesh_no_faces", "point cloud")
    refused = _refusal(b"# only vertices\nv 0 0 0\nv 1 0 0\nv 0 1 0\n")
    assert (refused.code, refused.fields["what"]) == ("mesh_no_faces", "point cloud")
    refused = _refusal(b"v 0 0 0\nv 1 0 0\nl 1 2\n")
    assert (refused.code, refused.fields["what"]) == ("mesh_no_faces", "lines")
    for mode, what in ((0, "points"), (1, "lines")):
        document, binary = _triangle_document(mode=mode)
        refused = _refusal(_assemble(document, binary))
        assert (refused.code, refused.fields["what"]) == ("mesh_no_faces", what)
    flat = b"v 0 0 0\nv 0 0 0\nv 0 0 0\nf 1 2 3\n"
    assert _refusal(flat).code == "mesh_no_faces"


def test_non_finite_positions_are_refused(tmp_path: Path) -> None:
    code, line, target = _run_cli(tmp_path, b"v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n", "--max-faces", "10")
    assert code == 3
    assert line is not None
    assert line["code"] == "mesh_not_finite"
    assert not target.exists()
    document, _ = _triangle_document()
    binary = (
        np.array([0, 1, 2], "<u4").tobytes()
        + np.array([[0, 0, 0], [1, 0, 0], [np.inf, 1, 0]], "<f4").tobytes()
    )
    assert _refusal(_assemble(document, binary)).code == "mesh_not_finite"
    # An unused vertex's NaN does not matter: it is dropped.
    assert intake(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv nan 0 0\nf 1 2 3\n", 10).summary()["vertices"] == 3


def test_more_triangles_than_allowed_are_refused_with_both_counts(tmp_path: Path) -> None:
    box = trimesh.creation.box()
    for data in (_glb(box), _export(box, "obj"), _export(box, "ply")):
        code, line, target = _run_cli(tmp_path, data, "--max-faces", "11")
        assert code == 3
        assert line == {
            "code": "mesh_too_many_faces",
            "message": "the mesh has 12 triangles, more than the 11 allowed",
            "faces": 12,
            "max_faces": 11,
        }
        assert not target.exists()


def test_an_obj_of_quads_over_the_limit_is_refused_with_its_true_triangle_count(tmp_path: Path) -> None:
    # A cube of six quads is twelve triangles: refused at 5 with 12, not with its six `f` lines
    # (counted before parsing, the refusal names the triangles).
    corners = [(x, y, z) for x in (0, 1) for y in (0, 1) for z in (0, 1)]
    quads = [(1, 2, 4, 3), (5, 7, 8, 6), (1, 5, 6, 2), (3, 4, 8, 7), (1, 3, 7, 5), (2, 6, 8, 4)]
    text = "".join(f"v {x} {y} {z}\n" for x, y, z in corners) + "".join(
        "f " + " ".join(map(str, quad)) + "\n" for quad in quads
    )
    code, line, _target = _run_cli(tmp_path, text.encode(), "--max-faces", "5")
    assert code == 3
    assert line is not None
    assert (line["code"], line["faces"], line["max_faces"]) == ("mesh_too_many_faces", 12, 5)


def test_a_ply_header_claiming_more_than_the_file_holds_is_unsupported() -> None:
    header = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 2000000000\nproperty float x\n"
        b"property float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\n"
        b"end_header\n"
    )
    refused = _refusal(header + b"\x00" * 64)
    assert refused.code == "unsupported_mesh"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _run_cli(tmp_path, b"v 0 0 0\n")[0] == 2  # no --max-faces
    assert _run_cli(tmp_path, b"v 0 0 0\n", "--max-faces", "0")[0] == 2


def _mutate(node: Any, rng: random.Random, depth: int = 0) -> None:
    """Replaces or deletes one value somewhere in a JSON document, in place."""
    odd: list[Any] = [None, -1, 0, 1, 3, 2**31, 2**64, 1.5, "x", [], {}, [1, 2], True, 1e308]
    if isinstance(node, dict) and node:
        key = rng.choice(list(node))
        if rng.random() < 0.5 or depth > 4:
            if rng.random() < 0.2:
                del node[key]
            else:
                node[key] = rng.choice(odd)
        else:
            _mutate(node[key], rng, depth + 1)
    elif isinstance(node, list) and node:
        index = rng.randrange(len(node))
        if rng.random() < 0.5 or depth > 4:
            node[index] = rng.choice(odd)
        else:
            _mutate(node[index], rng, depth + 1)


def test_a_damaged_glb_is_read_or_refused_never_a_crash() -> None:
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(), node_name="a", geom_name="g")
    scene.add_geometry(trimesh.creation.icosphere(subdivisions=1), node_name="b", geom_name="h")
    document, binary = read_glb(_glb(scene))
    rng = random.Random(5)
    outcomes: set[str] = set()
    for _ in range(400):
        damaged = json.loads(json.dumps(document))
        for _ in range(rng.randint(1, 3)):
            _mutate(damaged, rng)
        data = bytearray(_assemble(damaged, binary))
        if rng.random() < 0.2:
            for _ in range(5):
                data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            intake(bytes(data), MAX_FACES)
            outcomes.add("read")
        except MeshRefused as refused:
            outcomes.add(refused.code)
    assert {"read", "unsupported_mesh"} <= outcomes
