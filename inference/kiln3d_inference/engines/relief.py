"""Silhouette to relief: a picture in, a watertight, textured, inflated relief of its object out.

The algorithm behind the `inflate` engine (engines/inflate.py), also used by the `simulate`
engine (engines/simulate.py) for the model it delivers. No GPU, no weights.

Foreground from the alpha channel, else from the background colour seen on the border; the
silhouette is sampled on a grid and inflated: u solves -laplacian(u) = 1 inside with u = 0 on the
rim, and h = k sqrt(2u), which is a circle's profile across any strip (so thin limbs are round, big
bodies domed, the rim vertical and smooth, with no medial-axis creases). Front and back share the
rim vertices, so the surface is closed.

The cuts adapt to the picture: alpha where its own histogram splits, the background colour within
a tolerance from its own spread and the picture's distance histogram; a small object is found again
in a scaled-up crop. A picture with no object (blank, one colour, fully transparent, a speck) is
InvalidInput("No object found in the image"); a busy photo with no clear background gives a rounded
slab of the whole picture.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image
from scipy import ndimage, sparse
from scipy.sparse import linalg as sparse_linalg

from kiln3d_inference.engines.base import MAX_IMAGE_SIDE, InvalidInput, Stage
from kiln3d_inference.engines.preview import PreviewCallback, VoxelPreview, pack, shell
from kiln3d_inference.mesh_normals import vertex_normals
from kiln3d_inference.textured_glb import textured_glb

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
StepCallback = Callable[[Stage, float, str], None]

ANALYSIS_MAX_SIDE = 512  # mask finding runs at this size: fast, and plenty for a silhouette
ANALYSIS_MIN_SIDE = 256  # tiny inputs are enlarged so the grid has room for a rounded rim
GRID_TARGET_CELLS = 25_000  # ~4 triangles a cell: about 100k triangles whatever the silhouette
TEXTURE_MAX_SIDE = 1024
POISSON_THICKNESS = 0.75  # object depth (each side) as a fraction of the local half-width
MIN_OBJECT_PIXELS = 16  # picture pixels: fewer is a speck, not an object
SMALL_OBJECT_SIDE = 64  # analysis cells: an object boxed smaller is found again in a scaled-up crop
ALPHA_VISIBLE = 16  # alpha below this everywhere: nothing to see
ALPHA_MIN_CONTRAST = 16  # alpha spanning less than this: no silhouette in it, the colours decide
BACKGROUND_MAX_TOLERANCE = 64.0  # RGB distance: a soft shadow down to ~35 grey levels is background
BUSY_FOREGROUND_FRACTION = 0.97
MAX_ASPECT = 8.0


NO_OBJECT = "No object found in the image"


@dataclass(frozen=True)
class Silhouette:
    """The object's outline found in a picture: `mask` (True = object) covers the picture's pixels
    from `origin` (x, y), each mask cell `scale` (x, y) picture pixels. Mask cells are at most
    512 px a side for the whole picture; a small object gets a crop of its own, scaled up."""

    mask: BoolArray
    kind: str  # "alpha", "background" or "fallback:busy"
    origin: tuple[float, float] = (0.0, 0.0)
    scale: tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class InflateResult:
    """A relief as a binary glTF: the GLB bytes, its triangle count, and where the silhouette came
    from (Silhouette.kind)."""

    glb: bytes
    triangles: int
    kind: str


ForegroundRule = Callable[[npt.NDArray[np.uint8]], BoolArray]  # RGBA (h, w, 4) -> object mask


def _to_rgba(image: Image.Image) -> Image.Image:
    if max(image.size) > MAX_IMAGE_SIDE:
        raise InvalidInput(f"image too large: {image.width}x{image.height}, max {MAX_IMAGE_SIDE} a side")
    if image.width < 1 or image.height < 1:
        raise InvalidInput("image is empty")
    try:
        if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
            # 16-bit and float greyscale: scale to 8 bits before the RGBA conversion clips them.
            arr = np.asarray(image, dtype=np.float64)
            peak = float(arr.max()) if arr.size else 0.0
            arr8 = (arr * (255.0 / peak)).astype(np.uint8) if peak > 0 else np.zeros(arr.shape, np.uint8)
            image = Image.fromarray(arr8, mode="L")
        return image.convert("RGBA")
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"unsupported image mode {image.mode}") from exc


def _analysis_image(rgba: Image.Image) -> Image.Image:
    longest = max(rgba.size)
    target = min(max(longest, ANALYSIS_MIN_SIDE), ANALYSIS_MAX_SIDE)
    if target == longest:
        return rgba
    scale = target / longest
    size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
    return rgba.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _rounded_rect(height: int, width: int, radius_fraction: float = 0.12) -> BoolArray:
    radius = max(1.0, radius_fraction * min(height, width))
    ys = np.arange(height, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(width, dtype=np.float32)[None, :] + 0.5
    dx = np.maximum(np.maximum(radius - xs, xs - (width - radius)), 0.0)
    dy = np.maximum(np.maximum(radius - ys, ys - (height - radius)), 0.0)
    return np.asarray(dx * dx + dy * dy <= radius * radius)


def _largest_component(mask: BoolArray) -> BoolArray:
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count <= 1:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return np.asarray(labels == int(np.argmax(sizes)))


def _fill_small_holes(mask: BoolArray, max_hole: int) -> BoolArray:
    holes = ndimage.binary_fill_holes(mask) & ~mask
    if not holes.any():
        return mask
    labels, _ = ndimage.label(holes)
    sizes = np.bincount(labels.ravel())
    small = sizes <= max_hole
    small[0] = False
    return np.asarray(mask | small[labels])


def _border_pixels(arr: npt.NDArray[np.float32], ring: int) -> npt.NDArray[np.float32]:
    ring = max(1, min(ring, arr.shape[0] // 2, arr.shape[1] // 2))
    parts = [arr[:ring].reshape(-1, 3), arr[-ring:].reshape(-1, 3)]
    parts += [arr[ring:-ring, :ring].reshape(-1, 3), arr[ring:-ring, -ring:].reshape(-1, 3)]
    return np.concatenate(parts)


def _otsu_cut(values: npt.NDArray[np.float64], levels: int) -> float | None:
    """A cut between the two classes of `values` (0 <= v < levels): Otsu's split, placed halfway
    between the two class means (so a gap in the histogram is cut in its middle, not at its edge).
    None when every value falls in one bin."""
    hist = np.bincount(np.clip(values.astype(np.int64), 0, levels - 1), minlength=levels).astype(np.float64)
    centres = np.arange(levels, dtype=np.float64)
    w0 = np.cumsum(hist)[:-1]
    m0 = np.cumsum(hist * centres)[:-1]
    total, mass = float(hist.sum()), float((hist * centres).sum())
    w1 = total - w0
    valid = (w0 > 0) & (w1 > 0)
    if not valid.any():
        return None
    mu0 = np.where(valid, m0 / np.maximum(w0, 1.0), 0.0)
    mu1 = np.where(valid, (mass - m0) / np.maximum(w1, 1.0), 0.0)
    between = np.where(valid, w0 * w1 * (mu0 - mu1) ** 2, -1.0)
    best = int(np.argmax(between))
    return float(mu0[best] + mu1[best]) / 2.0


def _alpha_rule(alpha: npt.NDArray[np.uint8]) -> ForegroundRule | None:
    """Object = alpha above the picture's own cut (Otsu), so a subject drawn at partial opacity is
    found as well as an opaque one. None when alpha has no contrast (uniformly translucent: the
    colours decide). Raises InvalidInput when nothing is visible at all."""
    if int(alpha.max()) < ALPHA_VISIBLE:
        raise InvalidInput(NO_OBJECT)
    if int(alpha.max()) - int(alpha.min()) < ALPHA_MIN_CONTRAST:
        return None
    cut = _otsu_cut(alpha.ravel().astype(np.float64), 256)
    assert cut is not None  # contrast above guarantees two classes
    return lambda rgba: np.asarray(rgba[..., 3] > cut)


def _background_rule(rgb: npt.NDArray[np.float32]) -> ForegroundRule | None:
    """Object = what the background colour cannot reach from the border. The background colour is
    the border's median; a pixel is background when within a tolerance of it: at least the
    border's own spread (noise, JPEG), and up to the picture's own cut (Otsu on the distances to
    the background colour) capped at BACKGROUND_MAX_TOLERANCE, so that a soft shadow close to the
    background stays background while the object, far from it, does not. None when the border
    has no uniform colour (a busy photo)."""
    border = _border_pixels(rgb, 2)
    background = np.median(border, axis=0)
    border_dist = np.linalg.norm(border - background, axis=1)
    if float(np.mean(border_dist < 40.0)) < 0.6:
        return None
    spread = float(np.clip(np.percentile(border_dist, 90) * 1.5 + 14.0, 20.0, 60.0))
    distances = np.linalg.norm(rgb - background, axis=2)
    cut = _otsu_cut(distances.ravel().astype(np.float64), 443)
    tolerance = spread if cut is None else float(np.clip(cut, spread, max(spread, BACKGROUND_MAX_TOLERANCE)))

    def rule(rgba: npt.NDArray[np.uint8]) -> BoolArray:
        near = np.linalg.norm(rgba[..., :3].astype(np.float32) - background, axis=2) < tolerance
        labels, _ = ndimage.label(near)
        edge_labels = np.unique(
            np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]).astype(np.int64)
        )
        edge_labels = edge_labels[edge_labels != 0]
        return np.asarray(~np.isin(labels, edge_labels))

    return rule


def _clean(raw: BoolArray) -> BoolArray:
    """The largest object after an opening (specks and one-pixel bridges gone); the largest raw
    component when the opening leaves nothing (an object thinner than 3 cells)."""
    opened = _largest_component(ndimage.binary_opening(raw, structure=np.ones((3, 3), bool)))
    return opened if opened.any() else _largest_component(raw)


def find_silhouette(rgba: Image.Image) -> Silhouette:
    """The object's mask in an RGBA picture, found at the analysis resolution (at most 512 px a
    side): from alpha when the picture has transparency (cut where its own alpha histogram splits),
    else what the background colour seen on the border cannot reach. An object whose box is under
    SMALL_OBJECT_SIDE analysis cells is found again in a crop around it, scaled up. A busy photo
    with no uniform border gives a rounded rectangle of the whole picture ("fallback:busy").
    Raises InvalidInput("No object found in the image") for a blank, one-colour or fully
    transparent picture, or an object under MIN_OBJECT_PIXELS picture pixels."""
    analysis = _analysis_image(rgba)
    arr = np.asarray(analysis)
    height, width = arr.shape[:2]
    scale = (rgba.width / width, rgba.height / height)
    rule: ForegroundRule | None = None
    kind = "alpha"
    if float(np.mean(arr[..., 3] < 250)) > 0.001:
        rule = _alpha_rule(arr[..., 3])
    if rule is None:
        rule, kind = _background_rule(arr[..., :3].astype(np.float32)), "background"
        if rule is None:
            return Silhouette(_rounded_rect(height, width), "fallback:busy", scale=scale)
    raw = _largest_component(rule(arr))
    if float(raw.sum()) * scale[0] * scale[1] < MIN_OBJECT_PIXELS:
        raise InvalidInput(NO_OBJECT)
    if kind == "background" and float(raw.mean()) > BUSY_FOREGROUND_FRACTION:
        return Silhouette(_rounded_rect(height, width), "fallback:busy", scale=scale)
    origin = (0.0, 0.0)
    rows = np.nonzero(raw.any(axis=1))[0]
    cols = np.nonzero(raw.any(axis=0))[0]
    side = max(int(rows[-1] - rows[0]), int(cols[-1] - cols[0])) + 1
    if side < SMALL_OBJECT_SIDE:
        # A small object: cut the picture's crop around it (with a margin of background) at its
        # own resolution at most, then scale that mask up, so the opening and the outline work on
        # enough cells (cutting an enlarged picture instead would shift the rim by the blur).
        margin = max(2.0, 0.25 * side)
        left = max(0, int(np.floor((cols[0] - margin) * scale[0])))
        top = max(0, int(np.floor((rows[0] - margin) * scale[1])))
        right = min(rgba.width, int(np.ceil((cols[-1] + 1 + margin) * scale[0])))
        bottom = min(rgba.height, int(np.ceil((rows[-1] + 1 + margin) * scale[1])))
        crop = rgba.crop((left, top, right, bottom))
        zoom = ANALYSIS_MIN_SIDE / max(crop.size)
        size = (max(1, round(crop.width * zoom)), max(1, round(crop.height * zoom)))
        cut = crop if zoom >= 1.0 else crop.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        small = Image.fromarray(rule(np.asarray(cut)).astype(np.uint8) * 255, mode="L")
        raw = np.asarray(small.resize(size, Image.Resampling.BILINEAR)) > 127
        origin = (float(left), float(top))
        scale = (crop.width / size[0], crop.height / size[1])
    mask = _clean(raw)
    if not mask.any():
        raise InvalidInput(NO_OBJECT)
    # Transparent holes are real (a handle); specks of background inside an object are not.
    max_hole = mask.size if kind == "background" else max(16, int(0.002 * mask.sum()))
    return Silhouette(_fill_small_holes(mask, max_hole), kind, origin, scale)


def _remove_diagonal_pinches(mask: BoolArray) -> BoolArray:
    """Fill a pixel wherever two object pixels touch only at a corner, so every rim vertex has
    one fan of faces (a pinch there would make the surface non-manifold)."""
    mask = mask.copy()
    for _ in range(64):
        a, b = mask[:-1, :-1], mask[:-1, 1:]
        c, d = mask[1:, :-1], mask[1:, 1:]
        pinch_main = a & d & ~b & ~c  # fill b
        pinch_anti = b & c & ~a & ~d  # fill a
        if not (pinch_main.any() or pinch_anti.any()):
            return mask
        mask[:-1, 1:] |= pinch_main
        mask[:-1, :-1] |= pinch_anti
    return mask


def _grid_mask(mask_crop: BoolArray, fallback: bool) -> BoolArray:
    height, width = mask_crop.shape
    fg = max(1, int(mask_crop.sum()))
    scale = float(np.sqrt(GRID_TARGET_CELLS / fg))
    grid_w, grid_h = max(8, round(width * scale)), max(8, round(height * scale))
    if fallback:
        grid = _rounded_rect(grid_h, grid_w)
    else:
        img = Image.fromarray(mask_crop.astype(np.uint8) * 255, mode="L")
        grid = np.asarray(img.resize((grid_w, grid_h), Image.Resampling.BILINEAR)) > 127
        grid = _largest_component(grid)
    grid = np.pad(grid, 1)
    return _largest_component(_remove_diagonal_pinches(grid))


def _poisson_field(mask: BoolArray) -> FloatArray:
    """Solve -laplacian(u) = 1 inside the mask with u = 0 outside (grid units). sqrt(2u) is then
    a circle's profile across a strip of any width, and a rounded dome over a disc."""
    h, w = mask.shape
    index = np.full((h, w), -1, np.int64)
    rows, cols = np.nonzero(mask)
    count = rows.size
    index[rows, cols] = np.arange(count)
    src: list[IntArray] = []
    dst: list[IntArray] = []
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        neighbour = index[rows + dr, cols + dc]  # the padded grid keeps these in range
        inside = neighbour >= 0
        src.append(np.nonzero(inside)[0])
        dst.append(neighbour[inside])
    i = np.concatenate([np.arange(count), *src])
    j = np.concatenate([np.arange(count), *dst])
    values = np.concatenate([np.full(count, 4.0), np.full(i.size - count, -1.0)])
    matrix = sparse.csc_matrix((values, (i, j)), shape=(count, count))
    solution = np.asarray(sparse_linalg.spsolve(matrix, np.ones(count)), dtype=np.float64)
    field = np.zeros((h, w), np.float32)
    field[rows, cols] = solution.astype(np.float32)
    return field


