"""Shared pieces of the formats tests (tests/test_formats_*.py): the source GLBs they convert, and
what trimesh's own glTF loader (independent of kiln3d_inference.formats.source) says about them."""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

from kiln3d_inference.engines.relief import inflate_image
from kiln3d_inference.textured_glb import textured_glb
from tests.helpers import CHUNK_BIN, CHUNK_JSON, GLB_MAGIC, read_glb, sample_images

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Reference:
    """A GLB as trimesh's loader sees it: the scene flattened (node transforms applied)."""

    triangles: int
    bounds: F64  # (2, 3) metres, glTF axes
    base_color: Image.Image | None  # the first base colour texture, decoded


def reference(path: Path) -> Reference:
    """trimesh's reading of the GLB at `path` (its own glTF loader and Scene.dump)."""
    scene = trimesh.load_scene(str(path), file_type="glb", process=False)
    meshes = [m for m in scene.dump() if isinstance(m, trimesh.Trimesh)]
    vertices = np.concatenate([m.vertices for m in meshes])
    base_color = None
    for mesh in meshes:
        material = getattr(mesh.visual, "material", None)
        image = getattr(material, "baseColorTexture", None)
        if isinstance(image, Image.Image):
            base_color = image
            break
    return Reference(
        triangles=sum(len(m.faces) for m in meshes),
        bounds=np.stack([vertices.min(axis=0), vertices.max(axis=0)]),
        base_color=base_color,
    )


def export_glb(scene: trimesh.Scene) -> bytes:
    """trimesh's GLB of a scene."""
    data: bytes = scene.export(file_type="glb")  # type: ignore[no-untyped-call]
    return data


def pack_glb(document: dict[str, object], binary: bytes) -> bytes:
    """A GLB of a glTF document and its BIN chunk (tests edit trimesh's output with it)."""
    json_chunk = json.dumps(document).encode("utf-8")
    json_chunk += b" " * (-len(json_chunk) % 4)
    binary += b"\x00" * (-len(binary) % 4)
    total = 12 + 8 + len(json_chunk) + 8 + len(binary)
    return b"".join(
        [
            struct.pack("<III", GLB_MAGIC, 2, total),
            struct.pack("<II", len(json_chunk), CHUNK_JSON),
            json_chunk,
            struct.pack("<II", len(binary), CHUNK_BIN),
            binary,
        ]
    )


def inflate_glb() -> bytes:
    """The real inflate engine's GLB of a sample picture (fixtures/samples), one textured mesh."""
    pictures = [p for p in sample_images() if "elephant" in p.name] or sample_images()
    assert pictures, "fixtures/samples holds no picture"
    return inflate_image(Image.open(io.BytesIO(pictures[0].read_bytes()))).glb


def _noise(side: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))


def _rotation(angle_deg: float, axis: tuple[float, float, float]) -> F64:
    matrix: F64 = trimesh.transformations.rotation_matrix(  # type: ignore[no-untyped-call]
        np.radians(angle_deg), axis
    )
    return matrix


