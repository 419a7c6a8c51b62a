"""Sidecar configuration: one settings object read from KILN_* environment variables at start.

`Settings` holds the sidecar's options (KILN_<NAME>) and, nested, the trellis2 engine's
(`Settings.trellis2`, read from KILN_TRELLIS2_<NAME>). Every option is defined here once, with its
one default. A bad value stops the start: `__main__` prints `describe_invalid(error)`, which names
each variable, and exits 2.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kiln3d_inference.auth import MIN_TOKEN_LENGTH

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
ENV_PREFIX = "KILN_"

PipelineType = Literal["512", "1024", "1024_cascade", "1536_cascade"]
# "" and "same": the job's own pipeline type. An empty variable is unset (env_ignore_empty below),
# so an owner who wants the same type writes "same".
OptionalPipelineType = Literal["", "same", PipelineType]


def same_or(choice: str, own: str) -> str:
    """The pipeline type a setting (OptionalPipelineType) names, or `own`, the job's, for "" and "same"."""
    return own if choice in ("", "same") else choice


# The most faces nvdiffrast renders: upstream's example.py:26 simplifies to this before export
# (microsoft/TRELLIS.2 @ 5565d24), so a larger decimation target would be meaningless.
NVDIFFRAST_FACE_LIMIT = 16_777_216


class EngineChoice(enum.StrEnum):
    """KILN_ENGINE: which engine the sidecar runs; `auto` asks the trellis2 probe."""

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
    """KILN_TRELLIS2_<NAME>: the trellis2 engine's options; every default suits one 24 GB card (RTX 4090).

    The weights folder is the sidecar's `Settings.models_dir`.
    """

    # Unknown KILN_TRELLIS2_* variables (e.g. the installer's KILN_TRELLIS2_SRC) are not options.
    model_config = ConfigDict(extra="ignore")

    # A folder (default <models_dir>/TRELLIS.2-4B) or a hub id such as microsoft/TRELLIS.2-4B.
    model: str = ""
    pipeline_type: PipelineType = "1024_cascade"
    # Used by the one retry after CUDA out-of-memory; "" retries the same type.
    oom_retry_pipeline_type: OptionalPipelineType = "512"
    # "" warms up with pipeline_type (compiles the kernels the real jobs use).
    warm_up_pipeline_type: OptionalPipelineType = ""
    low_vram: bool = True
    # None keeps pipeline.json's values (12 steps each in TRELLIS.2-4B).
    structure_steps: int | None = Field(default=None, ge=1, le=100)
    shape_steps: int | None = Field(default=None, ge=1, le=100)
    texture_steps: int | None = Field(default=None, ge=1, le=100)
    structure_guidance: float | None = Field(default=None, ge=0.0, le=20.0)
    shape_guidance: float | None = Field(default=None, ge=0.0, le=20.0)
    texture_guidance: float | None = Field(default=None, ge=0.0, le=20.0)
    max_num_tokens: int = Field(default=49152, ge=1024, le=1_000_000)
    decimation_target: int = Field(default=500_000, ge=1_000, le=NVDIFFRAST_FACE_LIMIT)
    texture_size: int = 2048
    # An OOM in the GLB export first retries the export alone with these lighter settings (the
    # sampled mesh is kept); only a second export OOM reruns sampling at oom_retry_pipeline_type.
    export_retry_texture_size: int = 1024
    export_retry_decimation_target: int = Field(default=200_000, ge=1_000, le=NVDIFFRAST_FACE_LIMIT)
    remesh: bool = True
    remesh_band: float = Field(default=1.0, gt=0.0, le=8.0)
    remesh_project: float = Field(default=0.0, ge=0.0, le=1.0)
    # The source GLB is for editing tools: PNG textures by default; the api makes the WebP web copy.
    webp_textures: bool = False
    # Folders or hub ids replacing pipeline.json's gated parts; "" = a conventional folder under
    # models_dir when present (dinov3-vitl16-pretrain-lvd1689m; RMBG_2_0, RMBG-2.0, else BiRefNet), else hub.
    image_cond_model: str = ""
    rembg_model: str = ""
    # Upstream's memory grows over repeated runs: the sidecar restarts after Settings.recycle_after_jobs
    # jobs, or above this much used VRAM
    # (GiB, device-wide, measured after a job; 0 = never; unset =
    # what the GPU held after the warm-up plus engines/trellis2/memory.py's RECYCLE_VRAM_GROWTH_GIB).
    recycle_vram_gb: float | None = Field(default=None, ge=0.0)
    # The availability probe refuses smaller cards.
    min_vram_gb: float = Field(default=20.0, ge=0.0)
    # PYTORCH_CUDA_ALLOC_CONF unless already set (upstream example.py:3 uses it to save memory).
    alloc_conf: str = "expandable_segments:True"
    verbose: bool = False

    @field_validator("texture_size", "export_retry_texture_size")
    @classmethod
    def _texture_size_is_a_power_of_two(cls, value: int) -> int:
        if value not in (512, 1024, 2048, 4096):
            raise ValueError("texture_size must be 512, 1024, 2048 or 4096")
        return value