def _smooth_rim(positions: FloatArray, mask: BoolArray, ids_rim: IntArray, rounds: int = 3) -> None:
    """Round off the pixel staircase of the rim: each rim vertex moves towards the mean of its two
    neighbours along the outline (in the picture plane; the topology is unchanged)."""
    pm = np.pad(mask, 1)
    h_edge = pm[:-1, 1:-1] != pm[1:, 1:-1]  # (h+1, w): between pixel rows r-1 and r
    v_edge = pm[1:-1, :-1] != pm[1:-1, 1:]  # (h, w+1): between pixel columns c-1 and c
    hr, hc = np.nonzero(h_edge)
    vr, vc = np.nonzero(v_edge)
    starts = np.concatenate([ids_rim[hr, hc], ids_rim[vr, vc]])
    ends = np.concatenate([ids_rim[hr, hc + 1], ids_rim[vr + 1, vc]])
    count = positions.shape[0]
    degree = np.bincount(starts, minlength=count) + np.bincount(ends, minlength=count)
    on_rim = degree > 0
    for _ in range(rounds):
        for axis in (0, 1):
            values = positions[:, axis]
            total = np.bincount(starts, weights=values[ends], minlength=count) + np.bincount(
                ends, weights=values[starts], minlength=count
            )
            mean = total[on_rim] / degree[on_rim]
            positions[on_rim, axis] = 0.5 * values[on_rim] + 0.5 * mean


