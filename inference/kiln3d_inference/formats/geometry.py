"""What several writers share: the printing frame (Z up, millimetres), watertightness, and vertex
colours sampled from the base colour."""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
import trimesh

from kiln3d_inference.formats.source import (
    CLAMP_TO_EDGE,
    F64,
    I64,
    MIRRORED_REPEAT,
    Model,
    Part,
    SourceError,
    Texture,
)

U8 = npt.NDArray[np.uint8]
DEFAULT_SIZE_MM = 100.0
# Millimetres in one unit of a mesh's coordinates, by the unit POST /api/texture's `units` names:
# a painted mesh keeps its own coordinates, so its own size is its coordinates x this.
MILLIMETRES_PER_UNIT: dict[str, float] = {"m": 1000.0, "cm": 10.0, "mm": 1.0, "in": 25.4}

# glTF's +Y (up) becomes +Z, +Z (front) becomes -Y: a rotation of +90 degrees about X, so
# handedness (and the triangles' winding) is kept.
Y_UP_TO_Z_UP: F64 = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def print_frame(positions: F64, size_mm: float) -> F64:
    """Positions (N, 3) in glTF's frame (metres, Y up) -> the printing frame: Z up, the longest side
    of the bounding box `size_mm` millimetres, centred on x = y = 0, resting on z = 0. Raises
    SourceError for a model with no extent (every vertex at one point; read_model refuses those)."""
    turned = positions @ Y_UP_TO_Z_UP.T
    lo, hi = turned.min(axis=0), turned.max(axis=0)
    longest = float((hi - lo).max())
    if not longest > 0:
        raise SourceError("The model has no size: every vertex is at one point.")
    scaled: F64 = (turned - np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])) * (size_mm / longest)
    return scaled


def own_size_mm(positions: F64, units: str) -> float:
    """The longest side of the bounding box of `positions` (N, 3) in millimetres, one coordinate
    being one `units` (a key of MILLIMETRES_PER_UNIT): the size a painted mesh is printed at when no
    size is asked for. The box's sides are the same in glTF's frame and the printing frame (a
    quarter turn). Raises KeyError for an unknown unit."""
    longest = float((positions.max(axis=0) - positions.min(axis=0)).max())
    return longest * MILLIMETRES_PER_UNIT[units]


def is_watertight(positions: F64, faces: I64) -> bool:
    """trimesh's is_watertight for the whole model once vertices at the same position are merged
    (so UV and normal seams, where the GLB splits vertices, are not holes)."""
    mesh = trimesh.Trimesh(vertices=positions, faces=faces, process=False, validate=False)
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    return bool(mesh.is_watertight)


def srgb_to_linear(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """sRGB-encoded 0..1 -> linear 0..1 (IEC 61966-2-1)."""
    out: npt.NDArray[np.float32] = np.where(
        values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4
    ).astype(np.float32)
    return out


def linear_to_srgb(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Linear 0..1 -> sRGB-encoded 0..1 (IEC 61966-2-1)."""
    clipped = np.clip(values, 0.0, 1.0)
    out: npt.NDArray[np.float32] = np.where(
        clipped <= 0.0031308, clipped * 12.92, 1.055 * clipped ** (1 / 2.4) - 0.055
    ).astype(np.float32)
    return out


def _wrap(coords: npt.NDArray[np.float32], mode: int) -> npt.NDArray[np.float32]:
    if mode == CLAMP_TO_EDGE:
        return np.clip(coords, 0.0, 1.0)
    if mode == MIRRORED_REPEAT:
        period = np.mod(coords, 2.0)
        return np.where(period > 1.0, 2.0 - period, period).astype(np.float32)
    return np.mod(coords, 1.0).astype(np.float32)


@functools.lru_cache(maxsize=2)
def _rgba_pixels(texture: Texture) -> U8:
    pixels: U8 = np.asarray(texture.decode().convert("RGBA"))
    return pixels


def sample_texture(texture: Texture, uvs: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Bilinear samples (N, 4) float32 RGBA 0..1 (as encoded: sRGB for a base colour) of `texture`
    at glTF texture coordinates `uvs` (N, 2), origin top-left, the sampler's wrap modes applied."""
    pixels = _rgba_pixels(texture)
    height, width = pixels.shape[:2]
    u = _wrap(uvs[:, 0].astype(np.float32), texture.wrap_s) * width - 0.5
    v = _wrap(uvs[:, 1].astype(np.float32), texture.wrap_t) * height - 0.5
    x0 = np.floor(u).astype(np.int64)
    y0 = np.floor(v).astype(np.int64)
    fx = (u - x0).astype(np.float32)[:, None]
    fy = (v - y0).astype(np.float32)[:, None]
    x0c, x1c = np.clip(x0, 0, width - 1), np.clip(x0 + 1, 0, width - 1)
    y0c, y1c = np.clip(y0, 0, height - 1), np.clip(y0 + 1, 0, height - 1)
    top = pixels[y0c, x0c].astype(np.float32) * (1 - fx) + pixels[y0c, x1c].astype(np.float32) * fx
    bottom = pixels[y1c, x0c].astype(np.float32) * (1 - fx) + pixels[y1c, x1c].astype(np.float32) * fx
    result: npt.NDArray[np.float32] = ((top * (1 - fy) + bottom * fy) / 255.0).astype(np.float32)
    return result


def part_colors(part: Part) -> U8:
    """The base colour of each vertex of `part`, (N, 4) uint8 sRGB RGBA: the base colour texture at
    the vertex's UV (when the part has both) x baseColorFactor x COLOR_0, multiplied in linear space
    as glTF defines it."""
    count = part.positions.shape[0]
    material = part.material
    linear = np.ones((count, 4), np.float32)
    texture = material.base_color_texture
    if texture is not None and part.uvs is not None:
        sampled = sample_texture(texture, part.uvs)
        linear[:, :3] = srgb_to_linear(sampled[:, :3])
        linear[:, 3] = sampled[:, 3]
    linear *= np.array(material.base_color_factor, np.float32)[None, :]
    if part.colors is not None:
        linear *= part.colors
    encoded = np.empty_like(linear)
    encoded[:, :3] = linear_to_srgb(linear[:, :3])
    encoded[:, 3] = np.clip(linear[:, 3], 0.0, 1.0)
    colors: U8 = np.round(encoded * 255.0).astype(np.uint8)
    return colors


def model_colors(model: Model) -> U8:
    """part_colors for every part, in the order of Model.merged()'s vertices."""
    return np.concatenate([part_colors(part) for part in model.parts])
