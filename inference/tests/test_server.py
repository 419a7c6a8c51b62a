"""The sidecar over real gRPC: the CLI as a subprocess on a unix socket, simulate and inflate engines."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from PIL import Image
from scipy.spatial.transform import Rotation

from kiln3d_inference.engines.base import RECYCLE_EXIT_CODE
from kiln3d_inference.engines.relief import procedural_test_image
from kiln3d_inference.proto import inference_pb2 as pb
from kiln3d_inference.proto import inference_pb2_grpc as pb_grpc
from kiln3d_inference.server import STOP_GRACE_S
from tests.helpers import INFERENCE_DIR, parse_mesh, sample_images, streamed_model, validate_glbs
from tests.sidecar_process import SidecarProcess


def _image_bytes() -> bytes:
    return sample_images()[0].read_bytes()


def _request(task_id: str = "t1", timeout_s: int = 0, image: bytes | None = None) -> pb.GenerateRequest:
    return pb.GenerateRequest(
        task_id=task_id,
        image=_image_bytes() if image is None else image,
        seed=1,
        timeout_s=timeout_s,
    )


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _terminal(events: list[pb.GenerateEvent]) -> pb.GenerateEvent:
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds.count("done") + kinds.count("error") == 1, kinds
    assert kinds[-1] in ("done", "error"), kinds
    return events[-1]


def _left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def sidecar_tmp(tmp_path: Path) -> Path:
    """The sidecar's TMPDIR (SidecarProcess sets it): where its private job folders are made."""
    folder = tmp_path / "tmp"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def simulate(tmp_path: Path) -> Iterator[SidecarProcess]:
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="1.5") as sidecar:
        sidecar.wait_for_state(pb.READY)
        yield sidecar


def test_health_goes_from_loading_to_ready(tmp_path: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_WARMUP_SECONDS="3") as sidecar:
        loading = sidecar.wait_for_state(pb.LOADING, timeout=15)
        assert loading.engine == "simulate"
        ready = sidecar.wait_for_state(pb.READY)
        assert ready.engine == "simulate"
        assert ready.device == "cpu"
        assert ready.pid == sidecar.proc.pid if sidecar.proc else False
        assert ready.version
        assert ready.jobs_done == 0
        # Generate is refused, never queued, while loading; after READY it works.
    assert "warm-up done" in sidecar.log()
    assert "engine simulate chosen: KILN_ENGINE=simulate" in sidecar.log()


def test_generate_streams_progress_then_done(simulate: SidecarProcess, sidecar_tmp: Path) -> None:
    started = time.monotonic()
    events = list(simulate.stub.Generate(_request(), timeout=30))
    elapsed = time.monotonic() - started
    done = _terminal(events).done
    progress = [e.progress for e in events if e.WhichOneof("event") == "progress"]
    percents = [p.percent for p in progress]
    assert percents == sorted(percents)
    assert percents[-1] == 100.0
    stages = [p.stage for p in progress]
    assert stages == sorted(stages)
    assert set(stages) == {
        pb.STAGE_PREPROCESS,
        pb.STAGE_STRUCTURE,
        pb.STAGE_GEOMETRY,
        pb.STAGE_TEXTURE,
        pb.STAGE_EXPORT,
    }
    assert sum(1 for p in progress if p.stage == pb.STAGE_GEOMETRY and "/12" in p.message) == 12
    assert done.engine == "simulate"
    model = streamed_model(events)
    assert done.triangles > 20_000
    # The job's own time: at least the simulated 1.5 s, at most what the client waited for it.
    assert 1.2 < done.seconds <= elapsed
    # The job's private folder is gone: the sidecar keeps nothing once the model is sent.
    assert _left_in(sidecar_tmp) == []
    received = sidecar_tmp.parent / "received.glb"
    received.write_bytes(model)
    assert validate_glbs([received])[str(received)]["errors"] == 0
    health = simulate.health()
    assert health.state == pb.READY
    assert health.jobs_done == 1
    time.sleep(0.3)  # the call-end callback runs after the client has the last event
    assert "cancelling the job" not in simulate.log()


