"""Reading a source GLB into the normalised model every format writer starts from.

The engines' GLBs (inflate's one textured primitive, TRELLIS.2's o_voxel `to_glb`: PBR base colour
and metallic-roughness textures, possibly several primitives and nodes, maybe alpha) are read here
once: the scene graph is flattened (each primitive's vertices in world space, the node transforms
applied), the triangles are kept exactly as the GLB has them (strips and fans unrolled), and each
texture is kept as its encoded bytes (PNG or JPEG as in the file) so that writers can copy it
without re-encoding. Points and lines are not triangles and are left out.

Anything that cannot be read as a triangle mesh raises SourceError, whose message is for people.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

GLB_MAGIC = 0x46546C67
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6
REPEAT, CLAMP_TO_EDGE, MIRRORED_REPEAT = 10497, 33071, 33648
_COMPONENTS: dict[int, str] = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
_NORMALIZED_DIVISOR: dict[int, float] = {5120: 127.0, 5121: 255.0, 5122: 32767.0, 5123: 65535.0}
_WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
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
    0..1. alpha_mode is "OPAQUE", "MASK" or "BLEND"."""

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
    glTF's convention (origin top-left) of the base colour texture's texCoord set, or None; colors
    (N, 4) float32 linear RGBA from COLOR_0, or None."""

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


def _sniff_mime(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return None


class _Reader:
    """One GLB's JSON document and buffers, with accessor decoding."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 20:
            raise SourceError("The file is not a GLB (binary glTF 2.0): it is too short.")
        magic, version, total = struct.unpack_from("<III", data, 0)
        if magic != GLB_MAGIC:
            raise SourceError("The file is not a GLB (binary glTF 2.0).")
        if version != 2:
            raise SourceError(f"The file is glTF version {version}; only glTF 2.0 is supported.")
        if total > len(data):
            raise SourceError("The GLB is truncated.")
        json_len, json_type = struct.unpack_from("<II", data, 12)
        if json_type != CHUNK_JSON or 20 + json_len > total:
            raise SourceError("The GLB has no valid JSON chunk.")
        try:
            document = json.loads(data[20 : 20 + json_len])
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SourceError(f"The GLB's JSON chunk is not valid JSON ({error}).") from None
        if not isinstance(document, dict):
            raise SourceError("The GLB's JSON chunk is not a glTF document.")
        self.doc: dict[str, Any] = document
        binary = b""
        rest = 20 + json_len
        if rest + 8 <= total:
            bin_len, bin_type = struct.unpack_from("<II", data, rest)
            if bin_type == CHUNK_BIN:
                binary = data[rest + 8 : rest + 8 + bin_len]
        required = [name for name in document.get("extensionsRequired", []) if name in _UNSUPPORTED_REQUIRED]
        if required:
            raise SourceError(f"The GLB needs {', '.join(required)}, which this converter cannot read.")
        self.buffers: list[bytes] = []
        for index, buffer in enumerate(document.get("buffers", [])):
            uri = buffer.get("uri")
            if uri is None:
                self.buffers.append(binary if index == 0 else b"")
            elif isinstance(uri, str) and uri.startswith("data:") and "," in uri:
                self.buffers.append(base64.b64decode(uri.split(",", 1)[1]))
            else:
                raise SourceError("The GLB refers to an external buffer file; it must be self-contained.")

    def _list(self, key: str) -> list[Any]:
        value = self.doc.get(key, [])
        if not isinstance(value, list):
            raise SourceError(f"The glTF document's {key} is not a list.")
        return value

    def _item(self, key: str, index: Any) -> dict[str, Any]:
        items = self._list(key)
        if not isinstance(index, int) or not 0 <= index < len(items) or not isinstance(items[index], dict):
            raise SourceError(f"The glTF document refers to {key}[{index}], which does not exist.")
        item: dict[str, Any] = items[index]
        return item

    def view_bytes(self, index: Any) -> bytes:
        """The bytes of bufferView `index`."""
        view = self._item("bufferViews", index)
        buffer = self.buffers[view["buffer"]] if 0 <= view.get("buffer", -1) < len(self.buffers) else b""
        start = int(view.get("byteOffset", 0))
        end = start + int(view["byteLength"])
        if end > len(buffer):
            raise SourceError(f"The GLB's bufferView {index} lies outside its buffer.")
        return buffer[start:end]

    def accessor(self, index: Any) -> npt.NDArray[Any]:
        """Accessor `index` as a (count, width) array: float64 for floats and normalised integers,
        int64 for other integers; sparse substitution applied."""
        acc = self._item("accessors", index)
        component = int(acc.get("componentType", 0))
        if component not in _COMPONENTS or acc.get("type") not in _WIDTHS:
            raise SourceError(f"The GLB's accessor {index} has an unknown component type or shape.")
        dtype = np.dtype(_COMPONENTS[component])
        width = _WIDTHS[acc["type"]]
        count = int(acc.get("count", 0))
        element = dtype.itemsize * width
        if "bufferView" in acc:
            view = self._item("bufferViews", acc["bufferView"])
            data = self.view_bytes(acc["bufferView"])
            start = int(acc.get("byteOffset", 0))
            stride = int(view.get("byteStride") or element)
            if count and start + stride * (count - 1) + element > len(data):
                raise SourceError(f"The GLB's accessor {index} reads past the end of its bufferView.")
            raw = np.ndarray(
                (count, width), dtype=dtype, buffer=data, offset=start, strides=(stride, dtype.itemsize)
            )
            values = np.array(raw)
        else:
            values = np.zeros((count, width), dtype)
        sparse = acc.get("sparse")
        if isinstance(sparse, dict):
            n = int(sparse["count"])
            idx = sparse["indices"]
            idx_dtype = np.dtype(_COMPONENTS[int(idx["componentType"])])
            idx_data = self.view_bytes(idx["bufferView"])
            where = np.frombuffer(idx_data, idx_dtype, n, int(idx.get("byteOffset", 0))).astype(np.int64)
            val = sparse["values"]
            val_data = self.view_bytes(val["bufferView"])
            replaced = np.frombuffer(val_data, dtype, n * width, int(val.get("byteOffset", 0)))
            if where.size and (where.min() < 0 or where.max() >= count):
                raise SourceError(f"The GLB's accessor {index} has sparse indices out of range.")
            values[where] = replaced.reshape(n, width)
        if dtype.kind == "f":
            return values.astype(np.float64)
        if acc.get("normalized"):
            return np.maximum(values.astype(np.float64) / _NORMALIZED_DIVISOR[component], -1.0)
        return values.astype(np.int64)

    def texture(self, info: Any) -> Texture | None:
        """The Texture of a textureInfo object, or None when there is none or it has no image."""
        if not isinstance(info, dict) or "index" not in info:
            return None
        texture = self._item("textures", info["index"])
        source = texture.get("source")
        for extension in texture.get("extensions", {}).values():
            if isinstance(extension, dict) and "source" in extension:
                source = extension["source"] if source is None else source
        if source is None:
            return None
        image = self._item("images", source)
        if "bufferView" in image:
            data = self.view_bytes(image["bufferView"])
        elif isinstance(image.get("uri"), str) and image["uri"].startswith("data:"):
            data = base64.b64decode(image["uri"].split(",", 1)[1])
        else:
            raise SourceError("The GLB refers to an external image file; it must be self-contained.")
        mime = _sniff_mime(data)
        if mime is None:  # WebP and the like: re-encoded once, losslessly, to PNG
            try:
                decoded = Image.open(io.BytesIO(data))
                out = io.BytesIO()
                decoded.save(out, format="PNG")
            except (OSError, ValueError) as error:
                raise SourceError(f"A texture of the GLB cannot be decoded ({error}).") from None
            data, mime = out.getvalue(), "image/png"
        sampler = self._item("samplers", texture["sampler"]) if "sampler" in texture else {}
        return Texture(data, mime, int(sampler.get("wrapS", REPEAT)), int(sampler.get("wrapT", REPEAT)))

    def material(self, index: Any) -> tuple[Material, int]:
        """The Material `index` (glTF's default material for None) and the texCoord set of its base
        colour texture."""
        if index is None:
            return Material(name="default"), 0
        mat = self._item("materials", index)
        pbr = mat.get("pbrMetallicRoughness", {})
        factor = [float(v) for v in pbr.get("baseColorFactor", [1.0, 1.0, 1.0, 1.0])]
        if len(factor) != 4:
            raise SourceError(f"The GLB's material {index} has an invalid baseColorFactor.")
        base_info = pbr.get("baseColorTexture")
        material = Material(
            name=str(mat.get("name") or f"material{index}"),
            base_color_factor=(factor[0], factor[1], factor[2], factor[3]),
            base_color_texture=self.texture(base_info),
            metallic_factor=float(pbr.get("metallicFactor", 1.0)),
            roughness_factor=float(pbr.get("roughnessFactor", 1.0)),
            metallic_roughness_texture=self.texture(pbr.get("metallicRoughnessTexture")),
            alpha_mode=str(mat.get("alphaMode", "OPAQUE")),
            alpha_cutoff=float(mat.get("alphaCutoff", 0.5)),
            double_sided=bool(mat.get("doubleSided", False)),
        )
        tex_coord = int(base_info.get("texCoord", 0)) if isinstance(base_info, dict) else 0
        return material, tex_coord


