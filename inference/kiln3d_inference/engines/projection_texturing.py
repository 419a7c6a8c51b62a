"""The inflate engine's texturing of an uploaded mesh: the picture projected onto the mesh from the
view that best matches its silhouette, on the CPU, with no generative model.

1. The picture's object is cut out as the inflate relief cuts it (relief.find_silhouette).
2. Candidate orthographic views: the 26 directions of a cube's faces, edges and corners, each turned
   0/90/180/270 degrees about its axis. Each direction's mesh silhouette is rasterised once (the
   turns are the same picture turned); the view whose silhouette best overlaps the picture's (IoU,
   both fitted by their bounding boxes, aspect kept) wins; near-ties go to the front (+Z, Y up).
   A flat mesh (a card, a sign, a tile: its bounding box's thinnest side under FLAT_RATIO of its
   longest) has no silhouette worth matching, so it is seen from its face, unturned: the front or
   the back along its thin axis, whichever matches better (a tie: the front); the picture's object
   is fitted inside that face with its proportions kept.
3. The mesh is unwrapped with xatlas and its UV layout rasterised into the texture: each texel's 3D
   point is projected into the chosen view and coloured from the picture (its bounding box fitted to
   the silhouette's) when it faces the camera, is the nearest surface there (a depth buffer of the
   mesh in that view), and lands on the object in the picture.
4. Texels the picture cannot see take the colour of the nearest seen surface point (in 3D); texels
   no triangle covers take their nearest covered texel's (island borders padded, no dark seams).
The positions stay the mesh's own (vertices split only at UV seams), every triangle is kept.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import trimesh
from PIL import Image
from scipy import ndimage
from scipy.spatial import cKDTree

from kiln3d_inference.engines.base import Stage
from kiln3d_inference.engines.raster import coverage, depth_buffer, fragments
from kiln3d_inference.engines.relief import Silhouette, _to_rgba, find_silhouette
from kiln3d_inference.engines.unwrap import unwrap
from kiln3d_inference.mesh_normals import split_by_corner_normals, vertex_normals
from kiln3d_inference.meshes.intake import CORNER_NORMALS
from kiln3d_inference.textured_glb import textured_glb

F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StepCallback = Callable[[Stage, float, str], None]

DEFAULT_TEXTURE_SIZE = 1024
MIN_TEXTURE_SIZE, MAX_TEXTURE_SIZE = 256, 2048
MATCH_SIDE = 96  # silhouettes are compared on a grid this many cells a side
DEPTH_SIDE = 768  # the chosen view's depth buffer, pixels on its longest side
PICTURE_MAX_SIDE = 2048  # the picture is sampled at most this large
MIN_FACING = 0.1  # cosine between a surface's normal and the view: below it, too grazing to paint
# Unseen texels within this share of the mesh's diagonal of a seen one take the nearest seen texel's
# colour; farther ones the mean colour of the nearest cell (the diagonal / FILL_CELLS a side) of seen
# texels (see _fill_unseen for why).
NEAR_FILL = 0.03
FILL_CELLS = 128
# Seen texels facing the view at least this squarely colour the unseen ones: the grazing ones near
# the outline carry the picture's edge, mixed with its background.
FILL_SOURCE_FACING = 0.35
GENERATOR = "Kiln3D inflate (projection texturing)"
TIE_TOLERANCE = 0.01  # IoU differences smaller than this are ties, broken towards the front view
# A mesh whose bounding box's thinnest side is under this share of its longest is flat: its outline
# (a rectangle, for a sign) says nothing of the picture, and an artist paints a card on its face
# (a trial's 0.3 x 0.2 x 0.01 sign got the picture from a corner, or turned 90 degrees).
FLAT_RATIO = 0.1


@dataclass(frozen=True)
class View:
    """An orthographic camera: `direction` (3,) unit vector from the object towards the camera,
    `right` and `up` (3,) the picture's x and y axes (right-handed: right = up x direction).
    `name` e.g. "+Z turned 0"."""

    direction: F64
    right: F64
    up: F64
    name: str

    def plane(self, points: F64) -> F64:
        """(N, 2): the points' coordinates along right and up (mesh units)."""
        return np.stack([points @ self.right, points @ self.up], axis=1)

    def depth(self, points: F64) -> F64:
        """(N,): distance along the view, smaller nearer the camera (mesh units)."""
        return np.asarray(-(points @ self.direction))


