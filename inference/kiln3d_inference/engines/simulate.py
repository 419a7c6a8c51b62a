"""The `simulate` engine: the silhouette relief (engines/relief.py), delivered over
KILN_SIMULATE_SECONDS through stages shaped like TRELLIS.2's (preprocess, 3 x 12 sampler steps,
export), with optional fault injection so the api's progress, cancel, timeout, OOM and
kill-and-restart paths can be exercised without a GPU. Like TRELLIS.2 it sends a coarse voxel
preview when its structure stage ends and a finer one when its geometry stage ends."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from kiln3d_inference.engines.base import (
    GENERATION_OPTIONS,
    TEXTURE_OPTIONS,
    Engine,
    GenerateResult,
    JobContext,
    OutOfMemory,
    Stage,
)
from kiln3d_inference.engines.output import atomic_write_bytes
from kiln3d_inference.engines.preview import VoxelPreview
from kiln3d_inference.engines.projection_texturing import picture_object
from kiln3d_inference.engines.relief import (
    PREVIEW_RESOLUTION,
    inflate_image,
    procedural_test_image,
)
from kiln3d_inference.mesh_normals import vertex_normals
from kiln3d_inference.settings import SimulateFault
from kiln3d_inference.textured_glb import textured_glb

if TYPE_CHECKING:
    import trimesh

log = logging.getLogger(__name__)

SAMPLER_STEPS = 12
# TRELLIS.2's grids: the sparse structure at 32^3, the 1024 cascade's shape latent at 64^3.
PREVIEW_RESOLUTIONS = (PREVIEW_RESOLUTION, 2 * PREVIEW_RESOLUTION)
# How far a seed turns the relief (degrees about Y, by seed % 7): 0 for the default seed 42, so
# every test that does not ask for a seed sees the model as inflate makes it.
SEED_TURNS_DEGREES = (0.0, 10.0, 20.0, 30.0, -30.0, -20.0, -10.0)
TICK_S = 0.05  # cancellation and deadline are polled at least this often
# (stage, share of the job's time, percent at the end of the stage)
PLAN: tuple[tuple[Stage, float, float], ...] = (
    (Stage.PREPROCESS, 0.05, 5.0),
    (Stage.STRUCTURE, 0.25, 30.0),
    (Stage.GEOMETRY, 0.30, 60.0),
    (Stage.TEXTURE, 0.30, 90.0),
    (Stage.EXPORT, 0.10, 99.0),
)
# A texturing job's stages (Engine.texture): no structure or geometry of its own.
TEXTURE_PLAN: tuple[tuple[Stage, float, float], ...] = (
    (Stage.PREPROCESS, 0.10, 10.0),
    (Stage.TEXTURE, 0.80, 90.0),
    (Stage.EXPORT, 0.10, 99.0),
)
STAGE_LABEL = {
    Stage.PREPROCESS: "preprocessing",
    Stage.STRUCTURE: "sparse structure sampling",
    Stage.GEOMETRY: "geometry sampling",
    Stage.TEXTURE: "texture sampling",
    Stage.EXPORT: "exporting",
}


class SimulatedInternalError(RuntimeError):
    """KILN_SIMULATE_FAULT=internal: an error no engine maps, so the server reports INTERNAL."""


class SimulateEngine(Engine):
    """The relief, delivered over `seconds` in TRELLIS.2-like stages, with an optional fault."""

    name = "simulate"
    texturing = "simulated for tests: the uploaded mesh with one flat colour, the picture's object's mean"
    # The seed turns the relief (as TRELLIS.2's changes its model); texturing honours texture_size.
    unused_generation_options = tuple(name for name in GENERATION_OPTIONS if name != "seed")
    unused_texture_options = tuple(name for name in TEXTURE_OPTIONS if name != "texture_size")

    def __init__(
        self, seconds: float, fault: SimulateFault = SimulateFault.NONE, warm_up_seconds: float = 0.0
    ) -> None:
        self.seconds = seconds
        self.warm_up_seconds = warm_up_seconds
        self.fault = fault
        self._oom_tasks: set[str] = set()
        self._lock = threading.Lock()

    def load(self) -> None:
        """Nothing to load."""

    def warm_up(self) -> None:
        """One relief of a small built-in picture, then KILN_SIMULATE_WARMUP_SECONDS of waiting."""
        # Instant: the real work (inflate) runs once, without the simulated delay or faults.
        inflate_image(procedural_test_image(128))
        time.sleep(self.warm_up_seconds)

    def _wait(self, seconds: float, ctx: JobContext) -> None:
        end = time.monotonic() + seconds
        while True:
            ctx.check()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(TICK_S, left))

    def _hang(self, ctx: JobContext) -> None:
        log.warning("simulate: task %s hangs on purpose (KILN_SIMULATE_FAULT=hang)", ctx.task_id)
        while True:  # ignores ctx on purpose: only killing the process ends it
            time.sleep(1.0)

    def _inject(self, stage: Stage, ctx: JobContext, at: Stage = Stage.GEOMETRY) -> None:
        if stage is not at:
            return
        if self.fault is SimulateFault.OOM:
            raise OutOfMemory("CUDA out of memory (simulated)")
        if self.fault is SimulateFault.OOM_ONCE:
            with self._lock:
                first = ctx.task_id not in self._oom_tasks
                self._oom_tasks.add(ctx.task_id)
            if first:
                raise OutOfMemory("CUDA out of memory (simulated, first attempt only)")
        if self.fault is SimulateFault.INTERNAL:
            raise SimulatedInternalError("simulated internal fault")
        if self.fault is SimulateFault.HANG:
            self._hang(ctx)

    def generate(self, image: Image.Image, output_path: Path, seed: int, ctx: JobContext) -> GenerateResult:
        """One attempt, and like a CUDA engine one more after out-of-memory and a cache clear. The
        seed counts, as it does for TRELLIS.2 (so "New variation" can be tested): the relief is
        turned by SEED_TURNS_DEGREES[seed % 7] about its vertical axis (the default seed, 42: not
        turned)."""
        turn = SEED_TURNS_DEGREES[seed % len(SEED_TURNS_DEGREES)]
        return self._deliver(
            lambda: self._attempt(image, ctx, turn), output_path, ctx, self.unused_generation_options, seed
        )

    def texture(
        self, image: Image.Image, mesh: trimesh.Trimesh, output_path: Path, seed: int, ctx: JobContext
    ) -> GenerateResult:
        """`mesh` as it came (same vertices and triangles) with UVs all at the texture's centre and
        a flat 8x8 PNG of the picture's mean object colour, after KILN_SIMULATE_SECONDS in
        TEXTURE_PLAN's stages; faults and the OOM retry as in generate(). Raises InvalidInput for a
        picture with no object (in the preprocess stage)."""
        return self._deliver(
            lambda: self._attempt_texture(image, mesh, ctx), output_path, ctx, self.unused_texture_options
        )

    def _deliver(
        self,
        attempt: Callable[[], tuple[bytes, int]],
        output_path: Path,
        ctx: JobContext,
        ignored: tuple[str, ...],
        seed: int = 0,
    ) -> GenerateResult:
        started = time.monotonic()
        try:
            glb, triangles = attempt()
        except OutOfMemory as exc:
            log.warning("simulate: task %s: %s; clearing the cache and retrying once", ctx.task_id, exc)
            self.clear_cache()
            # The retry's lower percentages are held at the bar's level by the JobContext.
            ctx.progress(Stage.PREPROCESS, 0.0, "out of memory: cache cleared, retrying")
            try:
                glb, triangles = attempt()
            except OutOfMemory as again:
                raise OutOfMemory(
                    f"{again.message}; the retry after clearing the cache failed too"
                ) from again
        ctx.check()
        atomic_write_bytes(output_path, glb)
        ctx.progress(Stage.EXPORT, 100.0, "done")
        return GenerateResult(
            output_path=output_path,
            triangles=triangles,
            bytes=len(glb),
            seconds=time.monotonic() - started,
            engine=self.name,
            seed=seed,
            # Without such settings (proto Done.ignored).
            ignored=ignored,
        )

    def _attempt_texture(
        self, image: Image.Image, mesh: trimesh.Trimesh, ctx: JobContext
    ) -> tuple[bytes, int]:
        glb = b""
        previous = 0.0
        for stage, share, end_percent in TEXTURE_PLAN:
            label = STAGE_LABEL[stage]
            self._inject(stage, ctx, at=Stage.TEXTURE)
            ctx.progress(stage, previous, label)
            if stage is Stage.PREPROCESS:
                # Bad input fails here, early, like the real engine.
                picture = picture_object(image)
                colour = picture.rgb[picture.mask].mean(axis=0) if picture.mask.any() else np.full(3, 128.0)
                glb = _flat_glb(mesh, tuple(round(float(c)) for c in colour))
            self._wait(self.seconds * share, ctx)
            ctx.progress(stage, end_percent, label)
            previous = end_percent
        return glb, len(mesh.faces)

    def _attempt(self, image: Image.Image, ctx: JobContext, turn_degrees: float) -> tuple[bytes, int]:
        result = None
        previews: list[VoxelPreview] = []
        previous = 0.0
        for stage, share, end_percent in PLAN:
            label = STAGE_LABEL[stage]
            self._inject(stage, ctx)
            stage_seconds = self.seconds * share
            if stage in (Stage.STRUCTURE, Stage.GEOMETRY, Stage.TEXTURE):
                for step in range(1, SAMPLER_STEPS + 1):
                    self._wait(stage_seconds / SAMPLER_STEPS, ctx)
                    percent = previous + (end_percent - previous) * step / SAMPLER_STEPS
                    ctx.progress(stage, percent, f"{label} {step}/{SAMPLER_STEPS}")
                for preview in previews:
                    if preview.stage is stage:
                        ctx.preview(preview)
            else:
                ctx.progress(stage, previous, label)
                if stage is Stage.PREPROCESS:
                    # Bad input fails here, early, like the real engine; cancellation is polled inside.
                    result = inflate_image(
                        image,
                        lambda _stage, _percent, _message: ctx.check(),
                        on_preview=previews.append,
                        preview_resolutions=PREVIEW_RESOLUTIONS,
                        turn_degrees=turn_degrees,
                    )
                self._wait(stage_seconds, ctx)
                ctx.progress(stage, end_percent, label)
            previous = end_percent
        assert result is not None
        return result.glb, result.triangles


def _flat_glb(mesh: trimesh.Trimesh, colour: tuple[int, ...]) -> bytes:
    """`mesh` as a GLB (vertices and triangles as given) with every UV at (0.5, 0.5) of a flat 8x8
    PNG texture of `colour` (RGB 0-255)."""
    positions = np.asarray(mesh.vertices, np.float32)
    triangles = np.asarray(mesh.faces, np.uint32)
    uvs = np.full((positions.shape[0], 2), 0.5, np.float32)
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), colour[:3]).save(picture, format="PNG")
    return textured_glb(
        positions,
        vertex_normals(positions, triangles),
        uvs,
        triangles,
        picture.getvalue(),
        generator="Kiln3D simulate (flat texture)",
    )
