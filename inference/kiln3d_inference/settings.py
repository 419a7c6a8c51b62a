"""Sidecar configuration: environment variables with the prefix KILN_, validated once at start.

A bad value stops the start with a message naming the variable (pydantic's ValidationError).
The trellis2 engine reads its own KILN_TRELLIS2_* settings (engines/trellis2.py, Trellis2EngineSettings);
KILN_MODELS_DIR is shared with it.
"""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


class EngineChoice(enum.StrEnum):
    AUTO = "auto"
    TRELLIS2 = "trellis2"
    INFLATE = "inflate"
    SIMULATE = "simulate"


class SimulateFault(enum.StrEnum):
    """Fault injection for the simulate engine (tests and demos of the api's error paths)."""

    NONE = "none"
    OOM = "oom"  # every attempt runs out of memory: the job ends with OOM after the retry
    OOM_ONCE = "oom_once"  # the first attempt runs out of memory, the retry succeeds
    INTERNAL = "internal"  # the job fails with INTERNAL
    HANG = "hang"  # the job ignores cancellation and never ends (the api must kill the process)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KILN_", extra="ignore")

    engine: EngineChoice = EngineChoice.AUTO
    # gRPC address: host:port, or unix:///path/to/socket.
    listen: str = Field(default="127.0.0.1:50051", min_length=1)
    models_dir: Path = REPO_ROOT / "models"
    simulate_seconds: float = Field(default=30.0, ge=0.0, le=3600.0)
    simulate_fault: SimulateFault = SimulateFault.NONE
    # Extra warm-up delay of the simulate engine, so the LOADING state can be seen (tests, demos).
    simulate_warmup_seconds: float = Field(default=0.0, ge=0.0, le=600.0)
    # Exit with code 75 (planned recycle) after this many jobs; 0 = only when the engine asks.
    recycle_after_jobs: int = Field(default=0, ge=0)
    # Supervisor's pid: the sidecar exits (code 0) when it is no longer its parent, so a killed api
    # leaves no orphan holding the port or the GPU. 0 = do not watch.
    parent_pid: int = Field(default=0, ge=0)
    # Seconds SIGTERM waits for the running job after cancelling it, before exiting anyway.
    shutdown_grace_s: float = Field(default=5.0, ge=0.0, le=60.0)
    # How long a Generate waits for the previous job to finish its clean-up before "busy".
    busy_wait_s: float = Field(default=10.0, ge=0.0, le=600.0)
