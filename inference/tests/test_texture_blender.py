"""A textured upload (inflate's projection texturing) imports into headless Blender: every triangle
arrives, with a UV map and the texture as a linked image node, and the front of the box shows the
picture's red on the left and blue on the right. Skipped when `blender` is not on PATH, unless
KILN_REQUIRE_BLENDER is set (then it fails)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

from PIL import Image

from kiln3d_inference.engines.projection_texturing import texture_mesh
from kiln3d_inference.meshes.intake import load_intake_glb
from tests.helpers import parse_mesh
from tests.test_blender_import import IMPORT_SCRIPT, blender_or_skip
from tests.test_texture_sidecar import BLUE, RED, box_upload, red_blue_picture

# Run by Blender's own Python after IMPORT_SCRIPT's import: the colour the texture shows on the
# box's front face (Blender: Z up, the glTF front +Z becomes -Y) left and right of its middle.
FRONT_SCRIPT = """
width, height = textures[0].size
pixels = np.array(textures[0].pixels[:]).reshape(height, width, 4)
uv = mesh.uv_layers[0].data
front = {"left": [], "right": []}
for polygon in mesh.polygons:
    if polygon.normal.y > -0.9:
        continue
    centre = sum((mesh.vertices[i].co for i in polygon.vertices), mesh.vertices[0].co * 0) / 3
    side = "left" if centre.x < 9.7 else "right" if centre.x > 10.3 else None
    if side is None:
        continue
    u = sum(uv[i].uv[0] for i in polygon.loop_indices) / 3
    v = sum(uv[i].uv[1] for i in polygon.loop_indices) / 3
    row, col = min(int(v * height), height - 1), min(int(u * width), width - 1)
    front[side].append([round(float(c) * 255) for c in pixels[row, col, :3]])
facts["front"] = front
with open(report, "w") as out:
    json.dump(facts, out)
"""


def test_a_textured_upload_imports_into_blender(tmp_path: Path) -> None:
    blender = blender_or_skip()
    glb = texture_mesh(Image.open(io.BytesIO(red_blue_picture())), load_intake_glb(box_upload()), 512).glb
    triangles = parse_mesh(glb).triangle_count
    model, script, report = tmp_path / "textured.glb", tmp_path / "check.py", tmp_path / "report.json"
    model.write_bytes(glb)
    # The import script's last loop leaves `obj`, `mesh` and `textures` of the one mesh in scope.
    script.write_text(IMPORT_SCRIPT + FRONT_SCRIPT)
    command = [blender, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(script)]
    done = subprocess.run(
        [*command, "--", str(model), str(report)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    facts = json.loads(report.read_text(encoding="utf-8"))
    assert facts["objects"] == 1, facts
    (imported,) = facts["meshes"]
    assert imported["polygons"] == imported["triangles"] == triangles == 192, imported
    assert len(imported["uv_layers"]) == 1, imported
    assert imported["images"] == [{"size": [512, 512], "linked": True}], imported
    for side, colour in (("left", RED), ("right", BLUE)):
        seen = facts["front"][side]
        assert seen, side
        for pixel in seen:  # Blender's image pixels are sRGB values as stored
            assert max(abs(a - b) for a, b in zip(pixel, colour, strict=True)) <= 30, (side, pixel)
