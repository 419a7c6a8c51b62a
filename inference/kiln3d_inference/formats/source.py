"""Reading a source GLB into the normalised model every format writer starts from.

The engines' GLBs (inflate's one textured primitive, TRELLIS.2's o_voxel `to_glb`: PBR base colour
and metallic-roughness textures, possibly several primitives and nodes, maybe alpha) are read by
trimesh's glTF loader (`trimesh.load_scene`: accessors, strides, triangle strips, node transforms,
PBR materials and decoded textures). Each primitive placed by a node becomes a Part in world space,
through trimesh's `apply_transform` (normals turned, winding kept outward under a mirroring node).

What is our own here, and why:
- trimesh keeps textures only as decoded PIL images, so the GLB's encoded image (PNG or JPEG) is
  looked up in the glTF document (textures[i].source -> images[j].bufferView -> BIN chunk bytes)
  for writers to copy without re-encoding, with the sampler's wrap modes trimesh does not keep.
  Any other image (WebP, a data URI) is trimesh's decoded image written once, losslessly, as PNG.
  trimesh's materials do not say which glTF material they are, so the document's primitives are
  matched to trimesh's geometries by order: its loader makes one geometry per primitive of mode
  points, lines, triangles or strip, in the document's order (checked by count).
  pygltflib was weighed for this lookup and not taken: it would parse the whole file a second time,
  adds dataclasses-json and deprecated, ships no type information, and does not notice a
  truncated file, for about ten lines of JSON-chunk reading it would replace.
- trimesh does not check what it cannot read: a truncated file, required Draco / meshopt /
  quantization extensions (read as zeros), sparse accessors (substitution not applied), integer
  positions, normals or texture coordinates (normalisation not applied), triangle fans (skipped).
  Those are refused here with SourceError rather than converted wrongly; the engines write none.

Points and lines are not triangles and are left out. Anything that cannot be read as a triangle
mesh raises SourceError, whose message is for people.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import trimesh
from PIL import Image
from trimesh.visual.color import ColorVisuals
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

REPEAT, CLAMP_TO_EDGE, MIRRORED_REPEAT = 10497, 33071, 33648
FLOAT = 5126
# The primitive modes trimesh's loader makes a geometry of (points, lines, triangles, strip), and fans.
_LOADED_MODES, TRIANGLE_FAN = (0, 1, 4, 5), 6
# Extensions that change how vertex data is stored: a file that requires one is not readable here.
_UNSUPPORTED_REQUIRED = ("KHR_draco_mesh_compression", "EXT_meshopt_compression", "KHR_mesh_quantization")


class SourceError(Exception):
    """The source cannot be read as a triangle mesh (not a GLB, no triangles, non-finite positions,
    points or lines only). str(error) is a message for people."""


@dataclass(frozen=True)
class Texture:
    """A texture image as stored in the GLB: `data` is the encoded file (`mime` image/png or
    image/jpeg; other encodings are re-encoded to PNG when read), with the glTF sampler's wrap modes
    (REPEAT, CLAMP_TO_EDGE or MIRRORED_REPEAT)."""

    data: bytes
    mime: str
    wrap_s: int = REPEAT
    wrap_t: int = REPEAT

    @property
    def extension(self) -> str:
        """The file name extension of `data`: "png" or "jpg"."""
        return "jpg" if self.mime == "image/jpeg" else "png"

    def decode(self) -> Image.Image:
        """The decoded image (RGB, RGBA, L or LA as stored)."""
        image = Image.open(io.BytesIO(self.data))
        image.load()
        return image


@dataclass(frozen=True)
class Material:
    """A glTF metallic-roughness material. Factors are linear (glTF); base_color_factor is RGBA in
    0..1 (in steps of 1/255: trimesh keeps it as 8-bit RGBA). alpha_mode is "OPAQUE", "MASK" or
    "BLEND"."""

    name: str
    base_color_factor: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    base_color_texture: Texture | None = None
    metallic_factor: float = 1.0
    roughness_factor: float = 1.0
    metallic_roughness_texture: Texture | None = None
    alpha_mode: str = "OPAQUE"
    alpha_cutoff: float = 0.5
    double_sided: bool = False


@dataclass(frozen=True)
class Part:
    """One primitive of the scene in world space (node transforms applied; glTF axes: Y up, metres).

    positions (N, 3) float64; faces (M, 3) int64 indices into positions, counter-clockwise seen from
    outside (flipped when a node mirrors); normals (N, 3) float32 unit or None; uvs (N, 2) float32 in
    glTF's convention (origin top-left) from TEXCOORD_0, or None; colors (N, 4) float32 linear RGBA
    from COLOR_0, or None."""

    name: str
    positions: F64
    faces: I64
    material: Material
    normals: F32 | None = None
    uvs: F32 | None = None
    colors: F32 | None = None


@dataclass(frozen=True)
class Model:
    """The whole model: every triangle primitive of the GLB's scene, flattened."""

    parts: tuple[Part, ...]
    source_bytes: int = 0
    _merged: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def triangles(self) -> int:
        """The number of triangles, equal to the GLB's."""
        return sum(int(p.faces.shape[0]) for p in self.parts)

    def merged(self) -> tuple[F64, I64]:
        """All parts as one vertex array (N, 3) float64 and one face array (M, 3) int64 (no vertex
        merging: each part's vertices follow the previous part's)."""
        if "geometry" not in self._merged:
            offsets = np.cumsum([0] + [p.positions.shape[0] for p in self.parts])
            positions = np.concatenate([p.positions for p in self.parts])
            faces = np.concatenate([p.faces + offsets[i] for i, p in enumerate(self.parts)])
            self._merged["geometry"] = (positions, faces)
        result: tuple[F64, I64] = self._merged["geometry"]
        return result

    def bounds(self) -> F64:
        """(2, 3): the lowest and highest corner of the axis-aligned bounding box, in metres."""
        positions = self.merged()[0]
        return np.stack([positions.min(axis=0), positions.max(axis=0)])


