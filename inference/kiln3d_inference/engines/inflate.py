"""The `inflate` engine: the silhouette relief (engines/relief.py) behind the Engine seam.

CPU only, no weights: each job inflates the picture's silhouette into a closed, textured relief and
writes it atomically.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PIL import Image

from kiln3d_inference.engines.base import OPTION_NAMES, Engine, GenerateResult, JobContext, Stage
from kiln3d_inference.engines.output import atomic_write_bytes
from kiln3d_inference.engines.relief import inflate_image, procedural_test_image

log = logging.getLogger(__name__)


class InflateEngine(Engine):
    """Inflates each picture on the CPU; progress at the relief's phase boundaries."""

    name = "inflate"

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
        ctx.check()
        atomic_write_bytes(output_path, result.glb)
        ctx.progress(Stage.EXPORT, 100.0, "done")
        log.info("inflate: task %s silhouette from %s", ctx.task_id, result.kind)
        return GenerateResult(
            output_path=output_path,
            triangles=result.triangles,
            bytes=len(result.glb),
            seconds=time.monotonic() - started,
            engine=self.name,
            # The relief is deterministic and has no such settings (proto Done.ignored).
            ignored=OPTION_NAMES,
        )
