"""Runs the real CLI (`python -m kiln3d_inference`) as a subprocess on a unix socket for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import grpc

from kiln3d_inference.proto import inference_pb2 as pb
from kiln3d_inference.proto import inference_pb2_grpc as pb_grpc
from tests.helpers import INFERENCE_DIR


class SidecarProcess:
    def __init__(self, workdir: Path, **env: str) -> None:
        self.workdir = workdir
        self.socket = workdir / "inference.sock"
        self.address = f"unix://{self.socket}"
        self.log_path = workdir / "sidecar.log"
        # The sidecar's temporary folder (its job folders go there): tests check it is left empty.
        self.tmp_dir = workdir / "tmp"
        self.tmp_dir.mkdir(exist_ok=True)
        self.env = {
            "TMPDIR": str(self.tmp_dir),
            **{k: v for k, v in os.environ.items() if k != "TMPDIR"},
            "KILN_LISTEN": self.address,
            "KILN_ENGINE": "simulate",
            "KILN_SIMULATE_SECONDS": "1",
            "KILN_MODELS_DIR": str(workdir / "models"),
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None

    def __enter__(self) -> SidecarProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiln3d_inference"],
            cwd=INFERENCE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        # Reconnect quickly while the sidecar starts (gRPC's default backoff grows 1 s, 1.6 s, 2.6 s…,
        # long enough on a busy machine to miss a short LOADING state), as the api's client does
        # (api/src/inference/client/inference-proto.ts).
        self.channel = grpc.insecure_channel(
            self.address,
            options=[("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 1000)],
        )

    @property
    def stub(self) -> pb_grpc.InferenceStub:
        assert self.channel is not None
        return pb_grpc.InferenceStub(self.channel)

    def health(self, timeout: float = 10.0) -> pb.HealthResponse:
        # Generous: npm test runs suites side by side on two cores, and an answer's speed is not what
        # these tests check (a job's own thread holds the GIL for long stretches).
        response: pb.HealthResponse = self.stub.Health(pb.HealthRequest(), timeout=timeout)
        return response

    def generate(self, request: pb.GenerateRequest, timeout: float) -> list[pb.GenerateEvent]:
        """Every event of one Generate call. A call that ends in a gRPC status instead of its last
        event fails the test with the status, the events that came and the sidecar's log (what a
        one-off failure under load needs to be understood). A status after the last event (done or
        error) is no failure: the outcome is that event, as the api's GenerateCall takes the first
        (a sidecar recycling after its job may close the connection before the call's trailers)."""
        events: list[pb.GenerateEvent] = []
        try:
            for event in self.stub.Generate(request, timeout=timeout):
                events.append(event)
        except grpc.RpcError as exc:
            kinds = [event.WhichOneof("event") for event in events]
            if kinds and kinds[-1] in ("done", "error"):
                return events
            raise AssertionError(
                f"Generate ended with {exc.code()} ({exc.details()}) after {len(events)} events "
                f"{kinds[-5:]}; sidecar exit code {self.proc.poll() if self.proc else None}; "
                f"log:\n{self.log()}"
            ) from exc
        return events

    def wait_for_state(self, state: pb.ServingState.ValueType, timeout: float = 20.0) -> pb.HealthResponse:
        end = time.monotonic() + timeout
        last: pb.HealthResponse | str = "no answer"
        while time.monotonic() < end:
            try:
                last = self.health(timeout=1.0)
                if last.state == state:
                    return last
            except grpc.RpcError as exc:
                last = str(exc.code())
            time.sleep(0.05)
        raise AssertionError(
            f"state {pb.ServingState.Name(state)} not reached; last: {last}; log:\n{self.log()}"
        )

    def wait_for_exit(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def signal(self, signum: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None
