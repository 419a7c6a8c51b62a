"""Blender (Debian's, headless) imports the OBJ, STL and PLY the formats tool writes, in one Blender
process: triangle counts and bounding boxes as in the GLB, the OBJ's texture and the PLY's colours
found. Skipped only when `blender` is missing and KILN_REQUIRE_BLENDER is unset (scripts/test.mjs
installs Blender and sets it, so CI cannot skip silently)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile

import numpy as np
import pytest

from kiln3d_inference.formats.cli import convert
from tests.formats_support import (
    Reference,
    assert_bounds_close,
    inflate_glb,
    multi_part_glb,
    reference,
    to_print_bounds,
)

BLENDER = shutil.which("blender")
SIZE_MM = 80.0

# Run by Blender's own Python: imports each file into an empty scene and prints one JSON line.
IMPORT_SCRIPT = r"""
import json, sys
import bpy

def facts():
    triangles, lows, highs, images, colour_layers = 0, [], [], [], 0
    for obj in bpy.context.scene.objects:
        if obj.type != "MESH":
            continue
        mesh = obj.data
        triangles += sum(len(p.vertices) - 2 for p in mesh.polygons)
        world = [obj.matrix_world @ v.co for v in mesh.vertices]
        lows.append([min(c[i] for c in world) for i in range(3)])
        highs.append([max(c[i] for c in world) for i in range(3)])
        colour_layers += len(getattr(mesh, "color_attributes", [])) or len(mesh.vertex_colors)
        for slot in obj.material_slots:
            if slot.material and slot.material.use_nodes:
                for node in slot.material.node_tree.nodes:
                    if node.type == "TEX_IMAGE" and node.image is not None:
                        images.append(list(node.image.size))
    return {
        "triangles": triangles,
        "bounds": [[min(l[i] for l in lows) for i in range(3)], [max(h[i] for h in highs) for i in range(3)]],
        "images": images,
        "colour_layers": colour_layers,
    }

jobs = json.loads(sys.argv[sys.argv.index("--") + 1])
results = {}
for key, kind, path in jobs:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if kind == "obj":
        bpy.ops.wm.obj_import(filepath=path, forward_axis="Y", up_axis="Z")
    elif kind == "stl":
        bpy.ops.import_mesh.stl(
            filepath=path, axis_forward="Y", axis_up="Z", global_scale=1.0, use_scene_unit=False
        )
    else:
        bpy.ops.import_mesh.ply(filepath=path)
    results[key] = facts()
print("KILN_JSON " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def imported(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Reference], dict[str, dict[str, object]]]:
    if BLENDER is None:
        if os.environ.get("KILN_REQUIRE_BLENDER"):
            pytest.fail("KILN_REQUIRE_BLENDER is set but `blender` is not on PATH (apt-get install blender)")
        pytest.skip("`blender` is not installed (Debian: apt-get install blender python3-numpy)")
    folder = tmp_path_factory.mktemp("blender")
    references: dict[str, Reference] = {}
    jobs = []
    for name, glb in (("inflate", inflate_glb()), ("multi", multi_part_glb())):
        source = folder / f"{name}.glb"
        source.write_bytes(glb)
        references[name] = reference(source)
        for fmt in ("obj", "stl", "ply"):
            target = folder / f"{name}.{fmt}"
            convert(fmt, source, target, SIZE_MM if fmt == "stl" else None)
            if fmt == "obj":
                unpacked = folder / f"{name}-obj"
                with zipfile.ZipFile(target) as archive:
                    archive.extractall(unpacked)
                target = unpacked / "model.obj"
            jobs.append([f"{name}.{fmt}", fmt, str(target)])
    script = folder / "import.py"
    script.write_text(IMPORT_SCRIPT)
    done = subprocess.run(
        [
            BLENDER,
            "-b",
            "--factory-startup",
            "--python-exit-code",
            "1",
            "--python",
            str(script),
            "--",
            json.dumps(jobs),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("KILN_JSON ")]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(lines) == 1, done.stdout[-3000:]
    results: dict[str, dict[str, object]] = json.loads(lines[0].removeprefix("KILN_JSON "))
    return references, results


@pytest.mark.parametrize("source", ["inflate", "multi"])
@pytest.mark.parametrize("fmt", ["obj", "stl", "ply"])
def test_blender_imports_the_same_triangles_and_bounds(
    imported: tuple[dict[str, Reference], dict[str, dict[str, object]]], source: str, fmt: str
) -> None:
    references, results = imported
    ref = references[source]
    facts = results[f"{source}.{fmt}"]
    assert facts["triangles"] == ref.triangles
    bounds = np.array(facts["bounds"])
    expected = to_print_bounds(ref.bounds, SIZE_MM) if fmt == "stl" else ref.bounds
    assert_bounds_close(bounds, expected)


@pytest.mark.parametrize("source", ["inflate", "multi"])
def test_blender_finds_the_obj_texture_and_the_ply_colours(
    imported: tuple[dict[str, Reference], dict[str, dict[str, object]]], source: str
) -> None:
    references, results = imported
    base = references[source].base_color
    assert base is not None
    assert list(base.size) in results[f"{source}.obj"]["images"]  # type: ignore[operator]
    assert results[f"{source}.ply"]["colour_layers"] == 1
