"""OBJ for editing tools, written by trimesh: a zip of model.obj, model.mtl and the texture images,
in the GLB's own frame (metres, Y up)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual.material import SimpleMaterial
from trimesh.visual.texture import TextureVisuals

from kiln3d_inference.formats.geometry import linear_to_srgb
from kiln3d_inference.formats.source import Material, Model, Texture

OBJ_NAME = "model.obj"
MTL_NAME = "model.mtl"


def _simple_material(material: Material, name: str) -> SimpleMaterial:
    factor = np.array(material.base_color_factor[:3], np.float32)
    diffuse = np.round(linear_to_srgb(factor) * 255).astype(np.uint8)
    texture = material.base_color_texture
    # trimesh would encode the decoded image again (seconds for 4096 px) only for write_obj to put
    # the GLB's own bytes in its place: a 1-pixel stand-in of the same format names the file alike.
    image = None
    if texture is not None:
        image = Image.new("RGB", (1, 1))
        image.format = "JPEG" if texture.mime == "image/jpeg" else "PNG"
    return SimpleMaterial(  # type: ignore[no-untyped-call]
        image=image,
        diffuse=[int(diffuse[0]), int(diffuse[1]), int(diffuse[2]), 255],
        name=name,
    )


def write_obj(model: Model, target: Path) -> None:
    """Writes `model` to `target` as a zip holding model.obj (one object per part, vertex normals
    when the GLB has them, UVs with OBJ's origin bottom-left), model.mtl (Kd = baseColorFactor,
    map_Kd = the base colour texture) and each base colour texture byte for byte as in the GLB
    (under the name trimesh's MTL gives it)."""
    scene = trimesh.Scene()
    names: dict[int, tuple[str, Texture | None]] = {}
    for index, part in enumerate(model.parts):
        key = id(part.material)
        if key not in names:
            names[key] = (f"material{len(names)}", part.material.base_color_texture)
        name, _ = names[key]
        uv = None
        if part.uvs is not None:
            uv = np.column_stack([part.uvs[:, 0], 1.0 - part.uvs[:, 1]])
        mesh = trimesh.Trimesh(
            vertices=part.positions,
            faces=part.faces,
            vertex_normals=part.normals,
            visual=TextureVisuals(uv=uv, material=_simple_material(part.material, name)),  # type: ignore[no-untyped-call]
            process=False,
            validate=False,
        )
        scene.add_geometry(mesh, geom_name=f"part{index}", node_name=f"part{index}")
    text, files = trimesh.exchange.obj.export_obj(  # type: ignore[no-untyped-call]
        scene, include_normals=True, return_texture=True, mtl_name=MTL_NAME, header="Kiln3D"
    )
    # trimesh names each image "<material name>.<PIL format>"; put the GLB's bytes under the name.
    for name, texture in names.values():
        if texture is None:
            continue
        matches = [f for f in files if f.rsplit(".", 1)[0] == name and not f.endswith(".mtl")]
        if len(matches) != 1:
            raise RuntimeError(f"trimesh did not export the texture of {name}: {sorted(files)}")
        # The name must say what the bytes are (viewers pick a decoder by extension), whatever
        # extension trimesh chose for the stand-in; the MTL's map_Kd follows the rename.
        proper = f"{name}.{'jpg' if texture.mime == 'image/jpeg' else 'png'}"
        del files[matches[0]]
        files[proper] = texture.data
        if proper != matches[0]:
            mtl = files[MTL_NAME].decode("utf-8").replace(f" {matches[0]}", f" {proper}")
            files[MTL_NAME] = mtl.encode("utf-8")
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(_entry(OBJ_NAME), text, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
        for file_name, data in files.items():
            compression = zipfile.ZIP_DEFLATED if file_name.endswith(".mtl") else zipfile.ZIP_STORED
            archive.writestr(_entry(file_name), data, compress_type=compression)


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry named `name`, dated now, that unzips readable by everyone (rw-r--r--): writestr
    given a bare name makes it 0600, so a studio's unzipped files were its unzipper's alone."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = 0o100644 << 16  # a regular file (S_IFREG), rw-r--r--
    return info
