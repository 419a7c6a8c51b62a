"""Voxel previews: packing, the relief's voxelisation, and Preview messages over real gRPC."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kiln3d_inference.engines.base import Stage
from kiln3d_inference.engines.preview import MAX_PREVIEW_VOXELS, VoxelPreview, pack, shell, unpack
from kiln3d_inference.engines.relief import inflate_image, procedural_test_image
from kiln3d_inference.proto import inference_pb2 as pb
from tests.helpers import parse_mesh, sample_images
from tests.sidecar_process import SidecarProcess


def test_pack_sorts_drops_repeats_and_uses_one_byte_per_axis() -> None:
    preview = pack(Stage.STRUCTURE, [[3, 2, 1], [0, 0, 0], [3, 2, 1], [31, 0, 5]], 32)
    assert (preview.stage, preview.resolution, preview.count) == (Stage.STRUCTURE, 32, 3)
    assert preview.coords == bytes([0, 0, 0, 3, 2, 1, 31, 0, 5])
    assert unpack(preview).tolist() == [[0, 0, 0], [3, 2, 1], [31, 0, 5]]


def test_pack_uses_uint16_little_endian_past_256() -> None:
    preview = pack(Stage.GEOMETRY, [[300, 1, 2]], 512)
    assert preview.coords == bytes([44, 1, 1, 0, 2, 0])
    assert unpack(preview).tolist() == [[300, 1, 2]]


def test_pack_halves_the_grid_until_the_voxels_fit() -> None:
    solid = np.argwhere(np.ones((40, 40, 40), bool))  # 64000 voxels
    preview = pack(Stage.GEOMETRY, solid, 40)
    assert preview.resolution == 20
    assert preview.count == 8000 <= MAX_PREVIEW_VOXELS
    assert len(preview.coords) == 3 * preview.count


@pytest.mark.parametrize(
    ("coords", "resolution"),
    [([[0, 0]], 8), ([[8, 0, 0]], 8), ([[-1, 0, 0]], 8), ([[0, 0, 0]], 0), ([[0, 0, 0]], 70_000)],
)
def test_pack_refuses_what_is_no_grid(coords: list[list[int]], resolution: int) -> None:
    with pytest.raises(ValueError, match=r"voxel coordinates|resolution"):
        pack(Stage.STRUCTURE, coords, resolution)


def test_shell_keeps_only_the_surface() -> None:
    solid = np.zeros((10, 10, 10), bool)
    solid[2:8, 2:8, 2:8] = True
    assert shell(solid).shape[0] == 6**3 - 4**3


def _extent(preview: VoxelPreview) -> tuple[np.ndarray, np.ndarray]:
    """The preview's voxels as a box in the model's unit cube (min corner, max corner)."""
    coords = unpack(preview)
    n = preview.resolution
    return coords.min(axis=0) / n - 0.5, (coords.max(axis=0) + 1) / n - 0.5


@pytest.mark.parametrize("image_index", [0, 1, 2])
def test_the_relief_preview_fills_the_same_box_as_the_finished_model(image_index: int) -> None:
    image = Image.open(sample_images()[image_index])
    previews: list[VoxelPreview] = []
    result = inflate_image(image, on_preview=previews.append, preview_resolutions=(32, 64))
    assert [(p.stage, p.resolution) for p in previews] == [(Stage.STRUCTURE, 32), (Stage.GEOMETRY, 64)]
    positions = parse_mesh(result.glb).positions
    model_lo, model_hi = positions.min(axis=0), positions.max(axis=0)
    for preview in previews:
        lo, hi = _extent(preview)
        cell = 1.0 / preview.resolution
        # Width and height within two cells of the model's; the depth within a quarter of it.
        assert np.all(np.abs(lo[:2] - model_lo[:2]) <= 2 * cell), (lo, model_lo)
        assert np.all(np.abs(hi[:2] - model_hi[:2]) <= 2 * cell), (hi, model_hi)
        depth, model_depth = hi[2] - lo[2], model_hi[2] - model_lo[2]
        assert abs(depth - model_depth) <= 0.25 * model_depth + 2 * cell
        assert 0 < preview.count <= MAX_PREVIEW_VOXELS


def test_the_relief_preview_has_the_silhouettes_outline() -> None:
    # The built-in picture is a disc with a notch cut from its top: the front view of the voxels
    # shows the notch (empty) and the disc's body (full).
    previews: list[VoxelPreview] = []
    inflate_image(procedural_test_image(256), on_preview=previews.append)
    coords = unpack(previews[0])
    front = np.zeros((32, 32), bool)
    front[coords[:, 0], coords[:, 1]] = True
    assert front[16, 16]
    assert front[16, 4]
    assert front[4, 16]
    assert front[28, 16]
    assert not front[16, 28]  # the notch at the top centre
    assert not front[1, 1]
    assert not front[30, 30]


def _request(image: bytes, task_id: str) -> pb.GenerateRequest:
    return pb.GenerateRequest(task_id=task_id, image=image, seed=1, timeout_s=30)


def _kinds(events: list[pb.GenerateEvent]) -> list[str]:
    return [str(e.WhichOneof("event")) for e in events]


def test_simulate_sends_a_coarse_then_a_finer_preview_at_its_stage_ends(tmp_path: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="1.0") as sidecar:
        sidecar.wait_for_state(pb.READY)
        image = sample_images()[0].read_bytes()
        events = sidecar.generate(_request(image, "sim"), timeout=30)
    kinds = _kinds(events)
    assert kinds[-1] == "done"
    previews = [(i, e.preview) for i, e in enumerate(events) if e.WhichOneof("event") == "preview"]
    assert [(p.stage, p.resolution) for _, p in previews] == [
        (pb.STAGE_STRUCTURE, 32),
        (pb.STAGE_GEOMETRY, 64),
    ]
    for index, preview in previews:
        assert len(preview.coords) == 3 * preview.count > 0
        before = [e.progress for e in events[:index] if e.WhichOneof("event") == "progress"]
        after = [e.progress for e in events[index:] if e.WhichOneof("event") == "progress"]
        # Sent when its stage's sampling ended, before the next stage's first step.
        assert before[-1].stage == preview.stage
        assert before[-1].message.endswith("12/12")
        assert after[0].stage > preview.stage
    assert previews[0][1].count < previews[1][1].count


def test_inflate_sends_its_preview_before_it_builds_the_mesh_and_names_what_it_ignored(
    tmp_path: Path,
) -> None:
    with SidecarProcess(tmp_path, KILN_ENGINE="inflate") as sidecar:
        sidecar.wait_for_state(pb.READY)
        image = sample_images()[1].read_bytes()
        request = _request(image, "inf")
        request.pipeline_type, request.texture_size, request.faces = "512", 4096, 100_000
        events = sidecar.generate(request, timeout=30)
    done = events[-1].done
    # texture_resolution too: it belongs to texturing jobs, and the relief has no such setting.
    assert list(done.ignored) == ["seed", "pipeline_type", "texture_size", "faces"]
    assert done.seed == 0
    kinds = _kinds(events)
    assert kinds.count("preview") == 1
    assert kinds[-1] == "done"
    index = kinds.index("preview")
    preview = events[index].preview
    assert (preview.stage, preview.resolution) == (pb.STAGE_STRUCTURE, 32)
    assert len(preview.coords) == 3 * preview.count > 0
    stages_before = {e.progress.stage for e in events[:index] if e.WhichOneof("event") == "progress"}
    assert stages_before == {pb.STAGE_PREPROCESS}  # the mesh is built in GEOMETRY, after it
