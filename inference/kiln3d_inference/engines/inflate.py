"""The `inflate` engine: the silhouette relief (engines/relief.py) behind the Engine seam, and the
projection texturing of an uploaded mesh (engines/projection_texturing.py).

CPU only, no weights: each job inflates the picture's silhouette into a closed, textured relief, or
paints the uploaded mesh from the picture, and writes it atomically.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from kiln3d_inference.engines.base import (
    GENERATION_OPTIONS,
    TEXTURE_OPTIONS,
    Engine,
    GenerateResult,
    JobContext,
    Stage,
)
from kiln3d_inference.engines.output import atomic_write_bytes
from kiln3d_inference.engines.projection_texturing import MAX_TEXTURE_SIZE, texture_mesh
from kiln3d_inference.engines.relief import inflate_image, procedural_test_image

if TYPE_CHECKING:
    import trimesh

log = logging.getLogger(__name__)


class InflateEngine(Engine):
    """Inflates each picture on the CPU; progress at the relief's phase boundaries."""

    name = "inflate"
    texturing = (
        "CPU projection of the picture from the view that best matches its silhouette; unseen "
        "surfaces filled from the nearest seen colour (no generative texturing); textures at most "
        "2048 px"
    )
    # The relief is deterministic and has no such settings; texturing uses texture_size alone.
    unused_generation_options = GENERATION_OPTIONS
    unused_texture_options = tuple(name for name in TEXTURE_OPTIONS if name != "texture_size")

    def load(self) -> None:
        """Nothing to load: no weights."""

    def warm_up(self) -> None:
        """One relief of the built-in picture: imports and first allocations out of the first job."""
        inflate_image(procedural_test_image())

    def generate(self, image: Image.Image, output_path: Path, seed: int, ctx: JobContext) -> GenerateResult:
        """The relief of `image` written to output_path (the seed is unused: the result is
        deterministic); a voxel preview of the relief first. Raises InvalidInput, JobCancelled, JobTimeout."""
        started = time.monotonic()
        # The coarse voxels go out before the mesh is built (proto Preview).
        result = inflate_image(image, ctx.progress, on_preview=ctx.preview)
        done = self._written(
            result.glb,
            result.triangles,
            output_path,
            started=started,
            ctx=ctx,
            ignored=self.unused_generation_options,
        )
        log.info("inflate: task %s silhouette from %s", ctx.task_id, result.kind)
        return done

    def texture(
        self, image: Image.Image, mesh: trimesh.Trimesh, output_path: Path, seed: int, ctx: JobContext
    ) -> GenerateResult:
        """`mesh` painted from `image` by projection (projection_texturing.texture_mesh), written to
        output_path: the same triangles at the same positions, UVs and a JPEG base colour of
        ctx.options.texture_size pixels a side (0: 1024; clamped to 256-2048). The seed is unused
        (deterministic), as are pipeline_type, faces and texture_resolution. Raises InvalidInput (no
        object in the picture), JobCancelled, JobTimeout, EngineError (the unwrapping failed)."""
        started = time.monotonic()
        result = texture_mesh(image, mesh, ctx.options.texture_size, ctx.progress, ctx.check)
        # A texture_size over the CPU engine's largest (MAX_TEXTURE_SIZE) is not honoured: said so.
        ignored = tuple(
            name
            for name in TEXTURE_OPTIONS
            if name in self.unused_texture_options
            or (name == "texture_size" and ctx.options.texture_size > MAX_TEXTURE_SIZE)
        )
        done = self._written(
            result.glb, result.triangles, output_path, started=started, ctx=ctx, ignored=ignored
        )
        choice = result.choice
        log.info(
            "inflate: task %s textured %d triangles, view %s (%sIoU %.3f, next %.3f), %.0f%% of texels seen",
            ctx.task_id,
            result.triangles,
            choice.view.name,
            "a flat mesh, seen from its face; " if choice.flat else "",
            choice.iou,
            choice.runner_up,
            100.0 * result.seen_fraction,
        )
        return done

    def _written(
        self,
        glb: bytes,
        triangles: int,
        output_path: Path,
        *,
        started: float,
        ctx: JobContext,
        ignored: tuple[str, ...],
    ) -> GenerateResult:
        """A finished job's GLB written atomically to output_path (unless the job was cancelled or
        ran out of time meanwhile: JobCancelled, JobTimeout), its 100 % reported, and its result;
        `started` is the job's time.monotonic() start."""
        ctx.check()
        atomic_write_bytes(output_path, glb)
        ctx.progress(Stage.EXPORT, 100.0, "done")
        return GenerateResult(
            output_path=output_path,
            triangles=triangles,
            bytes=len(glb),
            seconds=time.monotonic() - started,
            engine=self.name,
            ignored=ignored,
        )
