"""Each download format (kiln3d_inference/formats) of two GLBs, the real inflate engine's and a
multi-node, multi-primitive PBR one made with trimesh, read back by readers other than the writer:
trimesh's loaders, lib3mf, usd-core (with UsdValidation). Triangle counts and bounding boxes
match trimesh's reading of the GLB; STL and 3MF are Z up, in millimetres, the longest side size_mm."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import lib3mf
import numpy as np
import pytest
import trimesh
from PIL import Image
from pxr import Usd, UsdGeom, UsdShade, UsdValidation

from kiln3d_inference.formats.cli import FORMATS, convert
from tests.formats_support import (
    F64,
    Reference,
    assert_bounds_close,
    inflate_glb,
    multi_part_glb,
    reference,
    to_print_bounds,
)

SOURCES = ("inflate", "multi")
SIZE_MM = 150.0


class Converted:
    """One source GLB, trimesh's reading of it, and each format written from it once."""

    def __init__(self, folder: Path, name: str, glb: bytes) -> None:
        self.source = folder / f"{name}.glb"
        self.source.write_bytes(glb)
        self.reference: Reference = reference(self.source)
        self.files: dict[str, Path] = {}
        self.lines: dict[str, dict[str, object]] = {}
        for fmt in FORMATS:
            target = folder / f"{name}.{fmt}"
            size = SIZE_MM if fmt in ("stl", "3mf") else None
            self.lines[fmt] = convert(fmt, self.source, target, size)
            self.files[fmt] = target


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Converted]:
    folder = tmp_path_factory.mktemp("formats")
    return {
        "inflate": Converted(folder, "inflate", inflate_glb()),
        "multi": Converted(folder, "multi", multi_part_glb()),
    }


def _trimesh_facts(path: Path, file_type: str) -> tuple[int, F64]:
    """Triangle count and bounds of a file as trimesh's loader reads it (scene flattened)."""
    loaded = trimesh.load_scene(str(path), file_type=file_type, process=False)
    meshes = [m for m in loaded.dump() if isinstance(m, trimesh.Trimesh)]
    vertices = np.concatenate([m.vertices for m in meshes])
    return sum(len(m.faces) for m in meshes), np.stack([vertices.min(axis=0), vertices.max(axis=0)])


def _obj_folder(zip_path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    return folder / "model.obj"


def _usd_facts(path: Path) -> tuple[int, F64]:
    stage = Usd.Stage.Open(str(path))
    triangles = 0
    for prim in stage.Traverse():
        if prim.IsA(UsdGeom.Mesh):
            counts = np.array(UsdGeom.Mesh(prim).GetFaceVertexCountsAttr().Get())
            assert (counts == 3).all()
            triangles += len(counts)
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_])
    box = cache.ComputeWorldBound(stage.GetDefaultPrim()).ComputeAlignedRange()
    return triangles, np.array([list(box.GetMin()), list(box.GetMax())])


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_triangles_and_bounds_match_the_glb(
    converted: dict[str, Converted], source: str, fmt: str, tmp_path: Path
) -> None:
    case = converted[source]
    ref = case.reference
    line = case.lines[fmt]
    path = case.files[fmt]
    assert line["triangles"] == ref.triangles
    assert line["bytes"] == path.stat().st_size
    if fmt == "stl":
        triangles, bounds = _trimesh_facts(path, "stl")
        assert path.stat().st_size == 84 + 50 * ref.triangles  # binary STL
    elif fmt == "3mf":
        triangles, bounds = _trimesh_facts(path, "3mf")
    elif fmt == "ply":
        triangles, bounds = _trimesh_facts(path, "ply")
    elif fmt == "obj":
        triangles, bounds = _trimesh_facts(_obj_folder(path, tmp_path), "obj")
    else:
        triangles, bounds = _usd_facts(path)
    assert triangles == ref.triangles
    if fmt in ("stl", "3mf"):
        assert line["size_mm"] == SIZE_MM
        assert_bounds_close(bounds, to_print_bounds(ref.bounds, SIZE_MM))
    else:
        assert line["size_mm"] is None
        assert_bounds_close(bounds, ref.bounds)


@pytest.mark.parametrize("source", SOURCES)
def test_every_format_reports_the_closed_models_as_watertight(
    converted: dict[str, Converted], source: str
) -> None:
    # The relief is closed; the box, cylinder and spheres are each closed (UV seams are not holes).
    assert {fmt: line["watertight"] for fmt, line in converted[source].lines.items()} == dict.fromkeys(
        FORMATS, True
    )