def test_simulate_honours_the_seed_like_trellis2(tmp_path: Path) -> None:
    """So that "New variation" can be tested (the web offers it only where the seed counts): the
    default seed 42 leaves the relief as inflate makes it, seed 3 turns it 30 degrees about Y."""
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="0.2") as sidecar:
        sidecar.wait_for_state(pb.READY)
        runs = {}
        for seed in (42, 3):
            request = _request(f"seed{seed}")
            request.seed = seed
            events = sidecar.generate(request, timeout=30)
            runs[seed] = (_terminal(events).done, parse_mesh(streamed_model(events)))
    for seed, (done, _mesh) in runs.items():
        assert (done.seed, list(done.ignored)) == (seed, ["pipeline_type", "texture_size", "faces"])
    plain, turned = runs[42][1], runs[3][1]
    turn = Rotation.from_euler("y", 30.0, degrees=True)
    np.testing.assert_allclose(turned.normals, turn.apply(plain.normals), atol=2e-3)
    assert not np.allclose(turned.positions, plain.positions, atol=1e-2)


def test_health_says_busy_during_a_job_and_a_second_job_is_refused(tmp_path: Path, sidecar_tmp: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="1.5", KILN_BUSY_WAIT_S="0.2") as simulate:
        simulate.wait_for_state(pb.READY)
        first = simulate.stub.Generate(_request("first"), timeout=30)
        assert next(first).WhichOneof("event") == "progress"
        assert simulate.health().state == pb.BUSY
        second = list(simulate.stub.Generate(_request("second"), timeout=30))
        assert len(second) == 1
        assert second[0].error.code == pb.INTERNAL
        assert "busy" in second[0].error.message
        assert _terminal(list(first)).WhichOneof("event") == "done"
        assert _left_in(sidecar_tmp) == []


def test_a_job_sent_right_after_the_previous_done_waits_for_its_clean_up(
    simulate: SidecarProcess, sidecar_tmp: Path
) -> None:
    # The api starts the next job as soon as it reads Done, while the sidecar may still be
    # releasing the previous job; that job must wait, not be refused.
    for index in range(4):
        events = list(simulate.stub.Generate(_request(f"job{index}"), timeout=30))
        assert _terminal(events).WhichOneof("event") == "done", events[-1]
    second_running = simulate.stub.Generate(_request("overlap1"), timeout=30)
    assert next(second_running).WhichOneof("event") == "progress"
    overlapping = list(simulate.stub.Generate(_request("overlap2"), timeout=30))
    assert _terminal(overlapping).WhichOneof("event") == "done"
    assert _terminal(list(second_running)).WhichOneof("event") == "done"


def test_cancelling_the_call_cancels_the_job(simulate: SidecarProcess, sidecar_tmp: Path) -> None:
    call = simulate.stub.Generate(_request(), timeout=30)
    for event in call:
        if event.progress.stage == pb.STAGE_STRUCTURE:
            break
    call.cancel()
    health = simulate.wait_for_state(pb.READY)
    assert health.jobs_done == 1
    assert _left_in(sidecar_tmp) == []
    assert "CANCELLED" in simulate.log()


def test_deadline_ends_the_job_with_timeout(simulate: SidecarProcess, sidecar_tmp: Path) -> None:
    request = _request(timeout_s=1)
    request.image = _image_bytes()
    events = list(simulate.stub.Generate(request, timeout=30))
    # KILN_SIMULATE_SECONDS=1.5 > timeout_s=1: the engine was stopped, not waited for past its grace.
    error = _terminal(events).error
    assert error.code == pb.TIMEOUT
    assert "did not stop" not in error.message
    assert _left_in(sidecar_tmp) == []


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        (b"definitely not a picture", "could not be decoded"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "could not be decoded"),
        (_png(Image.new("L", (9000, 8))), "too large"),
    ],
)
def test_bad_input_is_refused_with_its_code(
    simulate: SidecarProcess, sidecar_tmp: Path, image: bytes, fragment: str
) -> None:
    events = list(simulate.stub.Generate(_request(image=image), timeout=10))
    assert len(events) == 1
    assert events[0].error.code == pb.INVALID_INPUT
    assert fragment in events[0].error.message
    assert simulate.health().state == pb.READY
    assert _left_in(sidecar_tmp) == []


