"""Texturing jobs (GenerateRequest.mesh) through the real sidecar over real gRPC: inflate paints an
uploaded box from a picture whose left half is red and right half blue, the simulate engine returns
the mesh with a flat colour, and a mesh that is not the intake's GLB is INVALID_INPUT."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import trimesh
from PIL import Image

from kiln3d_inference.meshes.intake import intake
from kiln3d_inference.proto import inference_pb2 as pb
from tests.helpers import MeshFacts, parse_mesh, streamed_model, validate_glbs
from tests.sidecar_process import SidecarProcess

RED, BLUE = (220, 30, 30), (30, 40, 210)
# The box's place and size: its own units and place must survive texturing.
EXTENTS = (4.0, 2.0, 1.0)
OFFSET = (10.0, -5.0, 3.0)


def box_upload() -> bytes:
    """The canonical GLB of a 4 x 2 x 1 box away from the origin, its faces subdivided twice
    (192 triangles), as the api's intake writes it."""
    box = trimesh.creation.box(extents=EXTENTS).subdivide().subdivide()
    box.apply_translation(OFFSET)
    exported = box.export(file_type="glb")
    assert isinstance(exported, bytes)
    return intake(exported, 10_000).glb()


def red_blue_picture() -> bytes:
    """A 2:1 rectangle on white, its left half red and its right half blue (the box from the front)."""
    picture = np.full((320, 560, 3), 255, np.uint8)
    picture[60:260, 80:280] = RED
    picture[60:260, 280:480] = BLUE
    out = io.BytesIO()
    Image.fromarray(picture).save(out, format="PNG")
    return out.getvalue()


def _request(
    mesh: bytes, task_id: str = "tex", texture_size: int = 0, texture_resolution: int = 0
) -> pb.GenerateRequest:
    return pb.GenerateRequest(
        task_id=task_id,
        image=red_blue_picture(),
        mesh=mesh,
        seed=7,
        texture_size=texture_size,
        texture_resolution=texture_resolution,
    )


def face_colours(
    facts: MeshFacts,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each triangle's unit normal, centroid and texture colour at its centroid's UV."""
    texture = np.asarray(Image.open(io.BytesIO(facts.texture)).convert("RGB")).astype(np.float64)
    height, width = texture.shape[:2]
    corners = facts.positions[facts.triangles].astype(np.float64)
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    uv = facts.uvs[facts.triangles].mean(axis=1)
    rows = np.clip((uv[:, 1] * height).astype(np.int64), 0, height - 1)
    cols = np.clip((uv[:, 0] * width).astype(np.int64), 0, width - 1)
    return normals, corners.mean(axis=1), texture[rows, cols]


def _close(colours: npt.NDArray[np.float64], colour: tuple[int, int, int]) -> bool:
    return bool(np.all(np.abs(colours - np.array(colour)) < 30))


@pytest.fixture(scope="module")
def inflate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SidecarProcess]:
    with SidecarProcess(tmp_path_factory.mktemp("inflate"), KILN_ENGINE="inflate") as sidecar:
        sidecar.wait_for_state(pb.READY, timeout=60)
        yield sidecar


def test_inflate_paints_the_box_from_the_picture(inflate: SidecarProcess, tmp_path: Path) -> None:
    upload = box_upload()
    events = list(
        inflate.stub.Generate(_request(upload, texture_size=512, texture_resolution=1024), timeout=120)
    )
    model = streamed_model(events)
    done = events[-1].done
    progress = [e.progress for e in events if e.WhichOneof("event") == "progress"]
    stages = [p.stage for p in progress]
    assert stages == sorted(stages)
    assert set(stages) == {pb.STAGE_PREPROCESS, pb.STAGE_TEXTURE, pb.STAGE_EXPORT}
    assert progress[-1].percent == 100.0
    assert done.engine == "inflate"
    assert set(done.ignored) == {"seed", "texture_resolution"}

    facts = parse_mesh(model)
    source = parse_mesh_positions(upload)
    assert done.triangles == facts.triangle_count == source[1] == 192
    low, high = facts.positions.min(axis=0), facts.positions.max(axis=0)
    size = np.array(EXTENTS)
    assert np.all(np.abs(low - (np.array(OFFSET) - size / 2)) <= 0.005 * size)
    assert np.all(np.abs(high - (np.array(OFFSET) + size / 2)) <= 0.005 * size)
    assert Image.open(io.BytesIO(facts.texture)).size == (512, 512)
    path = tmp_path / "textured.glb"
    path.write_bytes(model)
    report = validate_glbs([path])[str(path)]
    assert report["errors"] == 0, report

    normals, centres, colours = face_colours(facts)
    front = normals[:, 2] > 0.9
    left = front & (centres[:, 0] < OFFSET[0] - 0.3)
    right = front & (centres[:, 0] > OFFSET[0] + 0.3)
    assert left.sum() >= 4
    assert right.sum() >= 4
    assert _close(colours[left], RED), colours[left]
    assert _close(colours[right], BLUE), colours[right]
    # What the picture cannot see (back, top, bottom, ends) has a seen colour: red or blue, never
    # the white background nor black.
    unseen = normals[:, 2] < 0.5
    red = np.all(np.abs(colours[unseen] - RED) < 40, axis=1)
    blue = np.all(np.abs(colours[unseen] - BLUE) < 40, axis=1)
    assert np.all(red | blue), colours[unseen][~(red | blue)]
    assert "view +Z turned 0" in inflate.log()


def parse_mesh_positions(glb: bytes) -> tuple[npt.NDArray[np.float32], int]:
    """The canonical GLB's positions and triangle count (no UVs or normals to read there)."""
    mesh = trimesh.load(io.BytesIO(glb), file_type="glb", process=False, force="mesh")
    assert isinstance(mesh, trimesh.Trimesh)
    return np.asarray(mesh.vertices, np.float32), len(mesh.faces)


def test_health_says_how_each_engine_textures_and_which_options_it_never_uses(
    inflate: SidecarProcess, tmp_path: Path
) -> None:
    health = inflate.health()
    assert "projection" in health.texturing
    # Known before any job, so a page can say so up front (the api's GET /api/qualities).
    assert list(health.unused_generation_options) == ["seed", "pipeline_type", "texture_size", "faces"]
    assert list(health.unused_texture_options) == ["seed", "texture_resolution"]
    with SidecarProcess(tmp_path) as simulate:
        health = simulate.wait_for_state(pb.READY)
        assert "flat colour" in health.texturing
        assert list(health.unused_generation_options) == ["pipeline_type", "texture_size", "faces"]
        assert list(health.unused_texture_options) == ["seed", "texture_resolution"]


@pytest.mark.parametrize(
    ("mesh", "fragment"),
    [
        (b"glTF-but-not-really" + b"\x00" * 32, "mesh could not be read"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "not a GLB"),
    ],
)
def test_a_mesh_that_is_not_the_intakes_glb_is_invalid_input(
    inflate: SidecarProcess, mesh: bytes, fragment: str
) -> None:
    events = list(inflate.stub.Generate(_request(mesh), timeout=30))
    assert len(events) == 1
    assert events[0].error.code == pb.INVALID_INPUT
    assert fragment in events[0].error.message
    assert inflate.health().state == pb.READY


def test_a_picture_with_nothing_in_it_is_invalid_input_for_texturing(inflate: SidecarProcess) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), (255, 255, 255)).save(blank, format="PNG")
    request = pb.GenerateRequest(task_id="blank", image=blank.getvalue(), mesh=box_upload())
    events = list(inflate.stub.Generate(request, timeout=30))
    assert events[-1].error.code == pb.INVALID_INPUT
    assert "No object found" in events[-1].error.message


