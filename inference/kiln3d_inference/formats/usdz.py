"""USDZ for AR Quick Look, written by Pixar's usd-core: the GLB's own frame (upAxis Y, its coordinates
as they are, metersPerUnit 1 or a painted mesh's own unit), one UsdGeom.Mesh per part, a
UsdPreviewSurface per material reading the GLB's textures."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pxr import Gf, Kind, Sdf, Usd, UsdGeom, UsdShade, UsdUtils, Vt

from kiln3d_inference.formats.source import CLAMP_TO_EDGE, MIRRORED_REPEAT, Material, Model, Texture

ROOT = "/Model"


def _wrap(mode: int) -> str:
    if mode == CLAMP_TO_EDGE:
        return "clamp"
    if mode == MIRRORED_REPEAT:
        return "mirror"
    return "repeat"


class _MaterialWriter:
    """UsdPreviewSurface materials under /Model/Materials, the texture files beside the layer."""

    def __init__(self, stage: Usd.Stage, folder: Path) -> None:
        self.stage = stage
        self.folder = folder
        self.files: dict[bytes, str] = {}
        self.made: dict[int, UsdShade.Material] = {}

    def _file(self, texture: Texture) -> str:
        key = texture.data
        if key not in self.files:
            name = f"texture{len(self.files)}.{texture.extension}"
            (self.folder / name).write_bytes(texture.data)
            self.files[key] = name
        return self.files[key]

    def _reader(self, path: str, texture: Texture, color_space: str, scale: tuple[float, ...]) -> Any:
        shader = UsdShade.Shader.Define(self.stage, path)
        shader.CreateIdAttr("UsdUVTexture")
        shader.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(f"./{self._file(texture)}")
        shader.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set(color_space)
        shader.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set(_wrap(texture.wrap_s))
        shader.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set(_wrap(texture.wrap_t))
        shader.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(*scale))
        st = UsdShade.Shader.Get(self.stage, f"{path.rsplit('/', 1)[0]}/st")
        shader.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(st.ConnectableAPI(), "result")
        return shader

    def material(self, material: Material) -> UsdShade.Material:
        """The UsdShade.Material of `material`, defined on first use."""
        key = id(material)
        if key in self.made:
            return self.made[key]
        path = f"{ROOT}/Materials/material{len(self.made)}"
        usd_material = UsdShade.Material.Define(self.stage, path)
        surface = UsdShade.Shader.Define(self.stage, f"{path}/surface")
        surface.CreateIdAttr("UsdPreviewSurface")
        factor = material.base_color_factor
        inputs = Sdf.ValueTypeNames
        st = UsdShade.Shader.Define(self.stage, f"{path}/st")
        st.CreateIdAttr("UsdPrimvarReader_float2")
        st.CreateInput("varname", inputs.String).Set("st")
        st.CreateOutput("result", inputs.Float2)
        base = material.base_color_texture
        blended = material.alpha_mode in ("MASK", "BLEND")
        if base is not None:
            reader = self._reader(f"{path}/baseColor", base, "sRGB", factor)
            rgb = reader.CreateOutput("rgb", inputs.Float3)
            surface.CreateInput("diffuseColor", inputs.Color3f).ConnectToSource(rgb)
            if blended:
                alpha = reader.CreateOutput("a", inputs.Float)
                surface.CreateInput("opacity", inputs.Float).ConnectToSource(alpha)
        else:
            surface.CreateInput("diffuseColor", inputs.Color3f).Set(Gf.Vec3f(*factor[:3]))
            if blended:
                surface.CreateInput("opacity", inputs.Float).Set(float(factor[3]))
        if material.alpha_mode == "MASK":
            surface.CreateInput("opacityThreshold", inputs.Float).Set(material.alpha_cutoff)
        orm = material.metallic_roughness_texture
        if orm is not None:
            scale = (1.0, material.roughness_factor, material.metallic_factor, 1.0)
            reader = self._reader(f"{path}/metallicRoughness", orm, "raw", scale)
            green = reader.CreateOutput("g", inputs.Float)
            blue = reader.CreateOutput("b", inputs.Float)
            surface.CreateInput("roughness", inputs.Float).ConnectToSource(green)
            surface.CreateInput("metallic", inputs.Float).ConnectToSource(blue)
        else:
            surface.CreateInput("roughness", inputs.Float).Set(material.roughness_factor)
            surface.CreateInput("metallic", inputs.Float).Set(material.metallic_factor)
        usd_material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
        self.made[key] = usd_material
        return usd_material


def write_usdz(model: Model, target: Path, meters_per_unit: float = 1.0) -> None:
    """Writes `model` to `target` as a USDZ package made by UsdUtils.CreateNewARKitUsdzPackage:
    upAxis Y, the GLB's coordinates as they are with `meters_per_unit` (1: glTF's metres; a painted
    mesh authored in millimetres says 0.001, so AR Quick Look shows it at its real size), default
    prim /Model (kind component), one UsdGeom.Mesh per part (triangles, subdivisionScheme none,
    vertex normals and `st` texture coordinates with USD's origin bottom-left) bound to a
    UsdPreviewSurface: diffuseColor from the base colour texture scaled by baseColorFactor,
    roughness and metallic from the G and B channels of the metallic-roughness texture, opacity
    from the base colour's alpha for MASK and BLEND. The GLB's texture files are packed byte for
    byte."""
    with tempfile.TemporaryDirectory(prefix="kiln3d-usdz-") as work:
        folder = Path(work)
        layer = folder / "model.usdc"
        stage = Usd.Stage.CreateNew(str(layer))
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, meters_per_unit)
        root = UsdGeom.Xform.Define(stage, ROOT)
        stage.SetDefaultPrim(root.GetPrim())
        Usd.ModelAPI(root.GetPrim()).SetKind(Kind.Tokens.component)
        materials = _MaterialWriter(stage, folder)
        for index, part in enumerate(model.parts):
            mesh = UsdGeom.Mesh.Define(stage, f"{ROOT}/Geometry/part{index}")
            points = np.ascontiguousarray(part.positions, dtype=np.float32)
            mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
            mesh.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(np.stack([points.min(axis=0), points.max(axis=0)])))
            counts = np.full(part.faces.shape[0], 3, dtype=np.int32)
            mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(counts))
            indices = np.ascontiguousarray(part.faces.reshape(-1), dtype=np.int32)
            mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(indices))
            mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
            mesh.CreateOrientationAttr(UsdGeom.Tokens.rightHanded)
            mesh.CreateDoubleSidedAttr(part.material.double_sided)
            if part.normals is not None:
                mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(part.normals)))
                mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
            if part.uvs is not None:
                st = np.ascontiguousarray(np.column_stack([part.uvs[:, 0], 1.0 - part.uvs[:, 1]]), np.float32)
                primvar = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
                    "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex
                )
                primvar.Set(Vt.Vec2fArray.FromNumpy(st))
            binding = UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim())
            binding.Bind(materials.material(part.material))
        stage.GetRootLayer().Save()
        package = folder / "model.usdz"
        if not UsdUtils.CreateNewARKitUsdzPackage(Sdf.AssetPath(str(layer)), str(package)):
            raise RuntimeError("usd-core could not pack the USDZ")
        shutil.copyfile(package, target)