def _node_matrix(node: dict[str, Any]) -> F64:
    if "matrix" in node:
        return np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T  # column-major in glTF
    translation = np.array(node.get("translation", [0.0, 0.0, 0.0]), dtype=np.float64)
    x, y, z, w = (float(v) for v in node.get("rotation", [0.0, 0.0, 0.0, 1.0]))
    norm = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / norm, y / norm, z / norm, w / norm
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    scale = np.array(node.get("scale", [1.0, 1.0, 1.0]), dtype=np.float64)
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * scale[None, :]
    matrix[:3, 3] = translation
    return matrix


def _triangles(mode: int, indices: I64) -> I64:
    if mode == TRIANGLES:
        usable = indices.shape[0] - indices.shape[0] % 3
        return indices[:usable].reshape(-1, 3)
    if indices.shape[0] < 3:
        return np.zeros((0, 3), np.int64)
    if mode == TRIANGLE_STRIP:
        n = indices.shape[0] - 2
        faces = np.stack([indices[:n], indices[1 : n + 1], indices[2 : n + 2]], axis=1)
        odd = np.arange(n) % 2 == 1
        faces[odd] = faces[odd][:, [1, 0, 2]]
        return faces
    n = indices.shape[0] - 2  # TRIANGLE_FAN
    return np.stack([np.full(n, indices[0]), indices[1 : n + 1], indices[2 : n + 2]], axis=1)