def test_simulate_returns_the_mesh_with_a_flat_colour_after_its_time(tmp_path: Path) -> None:
    upload = box_upload()
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="1.0") as simulate:
        simulate.wait_for_state(pb.READY)
        events = list(simulate.stub.Generate(_request(upload), timeout=30))
    model = streamed_model(events)
    done = events[-1].done
    assert done.engine == "simulate"
    assert 0.9 < done.seconds < 10
    stages = {e.progress.stage for e in events if e.WhichOneof("event") == "progress"}
    assert stages == {pb.STAGE_PREPROCESS, pb.STAGE_TEXTURE, pb.STAGE_EXPORT}
    facts = parse_mesh(model)
    positions, triangles = parse_mesh_positions(upload)
    assert facts.triangle_count == triangles == done.triangles
    assert np.array_equal(facts.positions, positions)
    colour = np.asarray(Image.open(io.BytesIO(facts.texture)).convert("RGB"))[0, 0]
    # The object's mean: half red, half blue.
    assert np.allclose(colour, (np.array(RED) + np.array(BLUE)) / 2, atol=12), colour


def _unwrap_children(parent: int) -> list[int]:
    """The sidecar's unwrapping children now running (engines/unwrap.py), by /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "")
        if ppid == str(parent) and b"kiln3d_inference.engines.unwrap" in command:
            found.append(int(entry.name))
    return found


def test_cancelling_a_texturing_job_stops_its_unwrapping_child(inflate: SidecarProcess) -> None:
    sphere = trimesh.creation.icosphere(subdivisions=6)  # 82k triangles: seconds of unwrapping
    exported = sphere.export(file_type="glb")
    assert isinstance(exported, bytes)
    call = inflate.stub.Generate(_request(intake(exported, 200_000).glb(), "cancel-me"), timeout=60)
    for event in call:
        if "unwrapping" in event.progress.message:
            break
    assert inflate.proc is not None
    deadline = time.monotonic() + 5
    while not _unwrap_children(inflate.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _unwrap_children(inflate.proc.pid), "the unwrapping child was never seen"
    call.cancel()
    inflate.wait_for_state(pb.READY, timeout=5)
    deadline = time.monotonic() + 5
    while _unwrap_children(inflate.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _unwrap_children(inflate.proc.pid) == []
