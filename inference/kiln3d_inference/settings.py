"""Sidecar configuration: environment variables with the prefix KILN_, validated once at start.

A bad value stops the start with a message naming the variable (pydantic's ValidationError).
"""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import BaseModel, Field
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


class Trellis2Settings(BaseModel):
    """TRELLIS.2 engine settings, read from KILN_TRELLIS2__<NAME> (owned by the trellis2 engineer)."""

    # Folder under KILN_MODELS_DIR holding the pipeline (or a hub id when absent locally).
    model: str = "TRELLIS.2-4B"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KILN_", env_nested_delimiter="__", extra="ignore")

    engine: EngineChoice = EngineChoice.AUTO
    # gRPC address: host:port, or unix:///path/to/socket.
    listen: str = Field(default="127.0.0.1:50051", min_length=1)
    models_dir: Path = REPO_ROOT / "models"
    simulate_seconds: float = Field(default=30.0, ge=0.0, le=3600.0)
    simulate_fault: SimulateFault = SimulateFault.NONE
    # Exit with code 75 (planned recycle) after this many jobs; 0 = only when the engine asks.
    recycle_after_jobs: int = Field(default=0, ge=0)
    # Seconds SIGTERM waits for the running job after cancelling it, before exiting anyway.
    shutdown_grace_s: float = Field(default=5.0, ge=0.0, le=60.0)
    trellis2: Trellis2Settings = Field(default_factory=Trellis2Settings)