def read_model(path: Path) -> Model:
    """Reads the GLB at `path` into a Model: every triangle primitive of its default scene (or of
    every root node when it names no scene) in world space. Raises SourceError when the file is not
    a readable GLB, has no triangles, has non-finite positions or all its vertices at one point;
    OSError when it cannot be read."""
    data = path.read_bytes()
    reader = _Reader(data)
    doc = reader.doc
    nodes = reader._list("nodes")
    scenes = reader._list("scenes")
    if scenes:
        scene = reader._item("scenes", doc.get("scene", 0))
        roots = list(scene.get("nodes", []))
    else:
        children = {child for node in nodes if isinstance(node, dict) for child in node.get("children", [])}
        roots = [i for i in range(len(nodes)) if i not in children]

    parts: list[Part] = []
    materials: dict[Any, tuple[Material, int]] = {}
    meshes_cache: dict[int, list[tuple[str, F64, I64, F64 | None, F64 | None, F64 | None, Material]]] = {}

    def mesh_primitives(
        mesh_index: int,
    ) -> list[tuple[str, F64, I64, F64 | None, F64 | None, F64 | None, Material]]:
        if mesh_index in meshes_cache:
            return meshes_cache[mesh_index]
        mesh = reader._item("meshes", mesh_index)
        out = []
        for p_index, primitive in enumerate(mesh.get("primitives", [])):
            mode = int(primitive.get("mode", TRIANGLES))
            if mode not in (TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN):
                continue  # points and lines
            attributes = primitive.get("attributes", {})
            if "POSITION" not in attributes:
                continue
            positions = reader.accessor(attributes["POSITION"])
            if positions.shape[1] != 3:
                raise SourceError("A primitive's POSITION is not three-dimensional.")
            if "indices" in primitive:
                indices = reader.accessor(primitive["indices"]).reshape(-1).astype(np.int64)
            else:
                indices = np.arange(positions.shape[0], dtype=np.int64)
            faces = _triangles(mode, indices)
            if faces.shape[0] == 0:
                continue
            if faces.min() < 0 or faces.max() >= positions.shape[0]:
                raise SourceError("A primitive's indices point past its vertices.")
            key = primitive.get("material")
            if key not in materials:
                materials[key] = reader.material(key)
            material, tex_coord = materials[key]
            uv_name = f"TEXCOORD_{tex_coord}"
            uvs = reader.accessor(attributes[uv_name]) if uv_name in attributes else None
            normals = reader.accessor(attributes["NORMAL"]) if "NORMAL" in attributes else None
            colors = reader.accessor(attributes["COLOR_0"]) if "COLOR_0" in attributes else None
            if colors is not None and colors.shape[1] == 3:
                colors = np.concatenate([colors, np.ones((colors.shape[0], 1))], axis=1)
            name = str(mesh.get("name") or f"mesh{mesh_index}")
            if len(mesh.get("primitives", [])) > 1:
                name = f"{name}_{p_index}"
            out.append((name, positions, faces, normals, uvs, colors, material))
        meshes_cache[mesh_index] = out
        return out

    # Depth first, in the scene's order (a stack: pushed in reverse).
    stack: list[tuple[int, F64, frozenset[int]]] = [(int(r), np.eye(4), frozenset()) for r in reversed(roots)]
    while stack:
        index, parent, seen = stack.pop()
        if index in seen:
            raise SourceError("The GLB's node hierarchy has a cycle.")
        node = reader._item("nodes", index)
        world = parent @ _node_matrix(node)
        if "mesh" in node:
            linear = world[:3, :3]
            mirrored = bool(np.linalg.det(linear) < 0)
            normal_matrix = np.linalg.inv(linear).T if abs(np.linalg.det(linear)) > 1e-30 else linear
            for name, positions, faces, normals, uvs, colors, material in mesh_primitives(node["mesh"]):
                world_positions = positions @ linear.T + world[:3, 3]
                world_normals: F32 | None = None
                if normals is not None and normals.shape == positions.shape:
                    turned = normals @ normal_matrix.T
                    lengths = np.linalg.norm(turned, axis=1, keepdims=True)
                    world_normals = (turned / np.where(lengths > 0, lengths, 1.0)).astype(np.float32)
                parts.append(
                    Part(
                        name=str(node.get("name") or name),
                        positions=world_positions,
                        faces=faces[:, [0, 2, 1]] if mirrored else faces,
                        material=material,
                        normals=world_normals,
                        uvs=uvs.astype(np.float32) if uvs is not None and uvs.shape[1] == 2 else None,
                        colors=colors.astype(np.float32) if colors is not None else None,
                    )
                )
        for child in reversed(node.get("children", [])):
            stack.append((int(child), world, seen | {index}))

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