class Settings(BaseSettings):
    """KILN_<NAME>: the sidecar's options, validated once at start (pydantic's ValidationError)."""

    # KILN_TRELLIS2_<NAME> fills Settings.trellis2.<name>: the nested delimiter is "_", split once.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        # An empty KILN_X is unset (its default): compose hands the sidecar each of its settings
        # as ${KILN_X:-}, an empty string where .env does not set it (docker-compose.yml).
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
    )

    engine: EngineChoice = EngineChoice.AUTO
    # gRPC address: host:port, or unix:///path/to/socket.
    listen: str = Field(default="127.0.0.1:50051", min_length=1)
    # The shared secret Generate requires (auth.py; the api's INFERENCE_TOKEN). "" = none, allowed
    # only on loopback or a unix socket: __main__ refuses to listen elsewhere without one.
    inference_token: str = Field(default="", repr=False)
    # The weights folder (only the trellis2 engine reads weights); the api passes its MODELS_DIR,
    # resolved, as KILN_MODELS_DIR.
    models_dir: Path = REPO_ROOT / "models"
    # Writable folder for what the sidecar derives (models_dir may be read-only): the trellis2
    # pipeline config and links to the weights, the FlexGEMM autotune cache, transformers' copies
    # of remote code. Created on demand; safe to delete (rebuilt at the next start).
    cache_dir: Path = REPO_ROOT / "cache"
    simulate_seconds: float = Field(default=30.0, ge=0.0, le=3600.0)
    simulate_fault: SimulateFault = SimulateFault.NONE
    # Extra warm-up delay of the simulate engine, so the LOADING state can be seen (tests, demos).
    simulate_warmup_seconds: float = Field(default=0.0, ge=0.0, le=600.0)
    # Exit with code 75 (planned recycle) after this many jobs, failed ones included, whatever the
    # engine (0 = never): a long-lived CUDA process fragments and grows its memory (TRELLIS.2 does, see
    # engines/trellis2/memory.py); a recycled inflate sidecar is back in about a second. The engine
    # may also ask sooner (trellis2: past its VRAM threshold).
    recycle_after_jobs: int = Field(default=100, ge=0)
    # Supervisor's pid: the sidecar exits (code 0) when it is no longer its parent, so a killed api
    # leaves no orphan holding the port or the GPU. 0 = do not watch.
    parent_pid: int = Field(default=0, ge=0)
    # Seconds SIGTERM waits for the running job after cancelling it, before exiting anyway.
    shutdown_grace_s: float = Field(default=5.0, ge=0.0, le=60.0)
    # How long a Generate waits for the previous job to finish its clean-up before "busy".
    busy_wait_s: float = Field(default=10.0, ge=0.0, le=600.0)
    trellis2: Trellis2Settings = Field(default_factory=Trellis2Settings)

    @field_validator("inference_token")
    @classmethod
    def _token_is_long_enough(cls, value: str) -> str:
        if value and len(value) < MIN_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)")
        return value


def describe_invalid(error: ValidationError) -> str:
    """One line naming each invalid environment variable and why, e.g.
    "KILN_TRELLIS2_TEXTURE_SIZE: texture_size must be 512, 1024, 2048 or 4096"."""
    problems = []
    for problem in error.errors():
        name = "_".join(str(part) for part in problem["loc"]).upper()
        variable = name if name.startswith(ENV_PREFIX) else ENV_PREFIX + name
        # pydantic prefixes a validator's own message with "Value error, ": not the user's concern.
        problems.append(f"{variable}: {problem['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


# KILN_TRELLIS2_* names that are read by the installer, not by the sidecar (scripts/install-trellis2.sh).
_INSTALLER_VARIABLES = frozenset({"KILN_TRELLIS2_SRC"})
_SETTINGS_TABLES = "inference/README.md and models/README.md"


def setting_names() -> frozenset[str]:
    """Every environment variable the sidecar reads as an option, e.g. "KILN_BUSY_WAIT_S",
    "KILN_TRELLIS2_TEXTURE_SIZE" (Settings' and Trellis2Settings' fields, upper-cased)."""
    own = {ENV_PREFIX + name.upper() for name in Settings.model_fields if name != "trellis2"}
    engine = {f"{ENV_PREFIX}TRELLIS2_{name.upper()}" for name in Trellis2Settings.model_fields}
    return frozenset(own | engine)


def misspelt_settings(environ: Mapping[str, str]) -> list[str]:
    """One sentence for each KILN_* variable in `environ` that is not an option but looks like
    one: every unknown KILN_TRELLIS2_* name (the engine's own namespace), and any other unknown
    KILN_* name close to an option (difflib ratio >= 0.8). Other KILN_* names belong to the
    project's scripts and tests and are left alone. Settings ignores unknown names
    (extra="ignore"), so without this a typo silently keeps the default."""
    known = setting_names()
    sentences = []
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in known or name in _INSTALLER_VARIABLES:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if not close and not name.startswith(f"{ENV_PREFIX}TRELLIS2_"):
            continue
        hint = f"; did you mean {close[0]}?" if close else f" ({_SETTINGS_TABLES} list them)"
        sentences.append(f"{name} is not a setting of the sidecar and is ignored{hint}")
    return sentences
