"""The pieces of inflate's projection texturing: the numpy rasteriser, the candidate views and their
turns, the view choice, and the unwrapping child."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import pytest
import trimesh
from PIL import Image

from kiln3d_inference.engines.base import EngineError
from kiln3d_inference.engines.projection_texturing import (
    MATCH_SIDE,
    NEAR_FILL,
    _fill_unseen,
    _fit,
    candidate_directions,
    choose_view,
    flat_axis,
    picture_coordinates,
    picture_object,
    texture_mesh,
    turned_views,
)
from kiln3d_inference.engines.raster import coverage, depth_buffer, fragments
from kiln3d_inference.engines.unwrap import pieces, unwrap
from kiln3d_inference.meshes.intake import intake, load_intake_glb
from tests.helpers import read_glb, samples_dir


def test_two_triangles_of_a_square_cover_it_without_gaps_or_spill() -> None:
    square = np.array([[[2.0, 2.0], [12.0, 2.0], [12.0, 9.0]], [[2.0, 2.0], [12.0, 9.0], [2.0, 9.0]]])
    covered = coverage(square, 16, 12)
    expected = np.zeros((12, 16), bool)
    expected[2:9, 2:12] = True  # pixel centres 2.5 .. 8.5 and 2.5 .. 11.5
    assert np.array_equal(covered, expected)
    # Either winding; small budgets give the same pixels in more chunks.
    flipped = square[:, ::-1]
    assert np.array_equal(coverage(flipped, 16, 12), expected)
    parts = list(fragments(square, 16, 12, budget=8))
    assert len(parts) == 2  # one triangle a chunk
    assert np.unique(np.concatenate([p.pixel for p in parts])).size == 70


def test_barycentric_weights_reproduce_the_pixel_centre() -> None:
    triangle = np.array([[[1.0, 1.0], [30.0, 4.0], [9.0, 25.0]]])
    (part,) = fragments(triangle, 32, 32)
    centres = np.stack([part.pixel % 32 + 0.5, part.pixel // 32 + 0.5], axis=1)
    assert np.allclose(part.weights @ triangle[0], centres)
    assert (part.weights >= 0).all()


def test_the_depth_buffer_keeps_the_nearest_surface() -> None:
    big = [[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]]
    corners = np.array([big, big])
    depths = np.array([[5.0, 5.0, 5.0], [1.0, 1.0, 9.0]])
    buffer = depth_buffer(corners, depths, 20, 20)
    assert buffer[0, 0] == pytest.approx(1.0 + 8.0 * 0.5 / 20)  # the second, nearer there
    assert buffer[17, 1] == pytest.approx(5.0)  # the first, nearer near the far corner
    assert np.isinf(buffer[19, 19])


def test_the_26_directions_front_first() -> None:
    directions = candidate_directions()
    assert len(directions) == 26
    assert directions[0][1] == "+Z"
    vectors = np.array([d for d, _ in directions])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert len({tuple(np.round(v, 6)) for v in vectors}) == 26


def _l_shape() -> trimesh.Trimesh:
    """An L (a bar 3 tall and a foot 1 long to its right), extruded along Z: its front silhouette's
    mirror image is none of its turns."""
    tall = trimesh.creation.box(extents=(1.0, 3.0, 0.6))
    foot = trimesh.creation.box(extents=(1.0, 1.0, 0.6))
    foot.apply_translation([1.0, -1.0, 0.0])
    joined = trimesh.util.concatenate([tall, foot])
    assert isinstance(joined, trimesh.Trimesh)
    return joined


@pytest.mark.parametrize("name", ["+Z", "+X+Y", "-Y", "+X-Y-Z"])
def test_a_turned_view_sees_the_silhouette_turned(name: str) -> None:
    # choose_view renders each direction once and turns the picture (np.rot90) for the other three.
    mesh = _l_shape()
    direction = next(d for d, n in candidate_directions() if n == name)
    views = turned_views(direction, name)
    faces = np.asarray(mesh.faces)
    vertices = np.asarray(mesh.vertices, np.float64)
    base = coverage(_fit(views[0].plane(vertices), MATCH_SIDE)[0][faces], MATCH_SIDE, MATCH_SIDE)
    for turn, view in enumerate(views):
        assert np.allclose(np.cross(view.up, view.direction), view.right)
        direct = coverage(_fit(view.plane(vertices), MATCH_SIDE)[0][faces], MATCH_SIDE, MATCH_SIDE)
        assert np.mean(direct != np.rot90(base, turn)) < 0.01, turn


def _silhouette_picture(mask: np.ndarray) -> Image.Image:
    rgb = np.where(mask[..., None], np.array([40, 120, 200], np.uint8), np.uint8(255))
    return Image.fromarray(np.ascontiguousarray(rgb.astype(np.uint8)))


def test_the_view_matching_the_picture_is_chosen() -> None:
    mesh = _l_shape()
    vertices, faces = np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces)
    # The L as seen from the front: a bar 1 x 3 with a foot 1 x 1 to its right (100 px a unit).
    mask = np.zeros((400, 400), bool)
    mask[50:350, 50:150] = True
    mask[250:350, 150:250] = True
    choice = choose_view(vertices, faces, picture_object(_silhouette_picture(mask)).match)
    assert choice.view.name == "+Z turned 0", choice
    assert choice.iou > 0.9
    # Mirrored (the foot to the left): the L seen from behind.
    choice = choose_view(vertices, faces, picture_object(_silhouette_picture(mask[:, ::-1])).match)
    assert choice.view.name == "-Z turned 0", choice
    # Lying on its back, the foot up: the front view turned.
    choice = choose_view(vertices, faces, picture_object(_silhouette_picture(np.rot90(mask))).match)
    assert choice.view.name.startswith("+Z turned") or choice.view.name.startswith("-Z turned")
    assert not choice.view.name.endswith("turned 0")


def test_a_flat_card_is_seen_from_its_face_unturned() -> None:
    # A trial's sign, 0.3 x 0.2 x 0.01 facing +Z, with a castle picture: it was painted from a
    # corner or turned 90 degrees, because a card's outline (a rectangle) fits a turned picture best.
    castle = Image.open(samples_dir() / "typical_building_castle.png")
    match = picture_object(castle).match
    sign = trimesh.creation.box(extents=(0.3, 0.2, 0.01))
    vertices, faces = np.asarray(sign.vertices, np.float64), np.asarray(sign.faces)
    assert flat_axis(vertices) == 2
    choice = choose_view(vertices, faces, match)
    assert (choice.view.name, choice.flat) == ("+Z turned 0", True)
    # A portrait card (the picture's aspect turned) stays unturned too.
    portrait = trimesh.creation.box(extents=(0.2, 0.3, 0.01))
    assert choose_view(
        np.asarray(portrait.vertices, np.float64), np.asarray(portrait.faces), match
    ).view.name == ("+Z turned 0")
    # A floor tile is seen from above (its turn 0 has -Z up).
    tile = trimesh.creation.box(extents=(0.3, 0.01, 0.2))
    tile_vertices = np.asarray(tile.vertices, np.float64)
    assert flat_axis(tile_vertices) == 1
    assert choose_view(tile_vertices, np.asarray(tile.faces), match).view.name == "+Y turned 0"


def test_a_flat_face_keeps_the_pictures_proportions() -> None:
    # A 3:2 sign and a square picture object (100 px a side at 50..150): the square stays square,
    # centred, the sign's sides beyond it map outside the picture's box.
    corners = np.array([[-1.5, -1.0], [1.5, -1.0], [1.5, 1.0], [-1.5, 1.0]])
    low, high = corners.min(axis=0), corners.max(axis=0)
    box = (50.0, 50.0, 150.0, 150.0)
    px, py = picture_coordinates(corners, low, high, box, keep_aspect=True)
    assert np.allclose(py, [150.0, 150.0, 50.0, 50.0])
    assert np.allclose(px, [25.0, 175.0, 175.0, 25.0])
    # A mesh of another shape: box onto box, each axis on its own (its silhouette was matched).
    px, py = picture_coordinates(corners, low, high, box, keep_aspect=False)
    assert np.allclose(px, [50.0, 150.0, 150.0, 50.0])
    assert np.allclose(py, [150.0, 150.0, 50.0, 50.0])


def test_a_flat_cut_out_seen_mirrored_is_painted_from_its_back() -> None:
    # The L as a thin cut-out (0.05 deep): its face still decides between front and back.
    tall = trimesh.creation.box(extents=(1.0, 3.0, 0.05))
    foot = trimesh.creation.box(extents=(1.0, 1.0, 0.05))
    foot.apply_translation([1.0, -1.0, 0.0])
    cut_out = trimesh.util.concatenate([tall, foot])
    assert isinstance(cut_out, trimesh.Trimesh)
    vertices, faces = np.asarray(cut_out.vertices, np.float64), np.asarray(cut_out.faces)
    mask = np.zeros((400, 400), bool)
    mask[50:350, 50:150] = True
    mask[250:350, 150:250] = True
    assert (
        choose_view(vertices, faces, picture_object(_silhouette_picture(mask)).match).view.name
        == "+Z turned 0"
    )
    mirrored = picture_object(_silhouette_picture(mask[:, ::-1])).match
    assert choose_view(vertices, faces, mirrored).view.name == "-Z turned 0"
    assert flat_axis(np.asarray(_l_shape().vertices, np.float64)) is None


def test_an_open_mesh_is_painted_double_sided_a_closed_one_not() -> None:
    # A single-sheet card vanished seen from behind in every glTF viewer (back faces culled).
    lantern = Image.open(samples_dir() / "typical_misc_lantern.png")
    sheet = trimesh.Trimesh(
        vertices=[[-0.1, -0.15, 0.0], [0.1, -0.15, 0.0], [0.1, 0.15, 0.0], [-0.1, 0.15, 0.0]],
        faces=[[0, 1, 2], [0, 2, 3]],
        process=False,
    )
    box = trimesh.creation.box(extents=(0.2, 0.3, 0.05))
    for mesh, expected in ((sheet, True), (box, False)):
        document, _ = read_glb(texture_mesh(lantern, mesh, 256).glb)
        materials = document["materials"]
        assert isinstance(materials, list)
        (material,) = materials
        assert material.get("doubleSided", False) is expected, material


def _painted_corner_normals(mesh: trimesh.Trimesh) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Paints the intake's canonical mesh of `mesh` (a GLB of it, through the sidecar's loader);
    the painted GLB's normals at each corner (M, 3, 3) and its face normals (M, 3)."""
    lantern = Image.open(samples_dir() / "typical_misc_lantern.png")
    exported = mesh.export(file_type="glb")
    assert isinstance(exported, bytes)
    loaded = load_intake_glb(intake(exported, 100_000).glb())
    painted = trimesh.load_scene(
        io.BytesIO(texture_mesh(lantern, loaded, 256).glb), file_type="glb", process=False
    )
    (geometry,) = painted.geometry.values()
    assert isinstance(geometry, trimesh.Trimesh)
    assert len(geometry.faces) == len(mesh.faces)
    normals = np.asarray(geometry.vertex_normals, np.float64)[geometry.faces]
    return normals, np.asarray(geometry.face_normals, np.float64)


