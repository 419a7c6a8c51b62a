"""The container health probe (`python -m kiln3d_inference.healthcheck`) against a real sidecar."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiln3d_inference.healthcheck import probe_address
from kiln3d_inference.proto import inference_pb2 as pb
from tests.helpers import INFERENCE_DIR
from tests.sidecar_process import SidecarProcess


def _probe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiln3d_inference.healthcheck", *args],
        cwd=INFERENCE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("listen", "dial"),
    [
        ("0.0.0.0:50051", "127.0.0.1:50051"),
        ("[::]:50051", "127.0.0.1:50051"),
        ("10.0.0.5:50051", "10.0.0.5:50051"),
        ("unix:///tmp/x.sock", "unix:///tmp/x.sock"),
    ],
)
def test_probe_address_dials_loopback_for_a_wildcard_host(listen: str, dial: str) -> None:
    assert probe_address(listen) == dial


def test_unhealthy_while_loading_healthy_once_ready(tmp_path: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_WARMUP_SECONDS="3") as sidecar:
        sidecar.wait_for_state(pb.LOADING)
        loading = _probe(sidecar.address)
        assert loading.returncode == 1, loading.stderr
        assert loading.stdout.startswith("LOADING engine="), loading.stdout
        sidecar.wait_for_state(pb.READY)
        ready = _probe(sidecar.address)
        assert ready.returncode == 0, ready.stderr
        assert ready.stdout.startswith("READY engine=simulate device=cpu"), ready.stdout


def test_address_from_kiln_listen(tmp_path: Path) -> None:
    with SidecarProcess(tmp_path) as sidecar:
        sidecar.wait_for_state(pb.READY)
        result = _probe(env={**sidecar.env, "KILN_LISTEN": sidecar.address})
        assert result.returncode == 0, result.stdout + result.stderr


def test_unhealthy_when_nothing_answers(tmp_path: Path) -> None:
    result = _probe(f"unix://{tmp_path / 'none.sock'}", "--timeout", "1")
    assert result.returncode == 1
    assert result.stdout.startswith("no answer from unix://"), result.stdout
