"""The engine seam: every engine (trellis2, inflate, simulate) implements `Engine`.

The gRPC server owns one engine for the life of the process: `load()` once, `warm_up()` once,
then `generate()` per job, never two at a time. Engines report progress and poll for
cancellation through the `JobContext` they are handed; they raise `EngineError` subclasses for
failures that the server maps onto the proto's ErrorCode.
"""

from __future__ import annotations

import abc
import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    import trimesh

    from kiln3d_inference.engines.preview import VoxelPreview

# Pictures larger than this on either side are INVALID_INPUT (proto GenerateRequest.image).
MAX_IMAGE_SIDE = 8192


class Stage(enum.IntEnum):
    """Mirrors proto `Stage` (same numbers)."""

    PREPROCESS = 1
    STRUCTURE = 2
    GEOMETRY = 3
    TEXTURE = 4
    EXPORT = 5


class ErrorCode(enum.IntEnum):
    """Mirrors proto `ErrorCode` (same numbers)."""

    OOM = 1
    INVALID_INPUT = 2
    TIMEOUT = 3
    CANCELLED = 4
    INTERNAL = 5


class EngineError(Exception):
    """A failure an engine reports with its proto ErrorCode (INTERNAL unless a subclass says)."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OutOfMemory(EngineError):
    """GPU (or host) memory ran out, after the engine's own clean-up and retry."""

    code = ErrorCode.OOM


class InvalidInput(EngineError):
    """The picture cannot be used (undecodable, too large, nothing to model); retrying will not help.

    The api answers it as the user's fault (422 or 400), so a fault of the api's own request,
    such as its output path, is a plain EngineError (INTERNAL) instead."""

    code = ErrorCode.INVALID_INPUT


class JobTimeout(EngineError):
    """The job ran past GenerateRequest.timeout_s (JobContext.deadline)."""

    code = ErrorCode.TIMEOUT


class JobCancelled(EngineError):
    """The client ended the call, or the sidecar is shutting down."""

    code = ErrorCode.CANCELLED


ProgressCallback = Callable[[Stage, float, str], None]

# Names of the GenerateRequest fields an engine may ignore (proto Done.ignored).
OPTION_NAMES = ("seed", "pipeline_type", "texture_size", "faces", "texture_resolution")
# The options of each kind of job (the api's POST /api/generate and POST /api/texture): an engine
# names as ignored only options of the job it ran, never the other kind's.
GENERATION_OPTIONS = ("seed", "pipeline_type", "texture_size", "faces")
TEXTURE_OPTIONS = ("seed", "texture_size", "texture_resolution")


@dataclass(frozen=True)
class JobOptions:
    """The request's generation options (proto GenerateRequest); the zero value means the engine's
    own setting. pipeline_type: TRELLIS.2's; texture_size: pixels a side; faces: decimation target;
    texture_resolution: the voxel grid a texturing job samples its texture on (trellis2: 512, 1024)."""

    pipeline_type: str = ""
    texture_size: int = 0
    faces: int = 0
    texture_resolution: int = 0


def _no_preview(preview: VoxelPreview) -> None:
    """The default preview listener: a job nobody previews (warm-up, tests of other things)."""


