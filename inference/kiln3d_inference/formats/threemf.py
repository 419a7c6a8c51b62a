"""3MF for printing, written by lib3mf: millimetres (ModelUnit.MilliMeter), Z up, one mesh object
coloured with the base colour (a Texture2D group per textured part, a colour group otherwise)."""

from __future__ import annotations

import ctypes
import io
import tempfile
from pathlib import Path
from typing import Any

import lib3mf
import numpy as np
import numpy.typing as npt
from PIL import Image

from kiln3d_inference.formats.geometry import linear_to_srgb, print_frame, srgb_to_linear
from kiln3d_inference.formats.source import CLAMP_TO_EDGE, MIRRORED_REPEAT, Material, Model, Part, Texture

TEXTURE_RELATIONSHIP = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dtexture"
# One TriangleProperties (lib3mf's packed struct): resource id, then a property id per corner.
_TRIANGLE_PROPERTIES = np.dtype([("resource", "<u4"), ("properties", "<u4", (3,))])


def _check(wrapper: Any, owner: Any, result: int) -> None:
    wrapper.checkError(owner, result)


def _set_geometry(mesh: Any, vertices: npt.NDArray[np.float32], faces: npt.NDArray[np.uint32]) -> None:
    """MeshObject.SetGeometry without building a Python struct per vertex: lib3mf's Position and
    Triangle are packed float32[3] and uint32[3], the layout of C-contiguous (N, 3) arrays."""
    wrapper = mesh._wrapper
    vertex_buffer = (lib3mf.Position * len(vertices)).from_buffer(vertices)
    face_buffer = (lib3mf.Triangle * len(faces)).from_buffer(faces)
    result = wrapper.lib.lib3mf_meshobject_setgeometry(
        mesh._handle, ctypes.c_uint64(len(vertices)), vertex_buffer, ctypes.c_uint64(len(faces)), face_buffer
    )
    _check(wrapper, mesh, result)


def _set_triangle_properties(mesh: Any, properties: npt.NDArray[np.void]) -> None:
    """MeshObject.SetAllTriangleProperties from a C-contiguous _TRIANGLE_PROPERTIES array."""
    wrapper = mesh._wrapper
    buffer = (lib3mf.TriangleProperties * len(properties)).from_buffer(properties)
    result = wrapper.lib.lib3mf_meshobject_setalltriangleproperties(
        mesh._handle, ctypes.c_uint64(len(properties)), buffer
    )
    _check(wrapper, mesh, result)


def _tile_style(mode: int) -> Any:
    if mode == CLAMP_TO_EDGE:
        return lib3mf.TextureTileStyle.Clamp
    if mode == MIRRORED_REPEAT:
        return lib3mf.TextureTileStyle.Mirror
    return lib3mf.TextureTileStyle.Wrap


def _texture_bytes(material: Material, texture: Texture) -> tuple[bytes, Any]:
    """The texture file for the 3MF: the GLB's bytes, or, when baseColorFactor is not white, the
    texture multiplied by it (linear space) as a PNG (3MF has no colour factor)."""
    factor = np.array(material.base_color_factor, np.float32)
    if np.allclose(factor, 1.0):
        kind = lib3mf.TextureType.JPEG if texture.mime == "image/jpeg" else lib3mf.TextureType.PNG
        return texture.data, kind
    pixels = np.asarray(texture.decode().convert("RGBA")).astype(np.float32) / 255.0
    pixels[..., :3] = linear_to_srgb(srgb_to_linear(pixels[..., :3]) * factor[:3])
    pixels[..., 3] *= factor[3]
    out = io.BytesIO()
    Image.fromarray(np.round(pixels * 255).astype(np.uint8), "RGBA").save(out, format="PNG")
    return out.getvalue(), lib3mf.TextureType.PNG


