"""Reading a GLB into the formats tool's model (kiln3d_inference/formats/source.py): the scene graph
flattened as trimesh's own loader flattens it, every primitive kept, mirrored nodes keeping the
outward winding, textures kept byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

from kiln3d_inference.formats.geometry import is_watertight, print_frame
from kiln3d_inference.formats.source import SourceError, read_model
from tests.formats_support import assert_bounds_close, export_glb, multi_part_glb, reference
from tests.helpers import read_glb


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("source") / "multi.glb"
    path.write_bytes(multi_part_glb())
    return path


def test_the_scene_is_flattened_as_trimesh_flattens_it(multi: Path) -> None:
    model = read_model(multi)
    ref = reference(multi)
    # box + cylinder (two primitives of one mesh) and the sphere at two nodes.
    assert len(model.parts) == 4
    assert model.triangles == ref.triangles
    assert_bounds_close(model.bounds(), ref.bounds, tolerance=1e-6)
    textured = [p for p in model.parts if p.material.base_color_texture is not None]
    assert len(textured) == 2
    assert textured[0].material is textured[1].material
    assert textured[0].material.alpha_mode == "BLEND"
    assert textured[0].material.metallic_roughness_texture is not None


def test_textures_are_the_glb_bytes(multi: Path) -> None:
    model = read_model(multi)
    document, binary = read_glb(multi.read_bytes())
    images = document["images"]
    views = document["bufferViews"]
    assert isinstance(images, list)
    assert isinstance(views, list)
    stored = []
    for image in images:
        view = views[image["bufferView"]]
        start = view.get("byteOffset", 0)
        stored.append(binary[start : start + view["byteLength"]])
    texture = model.parts[0].material.base_color_texture
    assert texture is not None
    assert texture.data in stored


def test_a_mirroring_node_keeps_the_triangles_facing_out(tmp_path: Path) -> None:
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(), transform=np.diag([-1.0, 2.0, 1.0, 1.0]))
    path = tmp_path / "mirrored.glb"
    path.write_bytes(export_glb(scene))
    model = read_model(path)
    positions, faces = model.merged()
    mesh = trimesh.Trimesh(positions, faces, process=False)
    assert mesh.volume == pytest.approx(2.0)  # positive: outward winding
    assert is_watertight(positions, faces)


def test_the_printing_frame_turns_y_up_into_z_up_keeping_handedness() -> None:
    positions = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.5]])
    framed = print_frame(positions, 100.0)
    # Longest side (glTF's Y, 2 m) is Z, 100 mm; glTF's +Z (front) is -Y; x/y centred; z from 0.
    assert framed[:, 2].max() == pytest.approx(100.0)
    assert framed[:, 2].min() == pytest.approx(0.0)
    np.testing.assert_allclose(framed[:, :2].min(axis=0), -framed[:, :2].max(axis=0))
    x, y, z = framed[1] - framed[0], framed[2] - framed[0], framed[3] - framed[0]
    assert x[0] > 0
    assert y[2] > 0
    assert z[1] < 0
    assert np.dot(np.cross(x, y), z) > 0  # the images of X, Y, Z still right-handed


def test_a_glb_of_lines_only_has_no_triangles(tmp_path: Path) -> None:
    path_3d = trimesh.load_path(np.array([[[0.0, 0, 0], [1, 1, 1]], [[1, 0, 0], [0, 1, 0]]]))
    path = tmp_path / "lines.glb"
    path.write_bytes(export_glb(trimesh.Scene(path_3d)))
    with pytest.raises(SourceError, match="no triangles"):
        read_model(path)


def test_webp_textures_are_read_as_png_of_the_same_pixels(tmp_path: Path) -> None:
    # The trellis2 engine may write EXT_texture_webp (settings.webp_textures): USDZ and MTL want PNG.
    box = trimesh.creation.box()
    picture = Image.fromarray(np.random.default_rng(5).integers(0, 256, (16, 16, 3), dtype=np.uint8))
    box.visual = TextureVisuals(  # type: ignore[no-untyped-call]
        uv=box.vertices[:, :2] + 0.5,
        material=PBRMaterial(baseColorTexture=picture),  # type: ignore[no-untyped-call]
    )
    path = tmp_path / "webp.glb"
    path.write_bytes(trimesh.Scene(box).export(file_type="glb", extension_webp=True))  # type: ignore[no-untyped-call]
    document, _ = read_glb(path.read_bytes())
    assert "EXT_texture_webp" in str(document.get("extensionsUsed"))
    texture = read_model(path).parts[0].material.base_color_texture
    assert texture is not None
    assert texture.mime == "image/png"
    expected = np.asarray(reference(path).base_color.convert("RGB"))  # type: ignore[union-attr]
    np.testing.assert_array_equal(np.asarray(texture.decode().convert("RGB")), expected)