def _document(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The GLB's JSON document and BIN chunk, after the checks trimesh's loader leaves out."""
    if len(data) < 20 or data[:4] != b"glTF":
        raise SourceError("The file is not a GLB (binary glTF 2.0).")
    version, total, json_length = struct.unpack_from("<III", data, 4)
    if version != 2:
        raise SourceError(f"The file is glTF version {version}; only glTF 2.0 is supported.")
    if total > len(data) or 20 + json_length > total:
        raise SourceError("The GLB is truncated.")
    try:
        document = json.loads(data[20 : 20 + json_length])
    except ValueError as error:
        raise SourceError(f"The GLB's JSON chunk is not valid JSON ({error}).") from None
    if not isinstance(document, dict):
        raise SourceError("The GLB's JSON chunk is not a glTF document.")
    required = [name for name in document.get("extensionsRequired", []) if name in _UNSUPPORTED_REQUIRED]
    if required:
        raise SourceError(f"The GLB needs {', '.join(required)}, which this converter cannot read.")
    start = 20 + json_length + 8
    binary = data[start : start + struct.unpack_from("<I", data, start - 8)[0]] if start <= total else b""
    return document, binary


def _texture(document: dict[str, Any], binary: bytes, info: Any, decoded: Any) -> Texture | None:
    """The Texture of the textureInfo `info`, whose image trimesh decoded as `decoded` (None: the
    material has no such texture, or trimesh could not read its image)."""
    if not isinstance(decoded, Image.Image):
        return None
    texture = document["textures"][info["index"]] if isinstance(info, dict) else {}
    sources = [texture.get("source")] + [e.get("source") for e in texture.get("extensions", {}).values()]
    image: dict[str, Any] = next((document["images"][s] for s in sources if s is not None), {})
    data = b""
    if "bufferView" in image and "uri" not in document["buffers"][0]:
        view = document["bufferViews"][image["bufferView"]]
        if view.get("buffer", 0) == 0:
            data = binary[view.get("byteOffset", 0) : view.get("byteOffset", 0) + view["byteLength"]]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif data.startswith(b"\xff\xd8"):
        mime = "image/jpeg"
    else:  # WebP, a data URI and the like: trimesh's decoded image, once, losslessly as PNG
        out = io.BytesIO()
        decoded.save(out, format="PNG")
        data, mime = out.getvalue(), "image/png"
    sampler = document["samplers"][texture["sampler"]] if "sampler" in texture else {}
    return Texture(data, mime, int(sampler.get("wrapS", REPEAT)), int(sampler.get("wrapT", REPEAT)))


def _material(document: dict[str, Any], binary: bytes, index: Any, loaded: Any) -> Material:
    """The Material of glTF material `index` as trimesh loaded it (`loaded`, a PBRMaterial), with
    the GLB's own texture files."""
    if index is None or not isinstance(loaded, PBRMaterial):
        return Material(name="default")
    pbr = document["materials"][index].get("pbrMetallicRoughness", {})
    r, g, b, a = (255, 255, 255, 255) if loaded.baseColorFactor is None else loaded.baseColorFactor  # 8-bit
    return Material(
        name=str(loaded.name or f"material{index}"),
        base_color_factor=(r / 255.0, g / 255.0, b / 255.0, a / 255.0),
        base_color_texture=_texture(document, binary, pbr.get("baseColorTexture"), loaded.baseColorTexture),
        metallic_factor=1.0 if loaded.metallicFactor is None else float(loaded.metallicFactor),
        roughness_factor=1.0 if loaded.roughnessFactor is None else float(loaded.roughnessFactor),
        metallic_roughness_texture=_texture(
            document, binary, pbr.get("metallicRoughnessTexture"), loaded.metallicRoughnessTexture
        ),
        alpha_mode=str(loaded.alphaMode or "OPAQUE"),
        alpha_cutoff=0.5 if loaded.alphaCutoff is None else float(loaded.alphaCutoff),
        double_sided=bool(loaded.doubleSided),
    )


def _refuse_what_trimesh_misreads(document: dict[str, Any], primitives: list[dict[str, Any]]) -> None:
    """SourceError for what trimesh would read wrongly or leave out (see the module docstring)."""
    accessors = document.get("accessors", [])
    if any(p.get("mode") == TRIANGLE_FAN for m in document.get("meshes", []) for p in m["primitives"]):
        raise SourceError("The GLB has triangle fans, which this converter cannot read.")
    for primitive in primitives:
        attributes = primitive["attributes"]
        for name in ("POSITION", "NORMAL", "TEXCOORD_0", "COLOR_0", "indices"):
            index = primitive.get("indices") if name == "indices" else attributes.get(name)
            if index is None:
                continue
            accessor = accessors[index]
            if "sparse" in accessor:
                raise SourceError("The GLB has sparse accessors, which this converter cannot read.")
            if name in ("POSITION", "NORMAL", "TEXCOORD_0") and accessor["componentType"] != FLOAT:
                raise SourceError(f"The GLB stores {name} as integers, which this converter cannot read.")


def _colors(raw: Any) -> F32:
    """COLOR_0 as trimesh keeps it (floats, or unsigned integers as stored) as linear RGBA 0..1."""
    values = np.asarray(raw, np.float32)
    if np.asarray(raw).dtype.kind == "u":
        values /= np.iinfo(np.asarray(raw).dtype).max
    if values.shape[1] == 3:
        values = np.column_stack([values, np.ones(len(values), np.float32)])
    return values


def read_model(path: Path) -> Model:
    """Reads the GLB at `path` into a Model: every triangle primitive of its default scene in world
    space, in the order of the GLB's meshes and primitives (a mesh placed by several nodes once per
    node). Raises SourceError when the file is not a readable GLB, has no triangles, has non-finite
    positions or all its vertices at one point; OSError when it cannot be read."""
    data = path.read_bytes()
    document, binary = _document(data)
    try:
        meshes = document.get("meshes", [])
        primitives = [p for m in meshes for p in m["primitives"] if p.get("mode", 4) in _LOADED_MODES]
        _refuse_what_trimesh_misreads(document, primitives)
        scene = trimesh.load_scene(io.BytesIO(data), file_type="glb", process=False)
        if len(primitives) != len(scene.geometry):
            raise RuntimeError(
                f"trimesh made {len(scene.geometry)} geometries of {len(primitives)} primitives"
            )
        parts: list[Part] = []
        materials: dict[Any, Material] = {}
        for primitive, (name, geometry) in zip(primitives, scene.geometry.items(), strict=True):
            if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
                continue  # points and lines
            if geometry.faces.max() >= len(geometry.vertices):
                raise SourceError("A primitive's indices point past its vertices.")
            key = primitive.get("material")
            visual = geometry.visual
            if key not in materials:
                materials[key] = _material(document, binary, key, getattr(visual, "material", None))
            attributes = primitive["attributes"]
            uvs = None
            if isinstance(visual, TextureVisuals) and visual.uv is not None:
                uvs = np.column_stack([visual.uv[:, 0], 1.0 - visual.uv[:, 1]]).astype(np.float32)  # glTF's
            colors = None  # COLOR_0: trimesh's vertex colours, or beside a material a vertex attribute
            if "COLOR_0" in attributes and isinstance(visual, TextureVisuals):
                colors = _colors(visual.vertex_attributes["color"])
            elif "COLOR_0" in attributes and isinstance(visual, ColorVisuals):
                colors = _colors(visual.vertex_colors)
            for node in scene.graph.geometry_nodes.get(name, []):
                transform, _ = scene.graph[node]
                placed = trimesh.Trimesh(
                    geometry.vertices,
                    geometry.faces,
                    vertex_normals=geometry.vertex_normals if "NORMAL" in attributes else None,
                    process=False,
                )
                placed.apply_transform(transform)
                parts.append(
                    Part(
                        name=str(name),
                        positions=np.asarray(placed.vertices, np.float64),
                        faces=np.asarray(placed.faces, np.int64),
                        material=materials[key],
                        normals=placed.vertex_normals.astype(np.float32) if "NORMAL" in attributes else None,
                        uvs=uvs,
                        colors=colors,
                    )
                )
    except (KeyError, IndexError, TypeError, ValueError, AssertionError, NotImplementedError) as error:
        raise SourceError(f"The GLB cannot be read as glTF 2.0 ({type(error).__name__}: {error}).") from None

    if not parts:
        raise SourceError("The GLB has no triangles (no mesh, or only points or lines).")
    for part in parts:
        if not np.isfinite(part.positions).all():
            raise SourceError("The GLB has vertex positions that are not finite numbers (NaN or infinity).")
    model = Model(parts=tuple(parts), source_bytes=len(data))
    low, high = model.bounds()
    if not float((high - low).max()) > 0:
        raise SourceError("The GLB's triangles have no size: every vertex is at one point.")
    return model