class _Colours:
    """The colour resources of one 3MF: a Texture2D and its group per textured material (one
    attachment per distinct image), a colour group per untextured material."""

    def __init__(self, document: Any, workdir: Path) -> None:
        self.document = document
        self.workdir = workdir
        self.textures: dict[tuple[bytes, int, int], Any] = {}
        self.groups: dict[int, Any] = {}

    def _texture2d(self, material: Material, texture: Texture) -> Any:
        data, kind = _texture_bytes(material, texture)
        key = (data, texture.wrap_s, texture.wrap_t)
        if key not in self.textures:
            file = (
                self.workdir
                / f"texture{len(self.textures)}.{'jpg' if kind == lib3mf.TextureType.JPEG else 'png'}"
            )
            file.write_bytes(data)
            attachment = self.document.AddAttachment(f"/3D/Textures/{file.name}", TEXTURE_RELATIONSHIP)
            attachment.ReadFromFile(str(file))  # read when the 3MF is written: the folder lives until then
            texture2d = self.document.AddTexture2DFromAttachment(attachment)
            texture2d.SetContentType(kind)
            texture2d.SetTileStyleUV(_tile_style(texture.wrap_s), _tile_style(texture.wrap_t))
            self.textures[key] = texture2d
        return self.textures[key]

    def properties(self, part: Part) -> npt.NDArray[np.void]:
        """Adds what one part's colour needs; returns its triangles' properties."""
        material = part.material
        texture = material.base_color_texture
        properties = np.zeros(part.faces.shape[0], _TRIANGLE_PROPERTIES)
        if texture is not None and part.uvs is not None:
            if id(material) not in self.groups:
                self.groups[id(material)] = self.document.AddTexture2DGroup(
                    self._texture2d(material, texture)
                )
            group = self.groups[id(material)]
            # 3MF's texture origin is bottom-left, glTF's top-left.
            coords = np.column_stack([part.uvs[:, 0], 1.0 - part.uvs[:, 1]]).astype(np.float64)
            unique, inverse = np.unique(coords, axis=0, return_inverse=True)
            ids = np.array(
                [group.AddTex2Coord(lib3mf.Tex2Coord(float(u), float(v))) for u, v in unique], dtype=np.uint32
            )
            properties["resource"] = group.GetUniqueResourceID()
            properties["properties"] = ids[inverse.reshape(-1)][part.faces]
            return properties
        if id(material) not in self.groups:
            factor = np.array(material.base_color_factor, np.float32)
            red, green, blue = (float(c) for c in linear_to_srgb(factor[:3]))
            colours = self.document.AddColorGroup()
            colour = self.document._wrapper.FloatRGBAToColor(red, green, blue, float(factor[3]))
            self.groups[id(material)] = (colours, colours.AddColor(colour))
        colours, colour_id = self.groups[id(material)]
        properties["resource"] = colours.GetUniqueResourceID()
        properties["properties"] = colour_id
        return properties


def write_3mf(model: Model, target: Path, size_mm: float) -> None:
    """Writes `model` to `target` as a 3MF: unit millimetre, Z up, longest side `size_mm`, centred
    on x = y = 0, resting on z = 0 (geometry.print_frame); one mesh object holding every part, one
    build item; each textured part's base colour as a Texture2D (the GLB's image) with per-corner
    texture coordinates, each untextured part's baseColorFactor as a colour."""
    wrapper = lib3mf.get_wrapper()
    document = wrapper.CreateModel()
    document.SetUnit(lib3mf.ModelUnit.MilliMeter)
    positions, faces = model.merged()
    vertices = np.ascontiguousarray(print_frame(positions, size_mm), dtype=np.float32)
    mesh = document.AddMeshObject()
    mesh.SetName("model")
    _set_geometry(mesh, vertices, np.ascontiguousarray(faces, dtype=np.uint32))
    with tempfile.TemporaryDirectory(prefix="kiln3d-3mf-") as workdir:
        colours = _Colours(document, Path(workdir))
        properties = np.concatenate([colours.properties(part) for part in model.parts])
        _set_triangle_properties(mesh, np.ascontiguousarray(properties))
        first = properties[0]
        mesh.SetObjectLevelProperty(int(first["resource"]), int(first["properties"][0]))
        document.AddBuildItem(mesh, wrapper.GetIdentityTransform())
        document.QueryWriter("3mf").WriteToFile(str(target))
