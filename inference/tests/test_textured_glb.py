"""The inflate GLB as trimesh's exporter writes it (kiln3d_inference/textured_glb.py), read back two
ways: as raw glTF (tests/helpers.parse_mesh, glTF's UV convention) and with trimesh.load (its own
convention, V flipped on reading). Until issue 23 the file came from a hand-written encoder (glb.py);
the comparison with its output for the same relief passed (commit 725cc1b), then became the stored
expectations below."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import trimesh
from PIL import Image
from trimesh.visual.color import uv_to_color
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

from kiln3d_inference.engines import relief
from tests.helpers import parse_mesh

# Quadrant colours of the test picture (top-left, top-right, bottom-left, bottom-right).
RED, GREEN, BLUE, YELLOW = (220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 210, 40)


def quadrant_picture() -> Image.Image:
    """An ellipse 240 x 160 px on a transparent 320 x 240 canvas, one colour per quadrant."""
    width, height = 320, 240
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    inside = ((xs - 160) / 120) ** 2 + ((ys - 120) / 80) ** 2 < 1
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[:120, :160], rgb[:120, 160:], rgb[120:, :160], rgb[120:, 160:] = RED, GREEN, BLUE, YELLOW
    alpha = np.where(inside, 255, 0).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA")


@dataclass(frozen=True)
class Loaded:
    """A GLB's one mesh as trimesh.load reads it (UVs in trimesh's convention: origin bottom left)."""

    vertices: npt.NDArray[np.float64]
    faces: npt.NDArray[np.int64]
    uv: npt.NDArray[np.float64]
    texture: Image.Image


def _loaded(glb: bytes) -> Loaded:
    scene = trimesh.load(io.BytesIO(glb), file_type="glb", process=False)
    assert isinstance(scene, trimesh.Scene)
    (mesh,) = scene.geometry.values()
    assert isinstance(mesh, trimesh.Trimesh)
    assert isinstance(mesh.visual, TextureVisuals)
    material = mesh.visual.material
    assert isinstance(material, PBRMaterial)
    assert isinstance(material.baseColorTexture, Image.Image)
    return Loaded(
        np.asarray(mesh.vertices),
        np.asarray(mesh.faces),
        np.asarray(mesh.visual.uv),
        material.baseColorTexture,
    )


def _pixels(texture: bytes) -> npt.NDArray[np.uint8]:
    return np.asarray(Image.open(io.BytesIO(texture)).convert("RGB"))


# What the old encoder wrote for quadrant_picture() (the comparison with trimesh's export found the
# same arrays, the same JPEG, UVs within 1e-7): stored since glb.py is gone.
EXPECTED_TRIANGLES, EXPECTED_VERTICES = 99_936, 49_970
EXPECTED_BOX = ((-0.5, -1 / 3, -0.20908), (0.5, 1 / 3, 0.20908))
EXPECTED_TEXTURE_SIZE = (240, 160)  # the picture cropped to the ellipse
# glTF UVs (origin top left) at the quadrants' centres and the colour seen there.
KNOWN_UVS = {(0.25, 0.25): RED, (0.75, 0.25): GREEN, (0.25, 0.75): BLUE, (0.75, 0.75): YELLOW}
JPEG_TOLERANCE = 12  # per channel, flat areas of a quality-90 JPEG


@pytest.fixture(scope="module")
def glb() -> bytes:
    return relief.inflate_image(quadrant_picture()).glb


def _colour_at(texture: npt.NDArray[np.uint8], u: float, v: float) -> npt.NDArray[np.int64]:
    """The texel at glTF UV (u, v): origin at the image's top left."""
    height, width = texture.shape[:2]
    return np.asarray(texture[min(int(v * height), height - 1), min(int(u * width), width - 1)], np.int64)


