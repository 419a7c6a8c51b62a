"""A painted mesh's own size (POST /api/texture's `units`; the formats tool's --units): STL and 3MF
without --size-mm are made at the mesh's coordinates x its unit in millimetres (Z up, centred on
x = y = 0, resting on z = 0, no rescale), with --size-mm rescaled as for any model; USDZ keeps the
coordinates and declares metersPerUnit from the unit. The box is a 40 mm part: 0.020 x 0.040 x
0.015 in metres (glTF's unit), or 20 x 40 x 15 in millimetres, placed away from the origin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import lib3mf
import numpy as np
import pytest
import trimesh
from PIL import Image
from pxr import Usd, UsdGeom

from kiln3d_inference.formats.cli import convert, main
from kiln3d_inference.formats.geometry import own_size_mm
from kiln3d_inference.textured_glb import textured_glb
from tests.formats_support import F64, assert_bounds_close

# glTF axes: x across, y up, z towards the viewer; the printing frame turns y to z and z to -y.
BOX_EXTENTS = (20.0, 40.0, 15.0)
PRINTED_EXTENTS = np.array([20.0, 15.0, 40.0])


def box_glb(scale: float) -> bytes:
    """A textured box of BOX_EXTENTS x `scale` (0.001: metres, 1: millimetres), centred well away
    from the origin (a mesh keeps its own place)."""
    box = trimesh.creation.box(extents=[e * scale for e in BOX_EXTENTS])
    box.apply_translation(np.array([300.0, 120.0, -80.0]) * scale)
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (40, 160, 90)).save(picture, format="PNG")
    return textured_glb(
        np.asarray(box.vertices, np.float32),
        np.asarray(box.vertex_normals, np.float32),
        np.zeros((len(box.vertices), 2), np.float32),
        np.asarray(box.faces, np.uint32),
        picture.getvalue(),
        generator="kiln3d tests",
    )


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("own-size")
    paths = {"m": folder / "metres.glb", "mm": folder / "millimetres.glb"}
    paths["m"].write_bytes(box_glb(0.001))
    paths["mm"].write_bytes(box_glb(1.0))
    return paths


def stl_bounds(path: Path) -> F64:
    mesh = trimesh.load_mesh(str(path), file_type="stl", process=False)
    return np.stack([mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)])


def threemf_bounds(path: Path) -> F64:
    model = lib3mf.get_wrapper().CreateModel()
    model.QueryReader("3mf").ReadFromFile(str(path))
    assert model.GetUnit() == lib3mf.ModelUnit.MilliMeter
    objects = model.GetMeshObjects()
    corners = []
    while objects.MoveNext():
        corners.append(np.array([list(v.Coordinates) for v in objects.GetCurrentMeshObject().GetVertices()]))
    vertices = np.concatenate(corners)
    return np.stack([vertices.min(axis=0), vertices.max(axis=0)])


def printed(extents: F64) -> F64:
    """The printing frame's box of `extents` (x, y, z in millimetres): centred on x = y = 0, on z = 0."""
    half = extents / 2
    return np.stack([[-half[0], -half[1], 0.0], [half[0], half[1], extents[2]]])


def test_own_size_is_the_longest_side_times_the_unit() -> None:
    positions = np.array([[0.0, 0.0, 0.0], [20.0, 40.0, 15.0]])
    assert own_size_mm(positions, "mm") == 40.0
    assert own_size_mm(positions, "cm") == 400.0
    assert own_size_mm(positions, "in") == pytest.approx(1016.0)
    assert own_size_mm(positions / 1000, "m") == pytest.approx(40.0)


@pytest.mark.parametrize("units", ["m", "mm"])
@pytest.mark.parametrize("fmt", ["stl", "3mf"])
def test_printing_formats_keep_the_meshs_own_size(
    sources: dict[str, Path], tmp_path: Path, units: str, fmt: str
) -> None:
    target = tmp_path / f"own.{fmt}"
    line = convert(fmt, sources[units], target, units=units)
    assert line["size_mm"] == pytest.approx(40.0)
    bounds = stl_bounds(target) if fmt == "stl" else threemf_bounds(target)
    # 40 mm tall, a 20 x 15 mm footprint: the part as drawn, not 100 mm.
    assert_bounds_close(bounds, printed(PRINTED_EXTENTS), tolerance=0.001)


@pytest.mark.parametrize("fmt", ["stl", "3mf"])
def test_a_size_asked_for_still_rescales_a_painted_mesh(
    sources: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"sized.{fmt}"
    line = convert(fmt, sources["mm"], target, size_mm=100.0, units="mm")
    assert line["size_mm"] == 100.0
    bounds = stl_bounds(target) if fmt == "stl" else threemf_bounds(target)
    assert_bounds_close(bounds, printed(PRINTED_EXTENTS * 2.5), tolerance=0.001)


def test_without_units_a_mesh_is_printed_at_the_default_size_as_before(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "generated.stl"
    assert convert("stl", sources["m"], target)["size_mm"] == 100.0
    assert_bounds_close(stl_bounds(target), printed(PRINTED_EXTENTS * 2.5), tolerance=0.001)


@pytest.mark.parametrize(
    ("units", "meters_per_unit"), [("mm", 0.001), ("cm", 0.01), ("in", 0.0254), ("m", 1.0)]
)
def test_usdz_declares_meters_per_unit_from_the_units(
    sources: dict[str, Path], tmp_path: Path, units: str, meters_per_unit: float
) -> None:
    target = tmp_path / f"{units}.usdz"
    line = convert("usdz", sources["mm"], target, units=units)
    assert line["size_mm"] is None
    stage = Usd.Stage.Open(str(target))
    assert UsdGeom.GetStageMetersPerUnit(stage) == pytest.approx(meters_per_unit)
    # The coordinates are the GLB's own: only the declared unit says how long one is.
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_])
    box = cache.ComputeWorldBound(stage.GetDefaultPrim()).ComputeAlignedRange()
    assert np.array(box.GetMax()) - np.array(box.GetMin()) == pytest.approx(np.array(BOX_EXTENTS), abs=1e-3)


def test_usdz_without_units_says_metres(sources: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "generated.usdz"
    convert("usdz", sources["m"], target)
    assert UsdGeom.GetStageMetersPerUnit(Usd.Stage.Open(str(target))) == 1.0


def test_the_command_line_takes_units_and_reports_the_own_size(
    sources: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.tmp"
    assert main(["--format", "3mf", "--units", "mm", str(sources["mm"]), str(target)]) == 0
    assert json.loads(capsys.readouterr().out)["size_mm"] == 40.0


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "obj", "--units", "mm"],
        ["--format", "ply", "--units", "m"],
        ["--format", "stl", "--units", "ft"],
    ],
)
def test_units_where_they_change_nothing_or_unknown_are_usage_errors(
    sources: dict[str, Path], tmp_path: Path, args: list[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*args, str(sources["mm"]), str(tmp_path / "out")])
    assert exited.value.code == 2
    assert not (tmp_path / "out").exists()
