"""JobContext, the one owner of "progress never decreases within one job" and of the cancel and
deadline checks that engines call between steps."""

from __future__ import annotations

import time

import pytest

from kiln3d_inference.engines.base import JobCancelled, JobContext, JobTimeout, Stage


def test_progress_never_decreases_and_never_passes_100() -> None:
    seen: list[tuple[Stage, float, str]] = []
    ctx = JobContext(
        task_id="t", on_progress=lambda stage, percent, message: seen.append((stage, percent, message))
    )
    assert ctx.last_percent == 0.0
    for stage, percent in (
        (Stage.PREPROCESS, 5.0),
        (Stage.GEOMETRY, 40.0),
        (Stage.PREPROCESS, 0.0),
        (Stage.TEXTURE, 70.0),
        (Stage.EXPORT, 120.0),
    ):
        ctx.progress(stage, percent, f"at {percent:g}")
    assert [percent for _, percent, _ in seen] == [5.0, 40.0, 40.0, 70.0, 100.0]
    # The stage and message pass through unchanged: only the percent is held.
    assert seen[2] == (Stage.PREPROCESS, 40.0, "at 0")
    assert ctx.last_percent == 100.0


def test_progress_raises_once_cancelled_or_past_the_deadline() -> None:
    ctx = JobContext(task_id="t", on_progress=lambda stage, percent, message: None)
    ctx.cancelled.set()
    with pytest.raises(JobCancelled):
        ctx.progress(Stage.PREPROCESS, 1.0)
    late = JobContext(
        task_id="t", on_progress=lambda stage, percent, message: None, deadline=time.monotonic() - 1
    )
    with pytest.raises(JobTimeout):
        late.check()
