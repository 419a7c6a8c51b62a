"""`python -m kiln3d_inference.healthcheck [ADDRESS]`: a container health probe for the sidecar.

Calls the sidecar's own `Health` RPC (proto/inference.proto; the sidecar does not serve the
standard grpc.health.v1 service) and exits 0 when it answers READY or BUSY, 1 otherwise (LOADING,
FAILED, no answer within the timeout). ADDRESS defaults to KILN_LISTEN with a wildcard host
(0.0.0.0, ::) replaced by loopback, since a probe runs inside the sidecar's container. One line
on stdout says what was seen (docker keeps it in `docker inspect`'s health log).
"""

from __future__ import annotations

import argparse
import sys

import grpc

from kiln3d_inference.proto import inference_pb2 as pb
from kiln3d_inference.proto import inference_pb2_grpc as pb_grpc
from kiln3d_inference.settings import Settings

HEALTHY_STATES = frozenset({pb.READY, pb.BUSY})
EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 1


def probe_address(listen: str) -> str:
    """The address to dial for a sidecar listening on `listen` ("host:port" or a unix socket):
    a wildcard host becomes loopback ("0.0.0.0:50051" -> "127.0.0.1:50051")."""
    if listen.startswith("unix:"):
        return listen
    host, _, port = listen.rpartition(":")
    if host in ("0.0.0.0", "", "[::]", "::"):
        return f"127.0.0.1:{port}"
    return listen


def check(address: str, timeout_s: float) -> tuple[int, str]:
    """One Health call: (exit code, a line saying the state, engine and device or the error)."""
    with grpc.insecure_channel(address) as channel:
        try:
            health: pb.HealthResponse = pb_grpc.InferenceStub(channel).Health(
                pb.HealthRequest(), timeout=timeout_s
            )
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            return EXIT_UNHEALTHY, f"no answer from {address}: {code.name if code else exc}"
    state = pb.ServingState.Name(health.state)
    line = f"{state} engine={health.engine or '-'} device={health.device or '-'} jobs_done={health.jobs_done}"
    if health.message:
        line += f" ({health.message})"
    return (EXIT_HEALTHY if health.state in HEALTHY_STATES else EXIT_UNHEALTHY), line


def main(argv: list[str] | None = None) -> int:
    """Parses the arguments, probes once, prints the line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m kiln3d_inference.healthcheck", description=__doc__)
    parser.add_argument("address", nargs="?", help="host:port or unix:///path (default: from KILN_LISTEN)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer")
    args = parser.parse_args(argv)
    address = args.address or probe_address(Settings().listen)
    code, line = check(address, args.timeout)
    print(line)
    return code


if __name__ == "__main__":
    sys.exit(main())
