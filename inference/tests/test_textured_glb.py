"""The inflate GLB as trimesh's exporter writes it (kiln3d_inference/textured_glb.py), read back two
ways: as raw glTF (tests/helpers.parse_mesh, glTF's UV convention) and with trimesh.load (its own
convention, V flipped on reading). Until issue 23 the file came from a hand-written encoder (glb.py);
the comparison with it ran once, then became the stored expectations below."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

from kiln3d_inference.engines import relief
from kiln3d_inference.glb import TexturedMesh, encode_glb
from kiln3d_inference.textured_glb import textured_glb
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


def _inflate_with_inputs(monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, tuple[Any, ...]]:
    """The inflate GLB of quadrant_picture() and the arrays relief.py handed to textured_glb."""
    seen: list[tuple[Any, ...]] = []

    def spy(*args: Any, **kwargs: Any) -> bytes:
        seen.append(args)
        return textured_glb(*args, **kwargs)

    monkeypatch.setattr(relief, "textured_glb", spy)
    glb = relief.inflate_image(quadrant_picture()).glb
    return glb, seen[0]


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


def test_trimesh_writes_what_the_old_encoder_wrote(monkeypatch: pytest.MonkeyPatch) -> None:
    new, (positions, normals, uvs, triangles, texture) = _inflate_with_inputs(monkeypatch)
    old = encode_glb(TexturedMesh(positions, normals, uvs, triangles, texture, "image/jpeg"), "Kiln3D test")
    # As raw glTF: the same arrays, in the same order, and the JPEG byte for byte.
    raw_old, raw_new = parse_mesh(old), parse_mesh(new)
    assert np.array_equal(raw_new.positions, raw_old.positions)
    assert np.array_equal(raw_new.triangles, raw_old.triangles)
    assert np.array_equal(raw_new.normals, raw_old.normals)
    assert np.allclose(raw_new.uvs, raw_old.uvs, atol=1e-7, rtol=0)
    assert raw_new.texture == raw_old.texture == texture
    assert np.array_equal(_pixels(raw_new.texture), _pixels(raw_old.texture))
    # As another glTF reader sees them.
    mesh_old, mesh_new = _loaded(old), _loaded(new)
    assert np.array_equal(mesh_new.vertices, mesh_old.vertices)
    assert np.array_equal(mesh_new.faces, mesh_old.faces)
    assert len(mesh_new.faces) == len(triangles)
    assert np.allclose(mesh_new.uv, mesh_old.uv, atol=1e-7, rtol=0)
    assert np.array_equal(
        np.asarray(mesh_new.texture.convert("RGB")), np.asarray(mesh_old.texture.convert("RGB"))
    )
