"""The progress mapping on its own: pass plans, the tqdm stand-ins, and tolerance to upstream drift."""

from __future__ import annotations

import logging
import types

import pytest

from kiln3d_inference.engines.base import JobCancelled, JobContext, Stage
from kiln3d_inference.engines.trellis2.progress import (
    JobProgress,
    patched_attribute,
    sampling_passes,
)


def recording_context() -> tuple[JobContext, list[tuple[Stage, float, str]]]:
    seen: list[tuple[Stage, float, str]] = []
    ctx = JobContext(
        task_id="t", on_progress=lambda stage, percent, message: seen.append((stage, percent, message))
    )
    return ctx, seen


def test_the_pass_plan_follows_upstream_order() -> None:
    plan = sampling_passes("1536_cascade", 3, 4, 5)
    assert [(p.kind, p.resolution, p.steps) for p in plan] == [
        ("structure", 0, 3),
        ("shape", 512, 4),
        ("shape", 1536, 4),
        ("texture", 1024, 5),
    ]
    assert [p.stage for p in plan] == [Stage.STRUCTURE, Stage.GEOMETRY, Stage.GEOMETRY, Stage.TEXTURE]
    with pytest.raises(ValueError, match="unknown pipeline type"):
        sampling_passes("2048", 1, 1, 1)


def test_a_sampler_loop_reports_each_step_and_an_unplanned_loop_holds_the_bar() -> None:
    ctx, seen = recording_context()
    progress = JobProgress(ctx, sampling_passes("512", 2, 2, 2))
    for desc in ("Sampling sparse structure", "Sampling shape SLat", "Sampling texture SLat"):
        assert list(progress.sampler_tqdm(range(2), desc=desc)) == [0, 1]
    assert seen[-1] == (Stage.EXPORT, 80.0, "decoding mesh")  # after the last planned loop
    held = seen[-1][1]
    assert list(progress.sampler_tqdm(iter([7, 8]), desc="Sampling something new")) == [7, 8]
    assert all(percent == held for _, percent, _ in seen[-3:])
    assert [m for _, _, m in seen[:3]] == [
        "sampling sparse structure 0/2",
        "sampling sparse structure 1/2",
        "sampling sparse structure 2/2",
    ]


def test_the_export_bar_takes_updates_and_descriptions() -> None:
    ctx, seen = recording_context()
    progress = JobProgress(ctx, sampling_passes("512", 1, 1, 1), start=50.0)
    with progress.export_tqdm(total=6, desc="Extracting GLB") as bar:
        bar.update(1)
        bar.set_description("Building BVH")
        bar.update(1)
        bar.set_postfix(x=1)
        bar.refresh()
    # 50 + 50 * (0.86 + 0.11 * n / 6); a stage that starts (set_description) counts half a tick.
    assert [round(p, 2) for _, p, _ in seen] == [93.92, 94.38, 94.83]
    assert seen[1][2] == "extracting GLB 1/6: building bvh"
    assert seen[-1][2] == "extracting GLB 2/6: building bvh"


def test_a_cancel_raises_at_the_next_step() -> None:
    ctx, _ = recording_context()
    progress = JobProgress(ctx, sampling_passes("512", 3, 3, 3))
    steps: list[int] = []

    def sample() -> None:
        for step in progress.sampler_tqdm(range(3)):
            steps.append(step)
            ctx.cancelled.set()

    with pytest.raises(JobCancelled):
        sample()
    assert steps == [0]


def test_patching_restores_and_tolerates_a_missing_name(caplog: pytest.LogCaptureFixture) -> None:
    module = types.ModuleType("upstream_like")
    setattr(module, "tqdm", "original")  # noqa: B010 (a module built at run time)
    with patched_attribute(module, "tqdm", "stand-in") as patched:
        assert patched
        assert getattr(module, "tqdm") == "stand-in"  # noqa: B009
    assert getattr(module, "tqdm") == "original"  # noqa: B009
    with caplog.at_level(logging.WARNING), patched_attribute(module, "trange", "x") as patched:
        assert not patched
    assert "progress falls back" in caplog.text
    with patched_attribute(None, "tqdm", "x") as patched:
        assert not patched
