"""The shared secret (auth.py) on the real sidecar over TCP, and the job folder's life (server.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from kiln3d_inference.auth import TokenCheck, bearer_token, listen_needs_token
from kiln3d_inference.engines.base import GenerateResult
from kiln3d_inference.proto import inference_pb2 as pb
from kiln3d_inference.proto import inference_pb2_grpc as pb_grpc
from kiln3d_inference.server import WORK_DIR_PREFIX, model_events, sweep_stale_work_dirs
from tests.helpers import INFERENCE_DIR, sample_images, streamed_model
from tests.sidecar_process import SidecarProcess

TOKEN = "a-long-enough-shared-secret-0123"


@pytest.mark.parametrize(
    ("address", "needs"),
    [
        ("127.0.0.1:50051", False),
        ("127.0.0.5:50051", False),
        ("localhost:50051", False),
        ("[::1]:50051", False),
        ("unix:///run/kiln3d/inference.sock", False),
        ("0.0.0.0:50051", True),
        ("[::]:50051", True),
        ("10.0.0.5:50051", True),
        ("inference:50051", True),
    ],
)
def test_listening_beyond_loopback_needs_a_token(address: str, needs: bool) -> None:
    assert listen_needs_token(address) is needs


def test_the_token_is_compared_whole() -> None:
    check = TokenCheck(TOKEN)
    assert check.state([("authorization", f"Bearer {TOKEN}")]) == pb.AUTH_OK
    assert check.state([("authorization", f"Bearer {TOKEN[:-1]}")]) == pb.AUTH_WRONG
    assert check.state([("authorization", f"Bearer {TOKEN}x")]) == pb.AUTH_WRONG
    assert check.state([("x-other", TOKEN)]) == pb.AUTH_MISSING
    assert check.state(None) == pb.AUTH_MISSING
    assert TokenCheck("").state(None) == pb.AUTH_OK
    assert bearer_token([("Authorization", b"Bearer abc")]) == "abc"


def _tcp_sidecar(tmp_path: Path, **env: str) -> tuple[SidecarProcess, str]:
    """A sidecar on a free TCP port of 0.0.0.0 (beyond loopback), and the address to reach it."""
    sidecar = SidecarProcess(tmp_path, KILN_LISTEN="0.0.0.0:0", KILN_SIMULATE_SECONDS="0.3", **env)
    sidecar.start()
    end = time.monotonic() + 20
    while "listening on 0.0.0.0:" not in sidecar.log():
        assert time.monotonic() < end, sidecar.log()
        assert sidecar.proc is not None
        assert sidecar.proc.poll() is None, sidecar.log()
        time.sleep(0.05)
    line = next(li for li in sidecar.log().splitlines() if "listening on" in li)
    return sidecar, f"127.0.0.1:{int(line.rsplit(':', 1)[1])}"


def _request() -> pb.GenerateRequest:
    return pb.GenerateRequest(task_id="t1", image=sample_images()[0].read_bytes(), seed=1, timeout_s=30)


def test_a_sidecar_beyond_loopback_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    # A misspelt setting is warned about before the refusal (settings.misspelt_settings).
    env = {
        **os.environ,
        "KILN_LISTEN": "0.0.0.0:0",
        "KILN_ENGINE": "simulate",
        "KILN_TRELLIS2_TEXTUR_SIZE": "1024",
    }
    env.pop("KILN_INFERENCE_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "kiln3d_inference"],
        check=False,
        cwd=INFERENCE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "KILN_INFERENCE_TOKEN: required when KILN_LISTEN=0.0.0.0:0" in result.stderr
    assert (
        "WARNING configuration: KILN_TRELLIS2_TEXTUR_SIZE is not a setting of the sidecar and is ignored; "
        "did you mean KILN_TRELLIS2_TEXTURE_SIZE?"
    ) in result.stderr
    short = subprocess.run(
        [sys.executable, "-m", "kiln3d_inference"],
        check=False,
        cwd=INFERENCE_DIR,
        env={**env, "KILN_INFERENCE_TOKEN": "short"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == 2
    assert "KILN_INFERENCE_TOKEN: must be at least 16 characters" in short.stderr


def test_generate_needs_the_token_and_health_names_what_was_wrong(tmp_path: Path) -> None:
    sidecar, address = _tcp_sidecar(tmp_path, KILN_INFERENCE_TOKEN=TOKEN)
    try:
        with grpc.insecure_channel(address) as channel:
            stub = pb_grpc.InferenceStub(channel)
            end = time.monotonic() + 20
            while stub.Health(pb.HealthRequest(), timeout=2).state != pb.READY:
                assert time.monotonic() < end
                time.sleep(0.05)
            # Health is open (container health checks) and says whether the caller's secret matched.
            assert stub.Health(pb.HealthRequest(), timeout=2).auth == pb.AUTH_MISSING
            wrong = (("authorization", "Bearer not-the-secret-at-all!"),)
            right = (("authorization", f"Bearer {TOKEN}"),)
            assert stub.Health(pb.HealthRequest(), timeout=2, metadata=wrong).auth == pb.AUTH_WRONG
            assert stub.Health(pb.HealthRequest(), timeout=2, metadata=right).auth == pb.AUTH_OK
            for metadata, message in (
                ((), "inference token missing (INFERENCE_TOKEN)"),
                (wrong, "wrong inference token (INFERENCE_TOKEN)"),
            ):
                with pytest.raises(grpc.RpcError) as refused:
                    list(stub.Generate(_request(), timeout=10, metadata=metadata))
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
                assert refused.value.details() == message
            assert stub.Health(pb.HealthRequest(), timeout=2).jobs_done == 0  # no job ran
            events = list(stub.Generate(_request(), timeout=30, metadata=right))
            assert len(streamed_model(events)) > 0
        # Refusals are logged with the peer, without the secret.
        log = sidecar.log()
        assert "Generate refused: no inference token from" in log
        assert TOKEN not in log
        assert "not-the-secret-at-all" not in log
    finally:
        sidecar.close()


def test_model_events_chunk_the_file_and_digest_exactly_what_was_sent(tmp_path: Path) -> None:
    model = tmp_path / "model.glb"
    data = os.urandom(10_000)
    model.write_bytes(data)
    result = GenerateResult(output_path=model, triangles=12, bytes=len(data), seconds=1.5, engine="inflate")
    events = list(model_events(result, chunk_bytes=4096))
    chunks = [e.model_chunk for e in events[:-1]]
    assert [len(c.data) for c in chunks] == [4096, 4096, 1808]
    assert [c.offset for c in chunks] == [0, 4096, 8192]
    done = events[-1].done
    assert (done.bytes, done.sha256, done.triangles) == (10_000, hashlib.sha256(data).digest(), 12)


def test_a_killed_sidecars_job_folders_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f"{WORK_DIR_PREFIX}{dead_pid}-abc"
    stale.mkdir()
    (stale / "model.glb").write_bytes(b"partial")
    mine = tmp_path / f"{WORK_DIR_PREFIX}{os.getpid()}-def"
    mine.mkdir()
    other = tmp_path / "someone-elses-folder"
    other.mkdir()
    assert sweep_stale_work_dirs(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])