@dataclass
class JobContext:
    """Per-job handle given to an engine: progress out, cancellation and deadline in."""

    task_id: str
    on_progress: ProgressCallback
    deadline: float | None = None  # time.monotonic() value; None = no limit
    cancelled: threading.Event = field(default_factory=threading.Event)
    on_preview: Callable[[VoxelPreview], None] = _no_preview
    options: JobOptions = field(default_factory=JobOptions)
    _last_percent: float = field(default=0.0, init=False, repr=False)

    @property
    def last_percent(self) -> float:
        """The percent last passed on (0 before the first report)."""
        return self._last_percent

    def check(self) -> None:
        """Raise if the job was cancelled or ran past its deadline. Call between steps."""
        if self.cancelled.is_set():
            raise JobCancelled("cancelled by the client")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise JobTimeout("job exceeded its time limit")

    def progress(self, stage: Stage, percent: float, message: str = "") -> None:
        """Report overall progress (0-100), then check() for cancellation and the deadline.

        The one owner of "percent never decreases within one job" (proto Progress.percent): a value
        below the last one is passed on as the last one, one above 100 as 100. Engines report their
        own mapping as it is, and the server forwards what arrives here.
        """
        percent = min(100.0, max(self._last_percent, percent))
        self._last_percent = percent
        self.on_progress(stage, percent, message)
        self.check()

    def preview(self, preview: VoxelPreview) -> None:
        """Pass on the voxels known so far (engines/preview.py; proto Preview), then check()."""
        self.on_preview(preview)
        self.check()


@dataclass(frozen=True)
class GenerateResult:
    """A finished job: the GLB's path and size in bytes, its triangles, seconds taken, engine name,
    the seed used (0: none) and the request options it ignored (GENERATION_OPTIONS or
    TEXTURE_OPTIONS, of the job it ran)."""

    output_path: Path
    triangles: int
    bytes: int
    seconds: float
    engine: str
    seed: int = 0
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class VramUsage:
    """GPU memory in bytes: used device-wide, and the device's total (both 0 on the CPU)."""

    used_bytes: int = 0
    total_bytes: int = 0


class Engine(abc.ABC):
    """Lifecycle: load() -> warm_up() -> generate()*; the server serialises calls."""

    name: str

    @abc.abstractmethod
    def load(self) -> None:
        """Load weights / prepare; called once at start."""

    @abc.abstractmethod
    def warm_up(self) -> None:
        """Run one generation on a built-in image so the first real job is not slow."""

    @abc.abstractmethod
    def generate(self, image: Image.Image, output_path: Path, seed: int, ctx: JobContext) -> GenerateResult:
        """Make a GLB at output_path (write a temporary name, then rename)."""

    # How this engine paints an uploaded mesh, in words (proto HealthResponse.texturing); empty
    # when it cannot (texture() then refuses every job).
    texturing: str = ""

    # The options of each kind of job this engine never uses, whatever their values (proto
    # HealthResponse.unused_generation_options, unused_texture_options; a subset of
    # GENERATION_OPTIONS, TEXTURE_OPTIONS). Its jobs name them in Done.ignored.
    unused_generation_options: tuple[str, ...] = ()
    unused_texture_options: tuple[str, ...] = ()

    def texture(
        self, image: Image.Image, mesh: trimesh.Trimesh, output_path: Path, seed: int, ctx: JobContext
    ) -> GenerateResult:
        """Paint `mesh` from `image` (proto GenerateRequest.mesh): write a GLB at output_path (a
        temporary name, then rename) holding the same triangles at the same positions, in the
        mesh's own units and place, with UVs and a base-colour texture. `mesh` comes from the
        api's intake (kiln3d_inference.meshes): one triangle mesh, finite, at least one face.
        Raises EngineError (INTERNAL) unless the engine overrides it."""
        raise EngineError(f"internal error: the {self.name} engine cannot texture a mesh")

    def device(self) -> str:
        """Where the engine runs, for Health (e.g. "cpu", "cuda:0 (NVIDIA H200)")."""
        return "cpu"

    def vram(self) -> VramUsage:
        """GPU memory now, for Health and the recycle decision."""
        return VramUsage()

    def clear_cache(self) -> None:
        """Release cached memory after a job or an error (CUDA engines free their cache)."""

    def should_recycle(self) -> bool:
        """True when the process should exit after the current job so the supervisor restarts
        it (upstream VRAM growth); the server then exits with RECYCLE_EXIT_CODE."""
        return False


RECYCLE_EXIT_CODE = 75  # EX_TEMPFAIL: a planned restart, the supervisor restarts at once
