"""`python -m kiln3d_inference`: serve gRPC until SIGTERM/SIGINT (exit 0) or a recycle (exit 75).

Configuration comes from KILN_* environment variables (see settings.py); logs are plain lines on
stderr: "<timestamp> <LEVEL> <message>".
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from types import FrameType

from pydantic import ValidationError

from kiln3d_inference import __version__
from kiln3d_inference.auth import listen_needs_token
from kiln3d_inference.server import ExitRequest, Sidecar, start_server
from kiln3d_inference.settings import Settings, describe_invalid, misspelt_settings

log = logging.getLogger("kiln3d_inference")

EXIT_CONFIG = 2
EXIT_LISTEN = 3


def configure_logging() -> None:
    """Plain lines on stderr: "<UTC timestamp, ms> <LEVEL> <message>" (the api parses them; the
    benchmark reads the jobs' start and end from them, hence the milliseconds)."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s.%(msecs)03dZ %(levelname)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        force=True,
    )
    logging.Formatter.converter = time.gmtime


def _exit(code: int) -> None:
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not sys.exit: a job thread stuck in an engine must not keep the process alive.
    os._exit(code)


def main() -> None:
    """Validate the settings (exit 2; listening beyond loopback needs KILN_INFERENCE_TOKEN), listen
    (exit 3), load the engine in the background, serve until a signal (exit 0), a recycle (exit 75)
    or the parent's death (exit 0)."""
    configure_logging()
    try:
        settings = Settings()
    except ValidationError as exc:
        log.error("invalid configuration: %s", describe_invalid(exc))
        _exit(EXIT_CONFIG)
        return
    for sentence in misspelt_settings(os.environ):
        log.warning("configuration: %s", sentence)
    if listen_needs_token(settings.listen) and not settings.inference_token:
        # Anyone who reaches the port could run jobs, and the link carries users' photos.
        log.error(
            "invalid configuration: KILN_INFERENCE_TOKEN: required when KILN_LISTEN=%s is not a "
            "loopback address or a unix socket (set the same secret as the api's INFERENCE_TOKEN)",
            settings.listen,
        )
        _exit(EXIT_CONFIG)
        return
    exit_request = ExitRequest()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        exit_request.request(0, signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    log.info("kiln3d_inference %s starting (pid %d)", __version__, os.getpid())
    sidecar = Sidecar(settings, exit_request)
    try:
        server, bound = start_server(settings, sidecar)
    except Exception as exc:
        log.error("cannot listen on %s: %s", settings.listen, exc)
        _exit(EXIT_LISTEN)
        return
    log.info("listening on %s", bound)
    threading.Thread(target=sidecar.load, name="engine-load", daemon=True).start()

    while not exit_request.event.wait(0.5):
        if settings.parent_pid and os.getppid() != settings.parent_pid:
            log.warning("parent process %d is gone; shutting down", settings.parent_pid)
            exit_request.request(0, "parent exited")
    log.info("stopping (%s)", exit_request.reason)
    sidecar.begin_shutdown()
    # Stop accepting calls; a running stream gets the grace period to end (its job was cancelled).
    server.stop(grace=settings.shutdown_grace_s).wait(settings.shutdown_grace_s + 1.0)
    log.info("stopped; exit code %d", exit_request.code)
    _exit(exit_request.code)


if __name__ == "__main__":
    main()
