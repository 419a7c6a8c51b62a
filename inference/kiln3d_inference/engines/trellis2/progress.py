"""One 0-100 progress bar for a TRELLIS.2 job, fed by upstream's own tqdm loops.

Upstream (microsoft/TRELLIS.2 @ 5565d240c4a494caaf9ece7a554542b76ffa36d3) exposes no progress
callback. Its samplers step through `for t, t_prev in tqdm(t_pairs, desc=tqdm_desc, ...)`
(trellis2/pipelines/samplers/flow_euler.py:120, `from tqdm import tqdm` at line 4) and
`o_voxel.postprocess.to_glb(use_tqdm=True)` drives `tqdm(total=6, desc="Extracting GLB")` with
`update(1)` / `set_description(...)` (o-voxel/o_voxel/postprocess.py:95-327). So, for the length of
one call only, the engine swaps the module-global name `tqdm` in those two modules for the factories
here (`patched_attribute`), which report each finished step through `JobContext.progress` — and that
call also raises when the job was cancelled or ran past its deadline, which stops the sampler
between two steps.

`Trellis2ImageTo3DPipeline.run` (trellis2_image_to_3d.py:489-595) runs one sampler loop per pass,
in this order: sparse structure, shape (twice for the `*_cascade` types: 512 then the high
resolution), texture. Passes get a share of the bar in proportion to steps x a rough per-step cost.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from types import ModuleType
from typing import Any, get_args

from kiln3d_inference.engines.base import JobContext, Stage
from kiln3d_inference.settings import PipelineType

log = logging.getLogger(__name__)

PIPELINE_TYPES: tuple[str, ...] = get_args(PipelineType)

# Where each phase ends on a 0-1 scale of one attempt; sampling fills the span between.
PREPROCESS_END = 0.05
SAMPLING_END = 0.80
DECODE_END = 0.84  # run() decodes the latents into a mesh after the last sampler loop
SIMPLIFY_END = 0.86  # Mesh.simplify to nvdiffrast's face limit, before to_glb
TO_GLB_END = 0.97  # remesh, simplify, UV unwrap, texture bake
WRITE_END = 1.0

# Relative cost of one sampler step, from upstream's timings (README: 512^3 ~3 s, 1024^3 ~17 s
# of which shape 10 s and material 7 s, on an H100). Only the shape of the bar depends on these.
_STEP_COST = {
    ("structure", 0): 1.0,
    ("shape", 512): 1.0,
    ("shape", 1024): 4.0,
    ("shape", 1536): 9.0,
    ("texture", 512): 0.8,
    ("texture", 1024): 3.5,
}

_STAGE = {"structure": Stage.STRUCTURE, "shape": Stage.GEOMETRY, "texture": Stage.TEXTURE}
_LABEL = {"structure": "sparse structure", "shape": "shape", "texture": "texture"}

# Steps per to_glb progress bar (o-voxel/o_voxel/postprocess.py:96: `tqdm(total=6, ...)`).
TO_GLB_TICKS = 6


@dataclass(frozen=True)
class SamplingPass:
    """One sampler loop of `run()`: what it samples, at which resolution, in how many steps."""

    kind: str  # "structure", "shape" or "texture"
    resolution: int  # 0 for the sparse structure pass
    steps: int

    @property
    def stage(self) -> Stage:
        return _STAGE[self.kind]

    @property
    def label(self) -> str:
        return _LABEL[self.kind] if self.resolution == 0 else f"{_LABEL[self.kind]} {self.resolution}"

    @property
    def weight(self) -> float:
        return _STEP_COST[(self.kind, self.resolution)] * max(1, self.steps)


def sampling_passes(
    pipeline_type: str, structure_steps: int, shape_steps: int, texture_steps: int
) -> list[SamplingPass]:
    """The sampler loops `run()` makes for a pipeline type, in order (trellis2_image_to_3d.py:541-589)."""
    if pipeline_type not in PIPELINE_TYPES:
        raise ValueError(
            f"unknown pipeline type {pipeline_type!r}; expected one of {', '.join(PIPELINE_TYPES)}"
        )
    structure = SamplingPass("structure", 0, structure_steps)
    if pipeline_type == "512":
        return [
            structure,
            SamplingPass("shape", 512, shape_steps),
            SamplingPass("texture", 512, texture_steps),
        ]
    if pipeline_type == "1024":
        return [
            structure,
            SamplingPass("shape", 1024, shape_steps),
            SamplingPass("texture", 1024, texture_steps),
        ]
    high = 1024 if pipeline_type == "1024_cascade" else 1536
    return [
        structure,
        SamplingPass("shape", 512, shape_steps),
        SamplingPass("shape", high, shape_steps),
        SamplingPass("texture", 1024, texture_steps),
    ]


class JobProgress:
    """Maps one attempt's phases onto [start, 100] of the job's bar and forwards to the JobContext,
    which keeps the bar from going backwards.

    A retry after an out-of-memory error starts a new JobProgress at the point the first attempt
    reached (JobContext.last_percent), so it reads on from there and still ends at 100.
    """

    def __init__(self, ctx: JobContext, passes: list[SamplingPass], start: float = 0.0) -> None:
        self._ctx = ctx
        self._passes = passes
        self._start = start
        self._span = 100.0 - start
        total = sum(p.weight for p in passes) or 1.0
        self._pass_bounds: list[tuple[float, float]] = []
        at = PREPROCESS_END
        for p in passes:
            width = (SAMPLING_END - PREPROCESS_END) * p.weight / total
            self._pass_bounds.append((at, at + width))
            at += width
        self._next_pass = 0
        self._export_low = SIMPLIFY_END  # where to_glb's bar starts (later for an export retry)

    def report(self, stage: Stage, fraction: float, message: str) -> None:
        """fraction: 0-1 of this attempt; raises JobCancelled / JobTimeout through the context."""
        self._ctx.progress(stage, self._start + self._span * fraction, message)

    def check(self) -> None:
        """Raise JobCancelled / JobTimeout now if due."""
        self._ctx.check()

    # -- tqdm stand-ins -------------------------------------------------------------------------

    def sampler_tqdm(self, iterable: Iterable[Any] | None = None, *args: Any, **kwargs: Any) -> StepBar:
        """Replaces `tqdm` in the sampler module: each call is the next sampling pass."""
        index = self._next_pass
        self._next_pass += 1
        if index < len(self._passes):
            sampling_pass = self._passes[index]
            low, high = self._pass_bounds[index]
        else:
            # More loops than the plan knows (an upstream change): hold the bar, keep cancellation.
            log.debug("unplanned sampler loop %d (%s)", index, kwargs.get("desc"))
            sampling_pass = self._passes[-1]
            low = high = self._pass_bounds[-1][1]
        bar = StepBar(
            self,
            iterable,
            stage=sampling_pass.stage,
            low=low,
            high=high,
            label=f"sampling {sampling_pass.label}",
            kwargs=kwargs,
        )
        if index == len(self._passes) - 1:
            bar.on_finish = self.sampling_done  # run() decodes the latents right after this loop
        return bar

    def export_tqdm(self, iterable: Iterable[Any] | None = None, *args: Any, **kwargs: Any) -> StepBar:
        """Replaces `tqdm` in o_voxel.postprocess: the six to_glb stages."""
        kwargs.setdefault("total", TO_GLB_TICKS)
        return StepBar(
            self,
            iterable,
            stage=Stage.EXPORT,
            low=self._export_low,
            high=TO_GLB_END,
            label="extracting GLB",
            kwargs=kwargs,
        )

    # -- fixed points ---------------------------------------------------------------------------

    def preprocess(self, fraction: float, message: str) -> None:
        self.report(Stage.PREPROCESS, PREPROCESS_END * fraction, message)

    def sampling_done(self) -> None:
        self.report(Stage.EXPORT, SAMPLING_END, "decoding mesh")

    def decoded(self, message: str = "mesh decoded") -> None:
        self.report(Stage.EXPORT, DECODE_END, message)

    def simplifying(self) -> None:
        self.report(Stage.EXPORT, SIMPLIFY_END, "simplifying mesh")

    def exporting_again(self, options: object) -> None:
        """An export ran out of memory: the next try's stages fill what is left of the export's
        span, from where the bar is now, so it keeps moving forward."""
        reached = (self._ctx.last_percent - self._start) / self._span if self._span else TO_GLB_END
        self._export_low = min(TO_GLB_END, max(SIMPLIFY_END, reached))
        self.report(Stage.EXPORT, self._export_low, f"out of GPU memory; exporting again with {options}")

    def writing(self) -> None:
        self.report(Stage.EXPORT, TO_GLB_END, "writing GLB")

    def done(self) -> None:
        self.report(Stage.EXPORT, WRITE_END, "done")


class StepBar:
    """The subset of tqdm's interface upstream uses: iteration, update, set_description, close."""

    def __init__(
        self,
        owner: JobProgress,
        iterable: Iterable[Any] | None,
        *,
        stage: Stage,
        low: float,
        high: float,
        label: str,
        kwargs: dict[str, Any],
    ) -> None:
        self._owner = owner
        self._iterable = iterable
        self._stage = stage
        self._low = low
        self._high = high
        self._label = label
        total = kwargs.get("total")
        if total is None and isinstance(iterable, Sized):
            total = len(iterable)
        self.total: int = int(total) if total else 0
        self.n = 0
        self.n_started = 0.0  # export: the tick a stage that has started but not ended reaches
        self.desc = str(kwargs.get("desc") or "")
        self.on_finish: Callable[[], None] | None = None

    def _report(self) -> None:
        done = max(float(self.n), self.n_started)
        fraction = done / self.total if self.total else 0.0
        # A loop that runs past its announced total stays within its own span of the bar.
        percent_of_attempt = self._low + (self._high - self._low) * min(1.0, fraction)
        detail = f"{self._label} {self.n}/{self.total}" if self.total else self._label
        if self.desc and self._stage is Stage.EXPORT:
            detail = f"{detail}: {self.desc.lower()}"
        self._owner.report(self._stage, percent_of_attempt, detail)

    def __iter__(self) -> Iterator[Any]:
        if self._iterable is None:
            return
        self._report()  # also the cancellation point before the first step
        for item in self._iterable:
            yield item
            self.n += 1
            self._report()
        if self.on_finish is not None:
            self.on_finish()

    def __len__(self) -> int:
        return self.total

    def update(self, n: float = 1) -> None:
        self.n += int(n)
        self._report()

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        """to_glb names each stage before running it: reported half a tick on, so the bar moves
        (and says what runs) when a long stage starts, not only when it ends."""
        self.desc = desc or ""
        if self._stage is Stage.EXPORT and self.total:
            self.n_started = self.n + 0.5
            self._report()

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        """Accepted and ignored, like every other tqdm display call."""

    def refresh(self) -> None:
        """Accepted and ignored."""

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> StepBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def patched_attribute(module: ModuleType | None, name: str, replacement: Any) -> Iterator[bool]:
    """Set module.name to replacement for the block, then restore it. Yields whether it patched.

    A module without that name (an upstream change) is left alone: the job still runs, with coarse
    progress and cancellation only between phases.
    """
    if module is None or not hasattr(module, name):
        if module is not None:
            log.warning(
                "%s has no %r any more; progress falls back to phase boundaries", module.__name__, name
            )
        yield False
        return
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield True
    finally:
        setattr(module, name, original)


class TextureProgress(JobProgress):
    """One texturing job's bar (`Trellis2TexturingPipeline.run`, trellis2_texturing.py:375-408):
    the picture and the mesh prepared (PREPROCESS), the one texture sampler loop ("Sampling texture
    SLat", line 256, through `sampler_tqdm`: TEXTURE), then run()'s decode and bake and our GLB
    write (EXPORT). A retry after an out-of-memory error starts at the point the bar reached."""

    def __init__(self, ctx: JobContext, resolution: int, steps: int, start: float = 0.0) -> None:
        super().__init__(ctx, [SamplingPass("texture", resolution, steps)], start)

    def encoding(self) -> None:
        """run() is about to condition on the picture and encode the mesh's shape (lines 395-400)."""
        self.report(Stage.TEXTURE, PREPROCESS_END, "encoding the mesh's shape")

    def sampling_done(self) -> None:
        """The sampler loop ended: run() decodes the texture voxels and bakes them onto the mesh's
        UVs (lines 406-407: CuMesh's UV unwrap, nvdiffrast, inpainting)."""
        self.report(Stage.EXPORT, SAMPLING_END, "decoding the texture and baking it onto the mesh")