@pytest.mark.parametrize("source", SOURCES)
def test_lib3mf_reads_millimetres_triangles_and_size(converted: dict[str, Converted], source: str) -> None:
    case = converted[source]
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    model.QueryReader("3mf").ReadFromFile(str(case.files["3mf"]))
    assert model.GetUnit() == lib3mf.ModelUnit.MilliMeter
    objects = model.GetMeshObjects()
    triangles = 0
    corners = []
    while objects.MoveNext():
        mesh = objects.GetCurrentMeshObject()
        triangles += mesh.GetTriangleCount()
        corners.append(np.array([list(v.Coordinates) for v in mesh.GetVertices()]))
    vertices = np.concatenate(corners)
    extent = vertices.max(axis=0) - vertices.min(axis=0)
    assert triangles == case.reference.triangles
    assert extent.max() == pytest.approx(SIZE_MM, rel=0.01)
    assert vertices[:, 2].min() == pytest.approx(0.0, abs=1e-3)
    # Colour: the textured parts through a Texture2D group, the untextured sphere a colour group.
    assert model.GetTexture2DGroups().Count() == 1
    assert model.GetColorGroups().Count() == (1 if source == "multi" else 0)


@pytest.mark.parametrize("source", SOURCES)
def test_usdz_passes_usd_validation_with_a_textured_preview_surface(
    converted: dict[str, Converted], source: str
) -> None:
    stage = Usd.Stage.Open(str(converted[source].files["usdz"]))
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    keywords = {k for v in validators for k in v.GetMetadata().GetKeywords()}
    assert "UsdzValidators" in keywords
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    assert [(e.GetName(), e.GetMessage()) for e in errors] == []
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    textured = []
    for prim in stage.Traverse():
        shader = UsdShade.Shader(prim)
        if prim.IsA(UsdShade.Shader) and shader.GetIdAttr().Get() == "UsdPreviewSurface":
            diffuse = shader.GetInput("diffuseColor")
            if diffuse.HasConnectedSource():
                (source_info,) = diffuse.GetConnectedSources()[0]
                reader = UsdShade.Shader(source_info.source.GetPrim())
                assert reader.GetIdAttr().Get() == "UsdUVTexture"
                textured.append(str(reader.GetInput("file").Get().path))
    assert textured, "no UsdPreviewSurface with a diffuseColor texture"
    assert all(name.endswith((".png", ".jpg")) for name in textured)


@pytest.mark.parametrize("source", SOURCES)
def test_obj_texture_has_the_glb_base_colour_pixels(
    converted: dict[str, Converted], source: str, tmp_path: Path
) -> None:
    case = converted[source]
    obj = _obj_folder(case.files["obj"], tmp_path)
    # Every entry unzips readable by everyone (rw-r--r--), not its unzipper's alone (0600).
    with zipfile.ZipFile(case.files["obj"]) as archive:
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o100644}
    mtl = (tmp_path / "model.mtl").read_text(encoding="utf-8")
    maps = [line.split(maxsplit=1)[1].strip() for line in mtl.splitlines() if line.startswith("map_Kd")]
    assert len(maps) == 1, mtl
    obj_text = obj.read_text(encoding="utf-8")
    assert obj_text.startswith("# Kiln3D") or "mtllib model.mtl" in obj_text
    assert case.reference.base_color is not None
    expected = np.asarray(case.reference.base_color.convert("RGBA"))
    texture = (tmp_path / maps[0]).read_bytes()
    actual = np.asarray(Image.open(io.BytesIO(texture)).convert("RGBA"))
    np.testing.assert_array_equal(actual, expected)
    # The name says what the bytes are: viewers choose a decoder by the extension (a new user's
    # trial found the inflate model's JPEG named .png).
    magic = {".jpg": b"\xff\xd8\xff", ".png": b"\x89PNG"}
    assert texture.startswith(magic[Path(maps[0]).suffix]), (maps[0], texture[:4])


@pytest.mark.parametrize("source", SOURCES)
def test_ply_is_binary_with_varied_vertex_colours(converted: dict[str, Converted], source: str) -> None:
    path = converted[source].files["ply"]
    assert b"format binary_little_endian 1.0" in path.read_bytes()[:200]
    mesh = trimesh.load_mesh(str(path), file_type="ply", process=False)
    assert isinstance(mesh.visual, trimesh.visual.ColorVisuals)
    colors = np.asarray(mesh.visual.vertex_colors)
    assert colors.shape == (len(mesh.vertices), 4)
    assert len(np.unique(colors[:, :3], axis=0)) > 10
    if source == "multi":
        # The spheres are untextured: trimesh wrote baseColorFactor (200, 30, 30) / 255, which glTF
        # takes as linear; the PLY's colours are sRGB.
        linear = np.array([200, 30, 30]) / 255
        srgb = np.round(
            np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055) * 255
        )
        assert (np.all(colors[:, :3] == srgb, axis=1)).sum() > 100
