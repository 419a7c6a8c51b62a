"""The shared secret between the api and the sidecar (KILN_INFERENCE_TOKEN, the api's INFERENCE_TOKEN).

The api sends it on every call as gRPC metadata `authorization: Bearer <token>`; Generate runs only
when it matches (compared in constant time), Health answers everyone and says whether the caller's
secret matched (proto HealthResponse.auth), so the api can name a wrong or missing secret instead of
reporting a generic failure. A sidecar reachable from other machines must have a secret: whoever
reaches its port could otherwise run jobs on the GPU (`listen_needs_token`).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time
from collections.abc import Sequence

from kiln3d_inference.proto import inference_pb2 as pb

log = logging.getLogger("kiln3d_inference")

METADATA_KEY = "authorization"
SCHEME = "Bearer "
MIN_TOKEN_LENGTH = 16
# A wrong secret is logged at most this often (seconds): a stranger hammering the port must not fill the log.
REFUSAL_LOG_INTERVAL_S = 10.0


def listen_needs_token(address: str) -> bool:
    """False for a unix socket or a loopback address (127.0.0.0/8, ::1, localhost), True otherwise.

    `address` is KILN_LISTEN: "host:port", "[v6]:port" or "unix:///path". "0.0.0.0", "[::]" and any
    name other than localhost listen beyond this machine.
    """
    if address.startswith("unix:"):
        return False
    host = address.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a host name: it may resolve to any interface


def bearer_token(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The token of the call's `authorization: Bearer <token>` metadata, or None when absent."""
    for key, value in metadata or ():
        if key.lower() == METADATA_KEY:
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            return text[len(SCHEME) :] if text.startswith(SCHEME) else text
    return None


class TokenCheck:
    """Judges a call's secret against the configured one ("" = no secret required)."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()
        self._lock = threading.Lock()
        self._last_logged = -REFUSAL_LOG_INTERVAL_S
        self._unlogged = 0

    @property
    def required(self) -> bool:
        """Whether calls must carry the secret."""
        return bool(self._token)

    def state(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> pb.AuthState.ValueType:
        """AUTH_OK, AUTH_MISSING or AUTH_WRONG (proto AuthState) for a call's metadata, compared in
        constant time."""
        if not self._token:
            return pb.AUTH_OK
        sent = bearer_token(metadata)
        if sent is None:
            return pb.AUTH_MISSING
        return pb.AUTH_OK if hmac.compare_digest(sent.encode(), self._token) else pb.AUTH_WRONG

    def note_refusal(self, state: pb.AuthState.ValueType, peer: str) -> None:
        """Log a refused Generate (at most once per REFUSAL_LOG_INTERVAL_S, with the count since)."""
        with self._lock:
            now = time.monotonic()
            self._unlogged += 1
            if now - self._last_logged < REFUSAL_LOG_INTERVAL_S:
                return
            count, self._unlogged, self._last_logged = self._unlogged, 0, now
        what = "no inference token" if state == pb.AUTH_MISSING else "a wrong inference token"
        log.warning("Generate refused: %s from %s (%d refusal(s) since the last report)", what, peer, count)