def candidate_directions() -> list[tuple[F64, str]]:
    """The 26 unit directions towards the camera (faces, edges and corners of a cube), the front
    (+Z) first, each with its name (e.g. "+X+Y")."""
    found: list[tuple[F64, str]] = []
    for x, y, z in itertools.product((0, 1, -1), repeat=3):
        if (x, y, z) == (0, 0, 0):
            continue
        vector = np.array([x, y, z], np.float64)
        name = "".join(
            f"{'+' if v > 0 else '-'}{axis}" for v, axis in zip((x, y, z), "XYZ", strict=True) if v
        )
        found.append((vector / np.linalg.norm(vector), name))
    found.sort(key=lambda item: -float(item[0][2]))
    return found


def turned_views(direction: F64, name: str) -> list[View]:
    """The four views along `direction`, turned 0, 90, 180 and 270 degrees about it. Turn 0 has the
    world's +Y as up where it can (seen from above or below: -Z or +Z up)."""
    if abs(direction[1]) < 0.9:
        up = np.array([0.0, 1.0, 0.0]) - direction[1] * direction
    else:
        up = np.array([0.0, 0.0, -1.0 if direction[1] > 0 else 1.0])
    up /= np.linalg.norm(up)
    right = np.cross(up, direction)
    axes = [(right, up), (-up, right), (-right, -up), (up, -right)]
    return [View(direction, r, u, f"{name} turned {90 * k}") for k, (r, u) in enumerate(axes)]


def _fit(points: F64, side: int) -> tuple[F64, float]:
    """(N, 2) plane points placed on a side x side grid (pixel units, y down), their bounding box
    centred and its longest side filling side - 2 cells; and the scale (cells per mesh unit)."""
    low, high = points.min(axis=0), points.max(axis=0)
    scale = (side - 2) / max(float((high - low).max()), 1e-12)
    centre = (low + high) / 2.0
    placed = np.empty_like(points)
    placed[:, 0] = (points[:, 0] - centre[0]) * scale + side / 2.0
    placed[:, 1] = (centre[1] - points[:, 1]) * scale + side / 2.0
    return placed, scale


@dataclass(frozen=True)
class PictureObject:
    """The object in the picture: `rgb` (H, W, 3) uint8 the picture (at most PICTURE_MAX_SIDE a
    side); `mask` (H, W) True on the object (eroded a little, so edge pixels mixed with the
    background are not used); `box` (x0, y0, x1, y1) the object's bounding box in rgb's pixels;
    `match` (MATCH_SIDE, MATCH_SIDE) the silhouette fitted for comparison; `kind` Silhouette.kind."""

    rgb: npt.NDArray[np.uint8]
    mask: BoolArray
    box: tuple[float, float, float, float]
    match: BoolArray
    kind: str