def test_a_faceted_mesh_is_painted_faceted_and_a_smooth_one_smooth() -> None:
    # A trial: a flat-shaded icosahedron came back painted as a smooth blob, every corner's normal
    # up to 41.8 degrees off its face's.
    sphere = trimesh.creation.icosphere(subdivisions=0, radius=0.02)
    corners = np.asarray(sphere.triangles).reshape(-1, 3)
    flat = np.repeat(np.asarray(sphere.face_normals), 3, axis=0)
    triangles = np.arange(corners.shape[0]).reshape(-1, 3)
    faceted = trimesh.Trimesh(corners, triangles, vertex_normals=flat, process=False)
    normals, faces = _painted_corner_normals(faceted)
    assert np.allclose(normals, faces[:, None, :], atol=1e-4), "each corner its face's normal"
    normals, faces = _painted_corner_normals(sphere)
    off = np.degrees(np.arccos(np.clip((normals * faces[:, None, :]).sum(axis=2), -1.0, 1.0)))
    assert off.max() > 20.0, "a smooth sphere stays smooth: corners follow the surface, not the face"


def test_pieces_cover_every_triangle_once() -> None:
    centroids = np.random.default_rng(3).normal(size=(12_345, 3))
    groups = pieces(centroids, limit=1000)
    assert all(g.size <= 1000 for g in groups)
    assert np.array_equal(np.sort(np.concatenate(groups)), np.arange(12_345))


