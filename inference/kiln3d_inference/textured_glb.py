"""One textured triangle mesh as a binary glTF (GLB), written by trimesh's glTF exporter.

Only the assembly lives here: the arrays and the encoded texture become a `trimesh.Trimesh` with a
`PBRMaterial`, and trimesh writes the file. Two hooks of trimesh's `export_glb` keep what its defaults
would change: the texture's own bytes are embedded (trimesh would decode a JPEG and encode it again at
Pillow's default quality 75), and the JSON gets `asset.generator`, a clamping sampler and the buffer
views' targets.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import numpy.typing as npt
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

LINEAR = 9729
LINEAR_MIPMAP_LINEAR = 9987
CLAMP_TO_EDGE = 33071
ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
TEXTURE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


def textured_glb(
    positions: npt.NDArray[np.float32],
    normals: npt.NDArray[np.float32],
    uvs: npt.NDArray[np.float32],
    triangles: npt.NDArray[np.uint32],
    texture: bytes,
    *,
    generator: str,
    name: str = "model",
    double_sided: bool = False,
) -> bytes:
    """A GLB of one mesh: one node and one primitive named `name`, vertices and triangles in the
    order given (nothing merged), `normals` (N, 3) exported, `uvs` (N, 2) in glTF's convention
    (origin at the image's top left, as a glTF reader sees them), the encoded `texture` (JPEG or
    PNG) embedded byte for byte as the base colour of one PBR material (non-metallic, roughness
    0.9, clamped at the edges; `double_sided`: glTF's doubleSided, drawn from behind too), and
    `generator` as asset.generator. Y up, metres, triangles counter-clockwise seen from outside."""
    picture = Image.open(io.BytesIO(texture))
    if picture.format not in TEXTURE_FORMATS:
        raise ValueError(f"texture must be JPEG or PNG, not {picture.format}")
    # trimesh keeps UVs with the origin at the bottom left (OpenGL) and flips V when it writes glTF.
    trimesh_uvs = np.asarray(uvs, dtype=np.float64).copy()
    trimesh_uvs[:, 1] = 1.0 - trimesh_uvs[:, 1]
    # trimesh's visual classes and export are untyped.
    material = PBRMaterial(  # type: ignore[no-untyped-call]
        name="surface",
        baseColorTexture=picture,
        metallicFactor=0.0,
        roughnessFactor=0.9,
        doubleSided=double_sided,
    )
    mesh = trimesh.Trimesh(
        vertices=np.asarray(positions, dtype=np.float32),
        faces=np.asarray(triangles, dtype=np.int64),
        vertex_normals=np.asarray(normals, dtype=np.float32),
        visual=TextureVisuals(uv=trimesh_uvs, material=material),  # type: ignore[no-untyped-call]
        process=False,
        validate=False,
    )
    scene = trimesh.Scene()
    scene.add_geometry(mesh, geom_name=name, node_name=name)

    def keep_texture_bytes(buffer_items: Any, tree: dict[str, Any]) -> None:
        # buffer_items holds one blob per bufferView, in order: swap trimesh's re-encoded picture
        # for the original (4-byte aligned, as trimesh pads every blob).
        (image,) = tree["images"]
        key = list(buffer_items.keys())[image["bufferView"]]
        buffer_items[key] = texture + b"\x00" * (-len(texture) % 4)
        image["mimeType"] = TEXTURE_FORMATS[str(picture.format)]

    def finish_tree(tree: dict[str, Any]) -> None:
        tree["asset"]["generator"] = generator
        # The picture's view ends where the picture does, not at trimesh's padding.
        tree["bufferViews"][tree["images"][0]["bufferView"]]["byteLength"] = len(texture)
        tree["samplers"] = [
            {
                "magFilter": LINEAR,
                "minFilter": LINEAR_MIPMAP_LINEAR,
                "wrapS": CLAMP_TO_EDGE,
                "wrapT": CLAMP_TO_EDGE,
            }
        ]
        for entry in tree["textures"]:
            entry["sampler"] = 0
        # Each view's use, which trimesh leaves out (glTF-Validator's BUFFER_VIEW_TARGET_MISSING hint).
        views, accessors = tree["bufferViews"], tree["accessors"]
        for primitive in tree["meshes"][0]["primitives"]:
            views[accessors[primitive["indices"]]["bufferView"]]["target"] = ELEMENT_ARRAY_BUFFER
            for accessor in primitive["attributes"].values():
                views[accessors[accessor]["bufferView"]]["target"] = ARRAY_BUFFER

    glb = scene.export(  # type: ignore[no-untyped-call]
        file_type="glb",
        include_normals=True,
        unitize_normals=False,
        buffer_postprocessor=keep_texture_bytes,
        tree_postprocessor=finish_tree,
    )
    assert isinstance(glb, bytes)
    return glb
