"""Writing an engine's result under its final name only when it is complete."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(output_path: Path) -> Iterator[Path]:
    """Yield a temporary path beside output_path; rename it into place if the block succeeds.

    The temporary name is hidden (leading dot) and unique, so a partial file is never visible under
    the final name, and it is removed when the block raises.
    """
    tmp = output_path.with_name(f".{output_path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        os.replace(tmp, output_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(output_path: Path, data: bytes) -> None:
    """Write data to output_path through atomic_output: complete or not there at all."""
    with atomic_output(output_path) as tmp:
        tmp.write_bytes(data)