def test_unwrapping_keeps_every_triangle_in_order_and_every_position() -> None:
    mesh = trimesh.creation.icosphere(subdivisions=4)  # 5120 triangles: more than one piece
    vertices, faces = np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces, np.int64)
    layout = unwrap(vertices, faces, 512)
    assert layout.triangles.shape == faces.shape
    # The same corners, in the same order, only the vertices split at seams.
    assert np.array_equal(layout.vmapping[layout.triangles], faces)
    assert layout.uvs.min() >= 0.0
    assert layout.uvs.max() <= 1.0


def test_a_cancelled_unwrap_stops_the_child() -> None:
    mesh = trimesh.creation.icosphere(subdivisions=5)
    calls = []

    def cancel() -> None:
        calls.append(1)
        if len(calls) > 1:
            raise EngineError("cancelled")

    with pytest.raises(EngineError, match="cancelled"):
        unwrap(np.asarray(mesh.vertices), np.asarray(mesh.faces), 1024, cancel)


def test_unseen_texels_take_the_nearest_seen_colour_near_and_their_regions_far() -> None:
    # Seen texels on the plane z = 0: red where x < 0.5, blue from 0.5. Unseen: a row just beside
    # the plane (within NEAR_FILL of the diagonal: the exact nearest) and a plane far behind it
    # (z = -1: the nearest region's colour, red behind red and blue behind blue).
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 201), np.linspace(0, 1, 201)), axis=-1).reshape(-1, 2)
    seen_points = np.column_stack([grid, np.zeros(len(grid))])
    near_points = np.array([[0.2, 1.005, 0.0], [0.8, 1.005, 0.0], [0.497, -0.004, 0.0]])
    far_points = np.column_stack([grid[::7], np.full(len(grid[::7]), -1.0)])
    points = np.concatenate([seen_points, near_points, far_points])
    colours = np.zeros((len(points), 3))
    red = seen_points[:, 0] < 0.5
    colours[: len(grid)][red] = (255, 0, 0)
    colours[: len(grid)][~red] = (0, 0, 255)
    seen = np.zeros(len(points), bool)
    seen[: len(grid)] = True
    diagonal = float(np.linalg.norm(points.max(axis=0) - points.min(axis=0)))
    assert NEAR_FILL * diagonal > 0.005  # the near row is within reach, the far plane is not

    _fill_unseen(points, colours, seen, seen)

    near = colours[len(grid) : len(grid) + 3]
    assert near.tolist() == [[255, 0, 0], [0, 0, 255], [255, 0, 0]]
    far = colours[len(grid) + 3 :]
    far_x = far_points[:, 0]
    # A far texel takes a region's mean: away from the split (one fill cell each side) it is pure.
    clear = np.abs(far_x - 0.5) > 0.02
    assert np.all(far[clear & (far_x < 0.5)] == (255, 0, 0))
    assert np.all(far[clear & (far_x > 0.5)] == (0, 0, 255))