def multi_part_glb() -> bytes:
    """A GLB made with trimesh like TRELLIS.2's: a PBR-textured box (base colour and
    metallic-roughness textures, alpha BLEND) and an untextured red sphere instanced at two nodes,
    each node with its own rotation, scale and translation; the box's mesh then gets a second
    primitive (a cylinder, textured with the same material) so one mesh has two primitives."""
    box = trimesh.creation.box(extents=(0.4, 0.2, 0.3)).subdivide().subdivide().subdivide()
    box_uv = np.column_stack([(box.vertices[:, 0] + 0.2) / 0.4, (box.vertices[:, 1] + 0.1) / 0.2])
    material = PBRMaterial(  # type: ignore[no-untyped-call]
        baseColorTexture=_noise(64, 1),
        metallicRoughnessTexture=_noise(32, 2),
        alphaMode="BLEND",
        name="textured",
    )
    box.visual = TextureVisuals(uv=box_uv, material=material)  # type: ignore[no-untyped-call]
    cylinder = trimesh.creation.cylinder(radius=0.05, height=0.5, sections=24)
    cylinder.apply_translation([0.0, 0.0, 0.6])
    cylinder_uv = np.column_stack(
        [np.full(len(cylinder.vertices), 0.5), np.full(len(cylinder.vertices), 0.5)]
    )
    cylinder.visual = TextureVisuals(uv=cylinder_uv, material=material)  # type: ignore[no-untyped-call]
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.1)
    sphere.visual = TextureVisuals(  # type: ignore[no-untyped-call]
        material=PBRMaterial(baseColorFactor=[200, 30, 30, 255], name="red")  # type: ignore[no-untyped-call]
    )
    scene = trimesh.Scene()
    box_pose = _rotation(30, (0, 1, 0)) @ np.diag([2.0, 1.0, 1.0, 1.0])
    box_pose[:3, 3] = [0.5, 1.0, -0.2]
    scene.add_geometry(box, geom_name="box", node_name="box_node", transform=box_pose)
    scene.add_geometry(cylinder, geom_name="cylinder", node_name="cylinder_node", transform=box_pose)
    first = _rotation(45, (1, 0, 0))
    first[:3, 3] = [-1.0, 0.0, 0.0]
    second = np.diag([3.0, 3.0, 3.0, 1.0])
    second[:3, 3] = [0.0, -0.5, 0.5]
    scene.add_geometry(sphere, geom_name="sphere", node_name="sphere_a", transform=first)
    scene.add_geometry(sphere, geom_name="sphere", node_name="sphere_b", transform=second)
    exported = export_glb(scene)
    document, binary = read_glb(exported)
    meshes = document["meshes"]
    nodes = document["nodes"]
    assert isinstance(meshes, list)
    assert isinstance(nodes, list)
    names = [m.get("name") for m in meshes]
    box_mesh, cylinder_mesh = names.index("box"), names.index("cylinder")
    meshes[box_mesh]["primitives"].extend(meshes[cylinder_mesh]["primitives"])
    # The cylinder's own node goes (its triangles now come through the box's mesh); the mesh stays
    # unreferenced, so the scene's triangles are the box's, the cylinder's once and the sphere's twice.
    for node in nodes:
        if node.get("mesh") == cylinder_mesh:
            del node["mesh"]
    assert sum(len(m["primitives"]) for m in meshes if m.get("name") == "box") == 2
    return pack_glb(document, binary)


def nan_glb(collapsed: bool = False) -> bytes:
    """A one-triangle-pair GLB whose positions include NaN (collapsed: all at the origin instead)."""
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [np.nan, 1, 0]], np.float32)
    if collapsed:
        positions[:] = 0.0
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (120, 30, 200)).save(buffer, format="PNG")
    return textured_glb(
        positions,
        np.tile(np.array([[0, 0, 1]], np.float32), (4, 1)),
        np.zeros((4, 2), np.float32),
        np.array([[0, 1, 2], [1, 3, 2]], np.uint32),
        buffer.getvalue(),
        generator="kiln3d tests",
    )


def point_cloud_glb() -> bytes:
    """A GLB holding only a point cloud (trimesh writes it as a mode-0 primitive): no triangles."""
    points = np.random.default_rng(3).random((50, 3))
    return export_glb(trimesh.Scene(trimesh.PointCloud(points)))  # type: ignore[no-untyped-call]


def to_print_bounds(bounds: F64, size_mm: float) -> F64:
    """What the printing frame makes of glTF bounds (metres, Y up): Z up (x, -z, y), the longest
    side size_mm, centred on x = y = 0, resting on z = 0."""
    lo, hi = bounds
    turned_lo = np.array([lo[0], -hi[2], lo[1]])
    turned_hi = np.array([hi[0], -lo[2], hi[1]])
    extent = turned_hi - turned_lo
    scale = size_mm / extent.max()
    half = extent * scale / 2
    return np.stack([[-half[0], -half[1], 0.0], [half[0], half[1], extent[2] * scale]])


def assert_bounds_close(actual: F64, expected: F64, tolerance: float = 0.01) -> None:
    """Each corner coordinate within `tolerance` of the box's longest side."""
    longest = float((expected[1] - expected[0]).max())
    np.testing.assert_allclose(actual, expected, atol=tolerance * longest, rtol=0)