def picture_object(image: Image.Image) -> PictureObject:
    """Cuts the picture's object out (relief.find_silhouette: alpha, else the border's colour).
    Raises InvalidInput for a picture with no object, too large, or of an unusable mode."""
    rgba = _to_rgba(image)
    if max(rgba.size) > PICTURE_MAX_SIDE:
        factor = PICTURE_MAX_SIDE / max(rgba.size)
        size = (max(1, round(rgba.width * factor)), max(1, round(rgba.height * factor)))
        rgba = rgba.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    silhouette: Silhouette = find_silhouette(rgba)
    cells = silhouette.mask
    (ox, oy), (sx, sy) = silhouette.origin, silhouette.scale
    rows = np.nonzero(cells.any(axis=1))[0]
    cols = np.nonzero(cells.any(axis=0))[0]
    box = (ox + cols[0] * sx, oy + rows[0] * sy, ox + (cols[-1] + 1) * sx, oy + (rows[-1] + 1) * sy)
    # The mask at the picture's pixels, one cell in from the outline (cells are <= 1/256 of it).
    inner = ndimage.binary_erosion(cells, iterations=1, border_value=0)
    if not inner.any():
        inner = cells
    ys, xs = np.mgrid[0 : rgba.height, 0 : rgba.width]
    cell_r = np.floor((ys + 0.5 - oy) / sy).astype(np.int64)
    cell_c = np.floor((xs + 0.5 - ox) / sx).astype(np.int64)
    inside = (cell_r >= 0) & (cell_r < cells.shape[0]) & (cell_c >= 0) & (cell_c < cells.shape[1])
    mask = np.zeros((rgba.height, rgba.width), bool)
    mask[inside] = inner[cell_r[inside], cell_c[inside]]
    # The silhouette fitted as the mesh's are (aspect in picture pixels kept, centred).
    crop = cells[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    width, height = crop.shape[1] * sx, crop.shape[0] * sy
    factor = (MATCH_SIDE - 2) / max(width, height)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    fitted = (
        np.asarray(Image.fromarray(crop.astype(np.uint8) * 255).resize(size, Image.Resampling.BILINEAR)) > 127
    )
    match = np.zeros((MATCH_SIDE, MATCH_SIDE), bool)
    top, left = (MATCH_SIDE - size[1]) // 2, (MATCH_SIDE - size[0]) // 2
    match[top : top + size[1], left : left + size[0]] = fitted
    rgb = np.asarray(rgba.convert("RGB"))
    return PictureObject(rgb=rgb, mask=mask, box=box, match=match, kind=silhouette.kind)


def _iou(a: BoolArray, b: BoolArray) -> float:
    union = int(np.count_nonzero(a | b))
    return int(np.count_nonzero(a & b)) / union if union else 0.0


@dataclass(frozen=True)
class ViewChoice:
    """The chosen view and its silhouette IoU with the picture's (0-1), the runner-up's IoU, and
    whether the mesh was flat (seen from its face whatever the IoUs: flat_axis)."""

    view: View
    iou: float
    runner_up: float
    flat: bool = False


def flat_axis(vertices: F64) -> int | None:
    """The axis (0: x, 1: y, 2: z) along which the bounding box of `vertices` (N, 3) is thinner than
    FLAT_RATIO of its longest side, or None when the mesh is not flat."""
    extent = vertices.max(axis=0) - vertices.min(axis=0)
    thin = int(np.argmin(extent))
    return thin if float(extent[thin]) < FLAT_RATIO * float(extent.max()) else None


def choose_view(
    vertices: F64, faces: npt.NDArray[np.int64], match: BoolArray, check: Callable[[], None] = lambda: None
) -> ViewChoice:
    """The candidate view whose silhouette of the mesh (vertices (N, 3), faces (M, 3)) best overlaps
    `match` (a MATCH_SIDE grid, PictureObject.match); IoUs within TIE_TOLERANCE of the best are ties,
    won by the earliest candidate (front first, then turn 0). A flat mesh (flat_axis) is seen along
    its thin axis, turn 0, from the front or the back."""
    scored: list[tuple[float, int, View]] = []
    order = 0
    for direction, name in candidate_directions():
        views = turned_views(direction, name)
        placed, _ = _fit(views[0].plane(vertices), MATCH_SIDE)
        silhouette = coverage(placed[faces], MATCH_SIDE, MATCH_SIDE, check)
        for turn, view in enumerate(views):
            scored.append((_iou(np.rot90(silhouette, turn), match), order, view))
            order += 1
        check()
    thin = flat_axis(vertices)
    eligible = scored
    if thin is not None:
        faces_of = {f"{sign}{'XYZ'[thin]} turned 0" for sign in "+-"}
        eligible = [item for item in scored if item[2].name in faces_of]
    best = max(score for score, _, _ in eligible)
    winner = min((item for item in eligible if item[0] >= best - TIE_TOLERANCE), key=lambda item: item[1])
    others = [score for score, _, view in scored if view.direction is not winner[2].direction]
    return ViewChoice(winner[2], winner[0], max(others, default=0.0), flat=thin is not None)


def picture_coordinates(
    flat: F64, low: F64, high: F64, box: tuple[float, float, float, float], keep_aspect: bool
) -> tuple[F64, F64]:
    """Picture pixel coordinates (x, y down) of view-plane points `flat` (N, 2), the plane's
    bounding box (`low`, `high`) mapped onto the picture object's `box` (x0, y0, x1, y1): corner
    onto corner, each axis scaled on its own; with `keep_aspect` (a flat mesh's face) the box is
    fitted inside the plane's, centred and unstretched, so a square picture on a 3:2 sign stays
    square (a trial's castle was squashed 1.7 times) and the rest of the face maps outside it."""
    extent = np.maximum(high - low, 1e-12)
    x0, y0, x1, y1 = box
    scale = np.array([(x1 - x0) / extent[0], (y1 - y0) / extent[1]])
    if keep_aspect:
        scale[:] = scale.max()
    centre = (low + high) / 2.0
    px = (x0 + x1) / 2.0 + (flat[:, 0] - centre[0]) * scale[0]
    py = (y0 + y1) / 2.0 + (centre[1] - flat[:, 1]) * scale[1]
    return px, py


@dataclass(frozen=True)
class TexturedMesh:
    """The painted mesh as a GLB (`glb`), its triangle count, the view used, and the share of the
    covered texels the picture saw (0-1)."""

    glb: bytes
    triangles: int
    choice: ViewChoice
    seen_fraction: float


def _cells(points: F64, low: F64, cell: float) -> npt.NDArray[np.int64]:
    """(K, 3) integer grid coordinates of points (K, 3) in cells `cell` a side from `low`."""
    return np.floor((points - low) / cell).astype(np.int64)


def _cell_keys(cells: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """(K,) one int64 per grid cell (K, 3) (coordinates >= 0): a 1-D key is unique'd far faster
    than rows (np.unique with axis=0 sorts lexicographically)."""
    side = int(cells.max()) + 1 if cells.size else 1
    return np.asarray((cells[:, 0] * side + cells[:, 1]) * side + cells[:, 2])


def _cell_means(
    points: F64, low: F64, cell: float, values: list[F64]
) -> tuple[npt.NDArray[np.int64], list[F64]]:
    """Groups points (K, 3) by their grid cell (`cell` a side from `low`): each point's group
    (K,) and, for each of `values` (each (K, 3)), its mean per group (G, 3)."""
    _, group, counts = np.unique(
        _cell_keys(_cells(points, low, cell)), return_inverse=True, return_counts=True
    )
    means = [np.stack([np.bincount(group, v[:, axis]) / counts for axis in range(3)], axis=1) for v in values]
    return group, means


def _fill_unseen(points: F64, colours: F64, seen: BoolArray, source: BoolArray) -> None:
    """Gives each unseen texel (points (K, 3), colours (K, 3), seen (K,)) the colour of the nearest
    `source` texel (the seen ones facing the view squarely) in 3D: exactly within NEAR_FILL of the
    diagonal; farther, the mean colour of the FILL_CELLS-grid cell of source texels nearest to the
    mean point of the texel's own cell (a far colour is a smear anyway).

    Why grids: a nearest-neighbour query far from a tree's points is slow (every node within the
    nearest distance is visited; for a box painted from its front, its back's 500k texels took
    10 s at 1024 px and 80 s at 2048), so only texels in or beside a NEAR_FILL cell holding a source
    texel are queried exactly, and far texels are queried once per FILL_CELLS cell."""
    unseen = np.flatnonzero(~seen)
    if unseen.size == 0:
        return
    ids = np.flatnonzero(source)
    low = points.min(axis=0)
    diagonal = max(float(np.linalg.norm(points.max(axis=0) - low)), 1e-12)
    near_cell = NEAR_FILL * diagonal
    # Any point within near_cell of a source texel lies in a cell next to (or in) that texel's.
    near_grid = _cells(points, low, near_cell) + 1  # +1: the dilation's border
    occupied = np.zeros(tuple(near_grid.max(axis=0) + 2), bool)
    occupied[tuple(near_grid[ids].T)] = True
    reachable = ndimage.binary_dilation(occupied, structure=np.ones((3, 3, 3), bool))
    candidates = unseen[reachable[tuple(near_grid[unseen].T)]]
    near = np.zeros(unseen.size, bool)
    if candidates.size:
        distance, nearest = cKDTree(points[ids]).query(
            points[candidates], k=1, distance_upper_bound=near_cell, workers=-1
        )
        found = np.isfinite(distance)
        colours[candidates[found]] = colours[ids[np.asarray(nearest, np.int64)[found]]]
        near[np.searchsorted(unseen, candidates[found])] = True
    far = unseen[~near]
    if far.size == 0:
        return
    fill_cell = diagonal / FILL_CELLS
    _, (centres, means) = _cell_means(points[ids], low, fill_cell, [points[ids], colours[ids]])
    far_of, (far_centres,) = _cell_means(points[far], low, fill_cell, [points[far]])
    _, far_nearest = cKDTree(centres).query(far_centres, k=1, workers=-1)
    colours[far] = means[np.asarray(far_nearest, np.int64)][far_of]


def _sample(rgb: npt.NDArray[np.uint8], x: F64, y: F64) -> F64:
    """Bilinear samples (K, 3) of rgb at pixel coordinates x, y (pixel centres at +0.5)."""
    height, width = rgb.shape[:2]
    fx = np.clip(x - 0.5, 0, width - 1)
    fy = np.clip(y - 0.5, 0, height - 1)
    x0, y0 = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    x1, y1 = np.minimum(x0 + 1, width - 1), np.minimum(y0 + 1, height - 1)
    ax, ay = (fx - x0)[:, None], (fy - y0)[:, None]
    top = rgb[y0, x0] * (1 - ax) + rgb[y0, x1] * ax
    bottom = rgb[y1, x0] * (1 - ax) + rgb[y1, x1] * ax
    return np.asarray(top * (1 - ay) + bottom * ay)


def texture_mesh(
    image: Image.Image,
    mesh: trimesh.Trimesh,
    texture_size: int = 0,
    on_step: StepCallback | None = None,
    check: Callable[[], None] = lambda: None,
) -> TexturedMesh:
    """Paints `mesh` (a triangle mesh, finite, >= 1 face of nonzero area) from `image` (any Pillow
    mode) by projection (see the module docstring); texture_size: pixels a side (0: 1024; clamped to
    256-2048). on_step(stage, percent, message) between phases; check() often (cancellation).
    Returns the GLB: the mesh's own positions (split at UV seams and at its hard edges), every
    triangle in order, with NORMAL (its face attribute CORNER_NORMALS where load_intake_glb gave
    one, else smooth), TEXCOORD_0 and a JPEG base-colour texture, double-sided when the mesh is not
    closed.
    Raises InvalidInput when the picture has no object (relief.find_silhouette)."""

    def step(stage: Stage, percent: float, message: str) -> None:
        if on_step is not None:
            on_step(stage, percent, message)
        check()

    size = (
        DEFAULT_TEXTURE_SIZE
        if texture_size <= 0
        else min(max(texture_size, MIN_TEXTURE_SIZE), MAX_TEXTURE_SIZE)
    )
    step(Stage.PREPROCESS, 2.0, "finding the object in the picture")
    picture = picture_object(image)
    vertices = np.asarray(mesh.vertices, np.float64)
    faces = np.asarray(mesh.faces, np.int64)

    step(Stage.TEXTURE, 10.0, "choosing the view that matches the picture")
    choice = choose_view(vertices, faces, picture.match, check)
    view = choice.view

    step(Stage.TEXTURE, 25.0, "unwrapping the mesh")
    layout = unwrap(vertices, faces, size, check)
    triangles, uvs = layout.triangles, layout.uvs
    positions = vertices[layout.vmapping]

    step(Stage.TEXTURE, 55.0, "projecting the picture")
    plane = view.plane(positions)
    depth_px, depth_scale = _fit(plane, DEPTH_SIDE)
    depths = view.depth(positions)
    zbuffer = depth_buffer(depth_px[triangles], depths[triangles], DEPTH_SIDE, DEPTH_SIDE, check)
    corners = positions[triangles]
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    lengths = np.linalg.norm(face_normals, axis=1)
    facing = (face_normals @ view.direction) / np.maximum(lengths, 1e-30)
    facing[lengths == 0] = 0.0

    texel_tri: list[npt.NDArray[np.int64]] = []
    texel_pix: list[npt.NDArray[np.int64]] = []
    texel_w: list[F64] = []
    for part in fragments(uvs[triangles] * size, size, size, check=check):
        texel_tri.append(part.triangle)
        texel_pix.append(part.pixel)
        texel_w.append(part.weights)
    tri = np.concatenate(texel_tri) if texel_tri else np.zeros(0, np.int64)
    pix = np.concatenate(texel_pix) if texel_pix else np.zeros(0, np.int64)
    weights = np.concatenate(texel_w) if texel_w else np.zeros((0, 3))
    # A texel on a shared edge is covered twice: the later triangle's sample is kept (same point).
    points = np.einsum("kj,kjd->kd", weights, corners[tri])
    points_px = np.einsum("kj,kjd->kd", weights, depth_px[triangles[tri]])
    col = np.clip(np.floor(points_px[:, 0]).astype(np.int64), 0, DEPTH_SIDE - 1)
    row = np.clip(np.floor(points_px[:, 1]).astype(np.int64), 0, DEPTH_SIDE - 1)
    cosine = facing[tri]
    slope = np.sqrt(np.maximum(1.0 - cosine**2, 0.0)) / np.maximum(cosine, MIN_FACING)
    # Depth tolerance: the surface's own change across a pixel at its slope, plus a pixel.
    tolerance = (1.5 + 1.5 * slope) / depth_scale
    visible = (cosine > MIN_FACING) & (view.depth(points) <= zbuffer[row, col] + tolerance)
    check()

    # The view's plane mapped onto the picture: bounding box onto bounding box (a flat mesh's face:
    # the picture's box inside it, its proportions kept).
    px, py = picture_coordinates(
        view.plane(points), plane.min(axis=0), plane.max(axis=0), picture.box, choice.flat
    )
    height, width = picture.mask.shape
    inside = (px >= 0) & (px < width) & (py >= 0) & (py < height)
    pcol = np.clip(np.floor(px).astype(np.int64), 0, width - 1)
    prow = np.clip(np.floor(py).astype(np.int64), 0, height - 1)
    seen = visible & inside & picture.mask[prow, pcol]
    colours = np.zeros((pix.size, 3))
    colours[seen] = _sample(picture.rgb, px[seen], py[seen])

    step(Stage.TEXTURE, 75.0, "filling what the picture cannot see")
    if seen.any():
        source = seen & (cosine >= FILL_SOURCE_FACING)
        _fill_unseen(points, colours, seen, source if source.any() else seen)
    else:
        # No covered texel is visible in the picture (a mismatched view): the object's mean colour.
        colours[:] = picture.rgb[picture.mask].mean(axis=0) if picture.mask.any() else 128.0
    check()
    flat_texture = np.zeros((size * size, 3), np.uint8)
    flat_covered = np.zeros(size * size, bool)
    flat_texture[pix] = np.clip(np.rint(colours), 0, 255).astype(np.uint8)
    flat_covered[pix] = True
    texture = flat_texture.reshape(size, size, 3)
    covered = flat_covered.reshape(size, size)
    if not covered.all():
        # Padding: every texel outside the islands takes its nearest island texel's colour.
        nearest_texel = ndimage.distance_transform_edt(~covered, return_distances=False, return_indices=True)
        texture = texture[nearest_texel[0], nearest_texel[1]]

    step(Stage.EXPORT, 90.0, "writing the GLB")
    encoded = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(texture), mode="RGB").save(encoded, format="JPEG", quality=90)
    corner_normals = mesh.face_attributes.get(CORNER_NORMALS)
    if corner_normals is not None:
        # Shaded as its file shades it: a vertex on a hard edge split once more, per normal.
        source, triangles, normals = split_by_corner_normals(
            triangles, np.asarray(corner_normals, np.float32)
        )
        positions, uvs = positions[source], uvs[source]
    else:
        normals = vertex_normals(positions, triangles)
    glb = textured_glb(
        positions.astype(np.float32),
        normals,
        uvs.astype(np.float32),
        triangles.astype(np.uint32),
        encoded.getvalue(),
        generator=GENERATOR,
        # An open mesh (a card, a single sheet) would vanish seen from behind: glTF viewers cull
        # back faces unless the material says otherwise (a trial's plane card).
        double_sided=not bool(mesh.is_watertight),
    )
    seen_fraction = float(np.count_nonzero(seen)) / max(1, pix.size)
    return TexturedMesh(
        glb=glb, triangles=int(triangles.shape[0]), choice=choice, seen_fraction=seen_fraction
    )