def build_relief(mask: BoolArray) -> tuple[FloatArray, FloatArray, npt.NDArray[np.uint32]]:
    """Closed surface over a padded grid mask. Returns positions (grid units, x right, y down, z
    out of the picture), UVs (0-1 over the unpadded grid) and CCW triangles."""
    h, w = mask.shape
    grid_h, grid_w = h - 2, w - 2
    p2 = np.pad(mask, 1).astype(np.int8)
    count = p2[:-1, :-1] + p2[:-1, 1:] + p2[1:, :-1] + p2[1:, 1:]  # corners (h+1, w+1)
    used = count > 0
    rim = used & (count < 4)

    # Interior pixel edges whose two ends are both on the rim would be shared by the front and the
    # back: such "chords" get a midpoint vertex of their own (and their pixels a centre fan).
    h_inner = np.zeros((h + 1, w), bool)
    h_inner[1:-1] = mask[:-1] & mask[1:]
    h_chord = h_inner & rim[:, :-1] & rim[:, 1:]
    v_inner = np.zeros((h, w + 1), bool)
    v_inner[:, 1:-1] = mask[:, :-1] & mask[:, 1:]
    v_chord = v_inner & rim[:-1, :] & rim[1:, :]

    rim_a, rim_b = rim[:-1, :-1], rim[:-1, 1:]
    rim_c, rim_d = rim[1:, 1:], rim[1:, :-1]
    any_chord = h_chord[:-1] | h_chord[1:] | v_chord[:, :-1] | v_chord[:, 1:]
    fan = mask & (any_chord | ((rim_a & rim_c) & (rim_b & rim_d)))

    # A field over pixel centres (0 outside), its averages at corners and edge midpoints, and a
    # profile turning it into height: a Poisson "inflation" (round cross-sections for thin limbs
    # and big bodies alike, no medial-axis creases).
    field = _poisson_field(mask)

    def profile(values: FloatArray) -> FloatArray:
        return np.asarray(POISSON_THICKNESS * np.sqrt(2.0 * np.maximum(values, 0.0)), dtype=np.float32)

    corner_d = np.zeros((h + 1, w + 1), np.float32)
    pd = np.pad(field, 1)
    corner_d[:] = (pd[:-1, :-1] + pd[:-1, 1:] + pd[1:, :-1] + pd[1:, 1:]) / 4.0
    corner_d[rim] = 0.0
    hmid_d = np.zeros((h + 1, w), np.float32)
    hmid_d[1:-1] = (field[:-1] + field[1:]) / 2.0
    vmid_d = np.zeros((h, w + 1), np.float32)
    vmid_d[:, 1:-1] = (field[:, :-1] + field[:, 1:]) / 2.0

    # Vertex table: [rim corners (shared)] [interior corners front] [interior back]
    # [centres front] [centres back] [h-mids front] [h-mids back] [v-mids front] [v-mids back].
    xs_parts: list[FloatArray] = []
    ys_parts: list[FloatArray] = []
    zs_parts: list[FloatArray] = []
    next_id = 0

    def add(sel: BoolArray, x0: float, y0: float, heights: FloatArray | None) -> IntArray:
        nonlocal next_id
        rows, cols = np.nonzero(sel)
        ids = np.full(sel.shape, -1, np.int64)
        ids[rows, cols] = np.arange(next_id, next_id + rows.size)
        next_id += rows.size
        xs_parts.append((cols + x0).astype(np.float32))
        ys_parts.append((rows + y0).astype(np.float32))
        z = np.zeros(rows.size, np.float32) if heights is None else heights[rows, cols]
        zs_parts.append(z)
        return ids

    # Corner (r, c) sits at the top-left of padded pixel (r, c): unpadded coordinates (c-1, r-1).
    interior = used & ~rim
    corner_h = profile(corner_d)
    ids_rim = add(rim, -1.0, -1.0, None)
    ids_cf = add(interior, -1.0, -1.0, corner_h)
    ids_cb = add(interior, -1.0, -1.0, -corner_h)
    corner_front = np.where(rim, ids_rim, ids_cf)
    corner_back = np.where(rim, ids_rim, ids_cb)
    centre_h = profile(field)
    ids_ef = add(fan, -0.5, -0.5, centre_h)
    ids_eb = add(fan, -0.5, -0.5, -centre_h)
    hmid_h = profile(hmid_d)
    ids_hf = add(h_chord, -0.5, -1.0, hmid_h)
    ids_hb = add(h_chord, -0.5, -1.0, -hmid_h)
    vmid_h = profile(vmid_d)
    ids_vf = add(v_chord, -1.0, -0.5, vmid_h)
    ids_vb = add(v_chord, -1.0, -0.5, -vmid_h)

    positions = np.stack(
        [np.concatenate(xs_parts), np.concatenate(ys_parts), np.concatenate(zs_parts)], axis=1
    ).astype(np.float32)
    _smooth_rim(positions, mask, ids_rim)
    uvs = np.stack([positions[:, 0] / grid_w, positions[:, 1] / grid_h], axis=1).astype(np.float32)

    def side_triangles(
        corner: IntArray, centre: IntArray, hmid: IntArray, vmid: IntArray
    ) -> npt.NDArray[np.int64]:
        a, b = corner[:-1, :-1], corner[:-1, 1:]
        c, d = corner[1:, 1:], corner[1:, :-1]
        tris: list[npt.NDArray[np.int64]] = []
        quad = mask & ~fan
        diag_ac = quad & ~(rim_a & rim_c)
        diag_bd = quad & ~diag_ac
        for sel, t1, t2 in ((diag_ac, (a, d, c), (a, c, b)), (diag_bd, (a, d, b), (b, d, c))):
            for t in (t1, t2):
                tris.append(np.stack([t[0][sel], t[1][sel], t[2][sel]], axis=1))
        # Centre fans, walking a -> d -> c -> b (counter-clockwise seen from the front).
        e = centre[fan]
        edges = (
            (a, d, vmid[:, :-1], v_chord[:, :-1]),
            (d, c, hmid[1:], h_chord[1:]),
            (c, b, vmid[:, 1:], v_chord[:, 1:]),
            (b, a, hmid[:-1], h_chord[:-1]),
        )
        for p, q, mid, chord in edges:
            split = chord[fan]
            pv, qv, mv = p[fan], q[fan], mid[fan]
            whole = ~split
            tris.append(np.stack([e[whole], pv[whole], qv[whole]], axis=1))
            tris.append(np.stack([e[split], pv[split], mv[split]], axis=1))
            tris.append(np.stack([e[split], mv[split], qv[split]], axis=1))
        return np.concatenate(tris)

    front = side_triangles(corner_front, ids_ef, ids_hf, ids_vf)
    back = side_triangles(corner_back, ids_eb, ids_hb, ids_vb)[:, ::-1]
    triangles = np.concatenate([front, back]).astype(np.uint32)
    return positions, uvs, triangles