def test_inflate_glb_keeps_the_stored_shape_and_texture(glb: bytes) -> None:
    raw = parse_mesh(glb)
    assert raw.triangle_count == EXPECTED_TRIANGLES
    assert raw.positions.shape == (EXPECTED_VERTICES, 3)
    assert np.allclose(raw.positions.min(axis=0), EXPECTED_BOX[0], atol=1e-4)
    assert np.allclose(raw.positions.max(axis=0), EXPECTED_BOX[1], atol=1e-4)
    assert np.allclose(raw.uvs.min(axis=0), (0.0, 0.0), atol=1e-6)
    assert np.allclose(raw.uvs.max(axis=0), (1.0, 1.0), atol=1e-6)
    assert np.allclose(np.linalg.norm(raw.normals, axis=1), 1.0, atol=1e-3)
    picture = Image.open(io.BytesIO(raw.texture))
    assert picture.format == "JPEG"
    assert picture.size == EXPECTED_TEXTURE_SIZE
    texture = _pixels(raw.texture)
    for (u, v), colour in KNOWN_UVS.items():
        assert np.abs(_colour_at(texture, u, v) - colour).max() <= JPEG_TOLERANCE, (u, v)


def test_inflate_glb_document(glb: bytes) -> None:
    raw = parse_mesh(glb)
    document: dict[str, Any] = raw.document
    assert document["asset"] == {"version": "2.0", "generator": "Kiln3D inflate"}
    (material,) = document["materials"]
    assert material["name"] == "surface"
    assert material["pbrMetallicRoughness"]["metallicFactor"] == 0.0
    assert material["pbrMetallicRoughness"]["roughnessFactor"] == 0.9
    (image,) = document["images"]
    assert image["mimeType"] == "image/jpeg"
    (texture,) = document["textures"]
    assert document["samplers"][texture["sampler"]] == {
        "magFilter": 9729,
        "minFilter": 9987,
        "wrapS": 33071,
        "wrapT": 33071,
    }
    (mesh,) = document["meshes"]
    (primitive,) = mesh["primitives"]
    views, accessors = document["bufferViews"], document["accessors"]
    assert views[accessors[primitive["indices"]]["bufferView"]]["target"] == 34963
    assert {views[accessors[a]["bufferView"]].get("target") for a in primitive["attributes"].values()} == {
        34962
    }
    assert set(primitive["attributes"]) == {"POSITION", "NORMAL", "TEXCOORD_0"}
    # The picture's view holds the JPEG exactly (from SOI to EOI, none of trimesh's padding).
    assert raw.texture[:2] == b"\xff\xd8"
    assert raw.texture[-2:] == b"\xff\xd9"


def test_each_vertex_shows_its_part_of_the_picture(glb: bytes) -> None:
    """Front vertices in each quarter of the model sample that quarter's colour, read as raw glTF
    and through trimesh.load (its V flipped back): positions, UVs and texture agree."""
    raw = parse_mesh(glb)
    loaded = _loaded(glb)
    assert np.array_equal(loaded.vertices, raw.positions)
    assert np.array_equal(loaded.faces, raw.triangles)
    assert np.allclose(loaded.uv[:, 0], raw.uvs[:, 0], atol=1e-6)
    assert np.allclose(loaded.uv[:, 1], 1.0 - raw.uvs[:, 1], atol=1e-6)
    x, y, z = raw.positions.T
    texture = _pixels(raw.texture)
    quarters = {(-1, 1): RED, (1, 1): GREEN, (-1, -1): BLUE, (1, -1): YELLOW}
    for (sx, sy), colour in quarters.items():
        chosen = (sx * x > 0.15) & (sx * x < 0.35) & (sy * y > 0.08) & (sy * y < 0.25) & (z > 0)
        assert chosen.sum() > 50
        seen = np.array([_colour_at(texture, u, v) for u, v in raw.uvs[chosen]])
        assert np.abs(np.median(seen, axis=0) - colour).max() <= JPEG_TOLERANCE, (sx, sy)
        through_trimesh = uv_to_color(loaded.uv[chosen], loaded.texture)[:, :3].astype(np.int64)
        assert np.abs(np.median(through_trimesh, axis=0) - colour).max() <= JPEG_TOLERANCE, (sx, sy)