def test_truncated_png_is_invalid_input(simulate: SidecarProcess, sidecar_tmp: Path) -> None:
    data = _image_bytes()
    events = list(simulate.stub.Generate(_request(image=data[: len(data) // 2]), timeout=10))
    assert _terminal(events).error.code == pb.INVALID_INPUT


@pytest.mark.parametrize(
    ("fault", "code", "retried"),
    [("oom", pb.OOM, True), ("internal", pb.INTERNAL, False)],
)
def test_faults_map_to_error_codes(
    tmp_path: Path, sidecar_tmp: Path, fault: str, code: int, retried: bool
) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="0.3", KILN_SIMULATE_FAULT=fault) as sidecar:
        sidecar.wait_for_state(pb.READY)
        events = sidecar.generate(_request(), timeout=30)
        error = _terminal(events).error
        assert error.code == code
        assert any("retrying" in e.progress.message for e in events) == retried
        assert sidecar.health().state == pb.READY  # the sidecar survives and takes the next job
        assert _left_in(sidecar_tmp) == []
    if fault == "internal":
        assert "Traceback" in sidecar.log()


def test_oom_once_succeeds_on_the_retry(tmp_path: Path, sidecar_tmp: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="0.3", KILN_SIMULATE_FAULT="oom_once") as sidecar:
        sidecar.wait_for_state(pb.READY)
        events = sidecar.generate(_request(), timeout=30)
        assert _terminal(events).WhichOneof("event") == "done"
        assert any("retrying" in e.progress.message for e in events)
        percents = [e.progress.percent for e in events if e.WhichOneof("event") == "progress"]
        assert percents == sorted(percents)


def test_recycle_exits_75_after_the_response(tmp_path: Path, sidecar_tmp: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="0.3", KILN_RECYCLE_AFTER_JOBS="1") as sidecar:
        sidecar.wait_for_state(pb.READY)
        events = sidecar.generate(_request(), timeout=30)
        assert _terminal(events).WhichOneof("event") == "done"
        assert sidecar.wait_for_exit(timeout=15) == RECYCLE_EXIT_CODE
    assert "recycling" in sidecar.log()


def test_failed_jobs_count_towards_the_recycle(tmp_path: Path, sidecar_tmp: Path) -> None:
    # Upstream's memory grows per run, whatever its outcome.
    with SidecarProcess(
        tmp_path, KILN_SIMULATE_SECONDS="0.3", KILN_SIMULATE_FAULT="internal", KILN_RECYCLE_AFTER_JOBS="2"
    ) as sidecar:
        sidecar.wait_for_state(pb.READY)
        for task_id in ("t1", "t2"):
            events = sidecar.generate(_request(task_id=task_id), timeout=30)
            assert _terminal(events).error.code == pb.INTERNAL
        assert sidecar.wait_for_exit(timeout=15) == RECYCLE_EXIT_CODE


def test_sigterm_when_idle_exits_0(simulate: SidecarProcess) -> None:
    simulate.signal(signal.SIGTERM)
    assert simulate.wait_for_exit(timeout=10) == 0
    assert "stopping (SIGTERM)" in simulate.log()


def test_sigterm_during_a_job_cancels_it_and_exits_0(tmp_path: Path, sidecar_tmp: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="20") as sidecar:
        sidecar.wait_for_state(pb.READY)
        call = sidecar.stub.Generate(_request(), timeout=30)
        assert next(call).WhichOneof("event") == "progress"
        started = time.monotonic()
        sidecar.signal(signal.SIGTERM)
        rest = list(call)
        assert _terminal(rest).error.code == pb.CANCELLED
        assert "shutting down" in rest[-1].error.message
        assert sidecar.wait_for_exit(timeout=15) == 0
        assert time.monotonic() - started < 15.0  # the 20 s job was stopped, not waited for
        assert _left_in(sidecar_tmp) == []


def test_hang_fault_stays_busy_until_killed_and_sigterm_still_exits(
    tmp_path: Path, sidecar_tmp: Path
) -> None:
    with SidecarProcess(
        tmp_path,
        KILN_SIMULATE_SECONDS="0.5",
        KILN_SIMULATE_FAULT="hang",
        KILN_SHUTDOWN_GRACE_S="1",
        KILN_BUSY_WAIT_S="0.2",
    ) as sidecar:
        sidecar.wait_for_state(pb.READY)
        call = sidecar.stub.Generate(_request(), timeout=30)
        for event in call:
            if event.progress.stage == pb.STAGE_STRUCTURE and event.progress.percent >= 30:
                break
        call.cancel()
        # The cancellation reaches the job's thread a moment after the call ends (later on a busy machine).
        end = time.monotonic() + 15
        while "asked to stop" not in (health := sidecar.health()).message and time.monotonic() < end:
            time.sleep(0.05)
        assert health.state == pb.BUSY
        assert "asked to stop" in health.message
        assert "t1" not in health.message  # Health is open: it names no task
        refused = sidecar.generate(_request("next"), timeout=30)
        assert refused[0].error.code == pb.INTERNAL
        assert "busy" in refused[0].error.message
        sidecar.signal(signal.SIGTERM)
        # KILN_SHUTDOWN_GRACE_S=1: the stuck job is given up after 1 s, not waited for.
        assert sidecar.wait_for_exit(timeout=15) == 0
        assert _left_in(sidecar_tmp) == []


def test_inflate_engine_over_grpc(tmp_path: Path, sidecar_tmp: Path) -> None:
    images = sample_images()
    with SidecarProcess(tmp_path, KILN_ENGINE="inflate") as sidecar:
        ready = sidecar.wait_for_state(pb.READY)
        assert ready.engine == "inflate"
        results: list[pb.Done] = []
        received: list[Path] = []
        for index, image in enumerate(images[:3]):
            request = _request(f"job{index}", timeout_s=30, image=image.read_bytes())
            events = sidecar.generate(request, timeout=30)
            results.append(_terminal(events).done)
            received.append(tmp_path / f"job{index}.glb")
            received[-1].write_bytes(streamed_model(events))
        assert [r.engine for r in results] == ["inflate"] * 3
        assert sidecar.health().jobs_done == 3
    for done, path in zip(results, received, strict=True):
        facts = parse_mesh(path.read_bytes())
        assert facts.triangle_count == done.triangles
    reports = validate_glbs(received)
    assert all(r["errors"] == 0 for r in reports.values())


def test_large_message_is_accepted(tmp_path: Path, sidecar_tmp: Path) -> None:
    # A 2048 px PNG of noise is ~12 MB: far over gRPC's 4 MB default limit. A flat disc in it is
    # the object to model (noise alone has none: INVALID_INPUT).
    import numpy as np

    noise = np.random.default_rng(1).integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    ys, xs = np.mgrid[0:2048, 0:2048]
    noise[(xs - 1024) ** 2 + (ys - 1024) ** 2 < 600**2] = (200, 40, 40)
    buffer = io.BytesIO()
    Image.fromarray(noise, mode="RGB").save(buffer, format="PNG", compress_level=0)
    assert buffer.tell() > 8 * 1024 * 1024
    with SidecarProcess(tmp_path, KILN_ENGINE="inflate") as sidecar:
        sidecar.wait_for_state(pb.READY)
        events = sidecar.generate(_request(image=buffer.getvalue()), timeout=60)
        assert _terminal(events).WhichOneof("event") == "done"


def test_auto_picks_inflate_here_and_says_why(tmp_path: Path) -> None:
    with SidecarProcess(tmp_path, KILN_ENGINE="auto") as sidecar:
        ready = sidecar.wait_for_state(pb.READY)
        assert ready.engine == "inflate"
        assert ready.message.startswith("auto: trellis2 unavailable")
    assert "engine inflate chosen: auto: trellis2 unavailable" in sidecar.log()


def test_generate_before_ready_is_refused(tmp_path: Path, sidecar_tmp: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_WARMUP_SECONDS="30") as sidecar:
        sidecar.wait_for_state(pb.LOADING, timeout=15)
        events = sidecar.generate(_request(), timeout=30)
        assert events[0].error.code == pb.INTERNAL
        assert "loading" in events[0].error.message


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"KILN_ENGINE": "bogus"}, "KILN_ENGINE"),
        # Validated at start with every other option, whichever engine runs.
        (
            {"KILN_ENGINE": "inflate", "KILN_TRELLIS2_TEXTURE_SIZE": "3000"},
            "KILN_TRELLIS2_TEXTURE_SIZE: texture_size must be",
        ),
    ],
)
def test_bad_configuration_stops_the_start_naming_the_variable(
    tmp_path: Path, bad: dict[str, str], named: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiln3d_inference"],
        cwd=INFERENCE_DIR,
        env={**os.environ, **bad, "KILN_LISTEN": f"unix://{tmp_path}/s.sock"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert named in done.stderr


def test_many_health_calls_while_a_job_runs(simulate: SidecarProcess, sidecar_tmp: Path) -> None:
    call = simulate.stub.Generate(_request(), timeout=30)
    states: list[int] = []

    def poll() -> None:
        for _ in range(20):
            states.append(simulate.health().state)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _terminal(list(call)).WhichOneof("event") == "done"
    assert len(states) == 80
    assert set(states) <= {pb.BUSY, pb.READY}


def test_grpc_error_free_when_client_disconnects_abruptly(
    simulate: SidecarProcess, sidecar_tmp: Path
) -> None:
    channel = grpc.insecure_channel(simulate.address)
    call = pb_grpc.InferenceStub(channel).Generate(_request(), timeout=30)
    next(call)
    channel.close()
    assert simulate.wait_for_state(pb.READY).jobs_done == 1
    assert _left_in(sidecar_tmp) == []


def test_hang_past_the_deadline_ends_the_stream_with_timeout_but_stays_busy(
    tmp_path: Path, sidecar_tmp: Path
) -> None:
    # The hang starts at the geometry stage, after a small picture's relief and 0.15 s of simulated
    # stages; the deadline must come after that, also on a busy machine (npm test runs suites side
    # by side: at 1 s a lone clone once timed out before the hang, an ordinary timeout instead).
    deadline_s = 3
    small = _png(procedural_test_image(128))
    with SidecarProcess(tmp_path, KILN_SIMULATE_SECONDS="0.5", KILN_SIMULATE_FAULT="hang") as sidecar:
        sidecar.wait_for_state(pb.READY)
        started = time.monotonic()
        events = sidecar.generate(_request(timeout_s=deadline_s, image=small), timeout=30)
        elapsed = time.monotonic() - started
        error = _terminal(events).error
        assert error.code == pb.TIMEOUT
        assert "did not stop" in error.message
        # Not before the deadline and its grace (the lower bound is the point; the upper one only
        # says the stream did not wait for the hung engine, and is wide for a busy machine).
        assert deadline_s + STOP_GRACE_S - 0.5 < elapsed < deadline_s + STOP_GRACE_S + 15.0
        assert sidecar.health().state == pb.BUSY  # the supervisor must kill and restart it


def test_sigterm_while_loading_exits_0(tmp_path: Path) -> None:
    with SidecarProcess(tmp_path, KILN_SIMULATE_WARMUP_SECONDS="30") as sidecar:
        sidecar.wait_for_state(pb.LOADING, timeout=15)
        sidecar.signal(signal.SIGTERM)
        assert sidecar.wait_for_exit(timeout=10) == 0


def test_restart_on_the_socket_of_a_killed_sidecar(tmp_path: Path) -> None:
    with SidecarProcess(tmp_path) as first:
        first.wait_for_state(pb.READY)
        first.signal(signal.SIGKILL)
        first.wait_for_exit(timeout=10)
    assert (tmp_path / "inference.sock").exists()
    with SidecarProcess(tmp_path) as second:
        assert second.wait_for_state(pb.READY).pid != 0


def test_tcp_port_zero_logs_the_bound_port(tmp_path: Path) -> None:
    with SidecarProcess(tmp_path, KILN_LISTEN="127.0.0.1:0") as sidecar:
        end = time.monotonic() + 15
        while "listening on 127.0.0.1:" not in sidecar.log() and time.monotonic() < end:
            time.sleep(0.05)
        line = next(li for li in sidecar.log().splitlines() if "listening on" in li)
        port = int(line.rsplit(":", 1)[1])
        assert port > 0
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.InferenceStub(channel)
            end = time.monotonic() + 15
            while stub.Health(pb.HealthRequest(), timeout=2).state != pb.READY:
                assert time.monotonic() < end
                time.sleep(0.05)


def test_engine_that_cannot_load_reports_failed_and_refuses_jobs(tmp_path: Path, sidecar_tmp: Path) -> None:
    # trellis2 cannot load on a machine without torch/CUDA: the sidecar stays up to say why.
    with SidecarProcess(tmp_path, KILN_ENGINE="trellis2") as sidecar:
        failed = sidecar.wait_for_state(pb.FAILED, timeout=30)
        assert failed.engine == "trellis2"
        assert "failed to load" in failed.message
        events = sidecar.generate(_request(), timeout=30)
        assert events[0].error.code == pb.INTERNAL
        assert "not ready" in events[0].error.message
    assert "engine failed to load" in sidecar.log()


def test_exits_when_the_supervising_parent_dies(tmp_path: Path) -> None:
    socket = tmp_path / "inference.sock"
    parent_code = (
        "import os, subprocess, sys, time\n"
        "env = dict(os.environ, KILN_PARENT_PID=str(os.getpid()))\n"
        "child = subprocess.Popen([sys.executable, '-m', 'kiln3d_inference'], env=env)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "KILN_ENGINE": "simulate", "KILN_LISTEN": f"unix://{socket}"}
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], cwd=INFERENCE_DIR, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        with grpc.insecure_channel(f"unix://{socket}") as channel:
            stub = pb_grpc.InferenceStub(channel)
            end = time.monotonic() + 15
            while True:
                try:
                    if stub.Health(pb.HealthRequest(), timeout=1).state == pb.READY:
                        break
                except grpc.RpcError:
                    pass
                assert time.monotonic() < end
                time.sleep(0.05)
        parent.kill()
        parent.wait(timeout=5)
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                os.kill(child_pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(child_pid, signal.SIGKILL)
        raise AssertionError("the sidecar outlived its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