def _texture(rgba: Image.Image, box: tuple[int, int, int, int], mask_crop: BoolArray, bleed: bool) -> bytes:
    crop = rgba.crop(box)
    longest = max(crop.size)
    if longest > TEXTURE_MAX_SIDE:
        scale = TEXTURE_MAX_SIDE / longest
        size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
        crop = crop.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    rgb = np.asarray(crop.convert("RGB"))
    if bleed:
        # Colour outside the silhouette (often black under transparency) would tint the rim: replace
        # it with the nearest object colour.
        mask_img = Image.fromarray(mask_crop.astype(np.uint8) * 255, mode="L")
        inside = np.asarray(mask_img.resize(crop.size, Image.Resampling.BILINEAR)) > 200
        if inside.any() and not inside.all():
            nearest = ndimage.distance_transform_edt(~inside, return_distances=False, return_indices=True)
            rgb = rgb[nearest[0], nearest[1]]
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), mode="RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


PREVIEW_RESOLUTION = 32  # the coarse preview: TRELLIS.2's sparse structure grid at its 512 type


def relief_preview(
    mask_crop: BoolArray, crop_size: tuple[float, float], resolution: int, stage: Stage
) -> VoxelPreview:
    """A voxelisation of the relief build_relief() will make of `mask_crop` (the object's cells;
    crop_size: its width and height in picture pixels, aspect already clamped), before the mesh
    exists: the silhouette resampled to the preview grid (longest side `resolution` cells, square
    cells like the model's), each column as thick as the same Poisson profile makes it, centred
    like the finished model; only the shell is sent (engines/preview.py)."""
    crop_w, crop_h = crop_size
    longest = max(crop_w, crop_h)
    grid_w = max(1, min(resolution, round(resolution * crop_w / longest)))
    grid_h = max(1, min(resolution, round(resolution * crop_h / longest)))
    img = Image.fromarray(mask_crop.astype(np.uint8) * 255, mode="L")
    cells = np.asarray(img.resize((grid_w, grid_h), Image.Resampling.BILINEAR)) > 127
    if not cells.any():
        cells[grid_h // 2, grid_w // 2] = True  # a sliver thinner than a cell still shows
    padded = np.pad(cells, 1)
    # Thickness per side in cells; the relief's profile, so the preview has the model's depth.
    half = POISSON_THICKNESS * np.sqrt(2.0 * np.maximum(_poisson_field(padded)[1:-1, 1:-1], 0.0))
    half = np.maximum(half, 0.5 * cells)  # every object column is at least one voxel deep
    depth = 2.0 * float(half.max())
    # The model is scaled so its longest extent is 1: width, height or (rarely) depth.
    scale = resolution / max(float(grid_w), float(grid_h), depth)
    centre = resolution / 2.0
    z = np.arange(resolution, dtype=np.float32)[None, None, :] + 0.5
    rows, cols = np.nonzero(cells)
    x = np.clip(np.floor(centre + (cols + 0.5 - grid_w / 2.0) * scale), 0, resolution - 1).astype(np.int64)
    y = np.clip(np.floor(centre - (rows + 0.5 - grid_h / 2.0) * scale), 0, resolution - 1).astype(np.int64)
    occupied = np.zeros((resolution, resolution, resolution), bool)
    column = np.abs(z - centre) <= (half[rows, cols] * scale)[:, None, None] + 0.5
    np.logical_or.at(occupied, (x, y), column[:, 0, :])  # two columns may share a cell
    return pack(stage, shell(occupied), resolution)


def inflate_image(
    image: Image.Image,
    on_step: StepCallback | None = None,
    on_preview: PreviewCallback | None = None,
    preview_resolutions: tuple[int, ...] = (PREVIEW_RESOLUTION,),
    turn_degrees: float = 0.0,
) -> InflateResult:
    """The relief of `image` (any Pillow mode, at most MAX_IMAGE_SIDE px a side) as a GLB: ~100k
    triangles, longest side 1.0, centred, Y-up, front facing +Z turned by turn_degrees about Y
    (counter-clockwise seen from above), textured with the picture cropped to the object (JPEG, at
    most 1024 px). on_step(stage, percent 0-100, message) is called between
    phases (an engine passes JobContext.progress, which also raises on cancel). Raises InvalidInput
    for an image too large or of an unsupported mode, and InvalidInput("No object found in the
    image") for one with nothing to model (see find_silhouette). on_preview gets a voxel preview
    per entry of preview_resolutions (relief_preview; STRUCTURE for the first, GEOMETRY for any
    finer one) once the silhouette is known, before the mesh is built."""

    def step(stage: Stage, percent: float, message: str) -> None:
        if on_step is not None:
            on_step(stage, percent, message)

    step(Stage.PREPROCESS, 2.0, "finding the object")
    rgba = _to_rgba(image)
    silhouette = find_silhouette(rgba)
    fallback = silhouette.kind.startswith("fallback")

    rows = np.nonzero(silhouette.mask.any(axis=1))[0]
    cols = np.nonzero(silhouette.mask.any(axis=0))[0]
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    mask_crop = silhouette.mask[top:bottom, left:right]
    (ox, oy), (sx, sy) = silhouette.origin, silhouette.scale
    x0, y0 = max(0, int(np.floor(ox + left * sx))), max(0, int(np.floor(oy + top * sy)))
    box = (
        x0,
        y0,
        min(rgba.width, max(int(np.ceil(ox + right * sx)), x0 + 1)),
        min(rgba.height, max(int(np.ceil(oy + bottom * sy)), y0 + 1)),
    )

    # Grid units -> world: keep the crop's aspect, Y up, centred, longest side 1.0.
    crop_w, crop_h = float(box[2] - box[0]), float(box[3] - box[1])
    # A 1-pixel line of a picture would give a needle with no depth: keep at most 8:1.
    crop_w, crop_h = max(crop_w, crop_h / MAX_ASPECT), max(crop_h, crop_w / MAX_ASPECT)
    if on_preview is not None:
        preview_mask = _rounded_rect(*mask_crop.shape) if fallback else mask_crop
        for index, resolution in enumerate(preview_resolutions):
            stage = Stage.STRUCTURE if index == 0 else Stage.GEOMETRY
            on_preview(relief_preview(preview_mask, (crop_w, crop_h), resolution, stage))

    step(Stage.GEOMETRY, 20.0, "inflating the silhouette")
    grid = _grid_mask(mask_crop, fallback)
    positions, uvs, triangles = build_relief(grid)
    grid_h, grid_w = grid.shape[0] - 2, grid.shape[1] - 2
    cell_x, cell_y = crop_w / grid_w, crop_h / grid_h
    world = np.empty_like(positions)
    world[:, 0] = positions[:, 0] * cell_x
    world[:, 1] = -positions[:, 1] * cell_y
    world[:, 2] = positions[:, 2] * (cell_x + cell_y) / 2.0
    if turn_degrees != 0.0:
        angle = np.radians(turn_degrees)
        cos, sin = np.cos(angle), np.sin(angle)
        x, z = world[:, 0].copy(), world[:, 2].copy()
        world[:, 0] = x * cos + z * sin
        world[:, 2] = -x * sin + z * cos
    lo, hi = world.min(axis=0), world.max(axis=0)
    world = (world - (lo + hi) / 2.0) / float((hi - lo).max())
    normals = vertex_normals(world, triangles)

    step(Stage.TEXTURE, 60.0, "baking the texture")
    texture = _texture(rgba, box, mask_crop, bleed=not fallback)

    step(Stage.EXPORT, 85.0, "writing the GLB")
    glb = textured_glb(world.astype(np.float32), normals, uvs, triangles, texture, generator="Kiln3D inflate")
    return InflateResult(glb=glb, triangles=int(triangles.shape[0]), kind=silhouette.kind)


def procedural_test_image(size: int = 256) -> Image.Image:
    """A built-in RGBA picture (a shaded disc with a notch) for warm-up runs."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    disc = (xs - 0.5) ** 2 + (ys - 0.5) ** 2 < 0.16
    notch = (np.abs(xs - 0.5) < 0.08) & (ys < 0.35)
    alpha = np.where(disc & ~notch, 255, 0).astype(np.uint8)
    rgb = np.stack([xs * 255, ys * 255, np.full_like(xs, 160)], axis=2).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA")
