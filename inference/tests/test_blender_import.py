"""An inflate GLB imports into headless Blender (its bundled glTF importer): the triangles all
arrive, with a UV map, the texture as an image node of the material, and the picture the right way
up on the model. Skipped when `blender` is
not on PATH, unless KILN_REQUIRE_BLENDER is set (then it fails)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kiln3d_inference.engines.relief import inflate_image
from tests.helpers import parse_mesh
from tests.test_textured_glb import (
    BLUE,
    EXPECTED_TEXTURE_SIZE,
    GREEN,
    JPEG_TOLERANCE,
    RED,
    YELLOW,
    quadrant_picture,
)

REQUIRE_ENV = "KILN_REQUIRE_BLENDER"


def blender_or_skip() -> str:
    """The path of Debian's `blender`; the test is skipped without it, or fails when REQUIRE_ENV
    is set (scripts/test.mjs installs Blender and sets it, so CI cannot skip silently)."""
    blender = shutil.which("blender")
    if blender is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"blender is not on PATH and {REQUIRE_ENV} is set")
        pytest.skip(f"blender is not on PATH (set {REQUIRE_ENV}=1 to fail instead of skipping)")
    return blender


# Run by Blender's own Python: `blender -b --python-exit-code 1 --python SCRIPT -- GLB REPORT`.
IMPORT_SCRIPT = """
import json
import sys

import numpy as np

np.bool = bool  # Blender 3.4's glTF importer still uses np.bool, gone since NumPy 1.24

import bpy

glb, report = sys.argv[sys.argv.index("--") + 1 :]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=glb)
meshes = [o for o in bpy.context.scene.objects if o.type == "MESH"]
facts = {"objects": len(meshes), "meshes": []}
for obj in meshes:
    mesh = obj.data
    images, textures = [], []
    for slot in obj.material_slots:
        if slot.material is not None and slot.material.use_nodes:
            for node in slot.material.node_tree.nodes:
                if node.type == "TEX_IMAGE" and node.image is not None:
                    images.append({"size": list(node.image.size), "linked": bool(node.outputs[0].links)})
                    textures.append(node.image)
    # The colour each quarter of the front shows (Blender: Z up, front towards -Y; UV and image
    # rows from the bottom), as 0-255 medians.
    quarters = {}
    if textures and mesh.uv_layers:
        width, height = textures[0].size
        pixels = np.array(textures[0].pixels[:]).reshape(height, width, 4)
        uv = mesh.uv_layers[0].data
        corners = {"top_left": (-1, 1), "top_right": (1, 1), "bottom_left": (-1, -1), "bottom_right": (1, -1)}
        for key, (sx, sz) in corners.items():
            seen = []
            for loop in mesh.loops:
                co = mesh.vertices[loop.vertex_index].co
                if 0.15 < sx * co.x < 0.35 and 0.08 < sz * co.z < 0.25 and co.y < 0:
                    u, v = uv[loop.index].uv
                    row, col = min(int(v * height), height - 1), min(int(u * width), width - 1)
                    seen.append(pixels[row, col, :3])
            median = np.median(np.array(seen), axis=0) if seen else None
            quarters[key] = None if median is None else [round(float(c) * 255) for c in median]
    facts["meshes"].append(
        {
            "name": obj.name,
            "vertices": len(mesh.vertices),
            "polygons": len(mesh.polygons),
            "triangles": sum(1 for p in mesh.polygons if p.loop_total == 3),
            "uv_layers": [layer.name for layer in mesh.uv_layers],
            "images": images,
            "quarters": quarters,
        }
    )
with open(report, "w") as out:
    json.dump(facts, out)
"""


def test_inflate_glb_imports_into_blender(tmp_path: Path) -> None:
    blender = blender_or_skip()
    glb = inflate_image(quadrant_picture()).glb
    triangles = parse_mesh(glb).triangle_count
    model, script, report = tmp_path / "inflate.glb", tmp_path / "check.py", tmp_path / "report.json"
    model.write_bytes(glb)
    script.write_text(IMPORT_SCRIPT)
    command = [blender, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(script)]
    done = subprocess.run(
        [*command, "--", str(model), str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    facts = json.loads(report.read_text(encoding="utf-8"))
    print("blender import:", facts)
    assert facts["objects"] == 1, facts
    (mesh,) = facts["meshes"]
    assert mesh["polygons"] == mesh["triangles"] == triangles, mesh
    assert len(mesh["uv_layers"]) == 1, mesh
    assert mesh["images"] == [{"size": list(EXPECTED_TEXTURE_SIZE), "linked": True}], mesh
    # The picture sits the right way up on the model: each quarter shows its own colour.
    expected = {"top_left": RED, "top_right": GREEN, "bottom_left": BLUE, "bottom_right": YELLOW}
    for key, colour in expected.items():
        seen = mesh["quarters"][key]
        assert seen is not None, key
        assert max(abs(a - b) for a, b in zip(seen, colour, strict=True)) <= JPEG_TOLERANCE, (key, seen)
