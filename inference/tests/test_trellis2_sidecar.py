"""The real sidecar (`python -m kiln3d_inference`) running the trellis2 engine on the fake
TRELLIS.2: a CUDA error (not out-of-memory) fails the job INTERNAL "Internal error: CUDA error ..."
and the process exits 75 right after it, so the api starts a fresh one before the next job."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

from kiln3d_inference.engines.base import RECYCLE_EXIT_CODE
from kiln3d_inference.proto import inference_pb2 as pb
from tests.sidecar_process import SidecarProcess

FAKE = Path(__file__).resolve().parent / "fake_trellis2"


def _models(folder: Path) -> Path:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "trellis2.fake_control", str(folder)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(FAKE)},
    )
    return folder


def _subject_png() -> bytes:
    image = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    image.paste((200, 40, 40, 255), (24, 24, 72, 72))
    data = io.BytesIO()
    image.save(data, format="PNG")
    return data.getvalue()


def test_a_cuda_error_fails_internal_and_the_sidecar_exits_75_before_the_next_job(tmp_path: Path) -> None:
    with SidecarProcess(
        tmp_path,
        KILN_ENGINE="trellis2",
        KILN_MODELS_DIR=str(_models(tmp_path / "models")),
        KILN_CACHE_DIR=str(tmp_path / "cache"),
        KILN_RECYCLE_AFTER_JOBS="0",
        PYTHONPATH=os.pathsep.join([str(FAKE), str(FAKE / "torch_stub")]),
        KILN_FAKE_TRELLIS2_CUDA_ERROR_FROM_RUN="2",  # the warm-up is run 1
    ) as sidecar:
        sidecar.wait_for_state(pb.READY, timeout=60)
        request = pb.GenerateRequest(task_id="t1", image=_subject_png(), seed=1, timeout_s=0)
        events = list(sidecar.stub.Generate(request, timeout=30))
        error = events[-1].error
        assert error.code == pb.INTERNAL
        assert error.message.startswith("Internal error: CUDA error during 1024_cascade")
        assert sidecar.wait_for_exit(timeout=15) == RECYCLE_EXIT_CODE
        assert list(sidecar.tmp_dir.iterdir()) == []
    assert "the CUDA context is broken" in sidecar.log()
