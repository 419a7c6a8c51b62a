"""Voxel previews from TRELLIS.2's own stage outputs, for the length of one `run()` call.

Upstream (microsoft/TRELLIS.2 @ 5565d240c4a494caaf9ece7a554542b76ffa36d3) has no stage callback,
but `Trellis2ImageTo3DPipeline.run` (trellis2_image_to_3d.py:489-595) calls its stage methods
through `self`:

- `sample_sparse_structure(cond, resolution, num_samples, sampler_params)` returns the occupied
  voxels as an int tensor (N, 4) of [batch, x, y, z] on a `resolution`^3 grid (32, or 64 for the
  '1024' type): the object's rough shape, seconds into the job. Sent as the STRUCTURE preview.
- `sample_shape_slat_cascade(lr_cond, cond, flow_model_lr, flow_model, lr_resolution, resolution,
  coords, sampler_params, max_num_tokens)` returns (latent, resolution used): the latent's `.coords`
  (N, 4) lie on a (resolution // 16)^3 grid (64 for 1024, 96 for 1536). Sent as the GEOMETRY
  preview. (`sample_shape_slat`, the non-cascade types, keeps the structure's coords: nothing finer.)

So `stage_previews` sets wrappers with upstream's parameters on the pipeline *instance* for the
block, and removes them after, which makes the class's methods visible again. The pipeline's
frame is Z-up (its mesh lies in [-0.5, 0.5]^3 at origin -0.5, trellis2_image_to_3d.py:470-480);
`o_voxel.postprocess.to_glb` turns it Y-up as (x, z, -y) (o-voxel/o_voxel/postprocess.py:312-318),
and the preview uses the GLB's axes, so voxel (x, y, z) becomes (x, z, n - 1 - y).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from kiln3d_inference.engines.base import JobContext, Stage
from kiln3d_inference.engines.preview import pack

log = logging.getLogger(__name__)

WRAPPED = ("sample_sparse_structure", "sample_shape_slat_cascade")


def glb_axes(coords: Any, resolution: int) -> npt.NDArray[np.int64]:
    """Batch 0 of an upstream coords tensor (N, 4) [batch, x, y, z], Z-up, as (M, 3) voxel
    coordinates in the GLB's axes (x, z, n - 1 - y)."""
    array = np.asarray(coords.detach().cpu().numpy(), dtype=np.int64)
    mine = array[array[:, 0] == 0]
    return np.stack([mine[:, 1], mine[:, 3], resolution - 1 - mine[:, 2]], axis=1)


def _send(ctx: JobContext, stage: Stage, coords: Any, resolution: int) -> None:
    try:
        preview = pack(stage, glb_axes(coords, resolution), resolution)
    except Exception:
        # A preview is a courtesy: an upstream change in its shape must never fail the job.
        log.warning(
            "task %s: no %s preview (unexpected stage output)", ctx.task_id, stage.name, exc_info=True
        )
        return
    ctx.preview(preview)  # also raises if the job was cancelled: the next stage never starts


@contextlib.contextmanager
def stage_previews(pipeline: Any, ctx: JobContext) -> Iterator[None]:
    """For the block, the pipeline's structure and cascade shape stages send their voxels to
    ctx.preview (then check cancellation); afterwards the instance is as it was. A pipeline
    lacking one of the methods (an upstream change) runs without that preview."""
    present = [name for name in WRAPPED if callable(getattr(pipeline, name, None))]
    for name in WRAPPED:
        if name not in present:
            log.warning("TRELLIS.2 pipeline has no %s any more: no preview from that stage", name)
    shadowed = {name: vars(pipeline)[name] for name in present if name in vars(pipeline)}
    structure = getattr(pipeline, "sample_sparse_structure", None)
    cascade = getattr(pipeline, "sample_shape_slat_cascade", None)

    def sample_sparse_structure(
        cond: dict[str, Any],
        resolution: int,
        num_samples: int = 1,
        sampler_params: dict[str, Any] | None = None,
    ) -> Any:
        assert structure is not None
        coords = structure(cond, resolution, num_samples, {} if sampler_params is None else sampler_params)
        _send(ctx, Stage.STRUCTURE, coords, resolution)
        return coords

    def sample_shape_slat_cascade(  # noqa: PLR0917 (upstream's signature)
        lr_cond: dict[str, Any],
        cond: dict[str, Any],
        flow_model_lr: Any,
        flow_model: Any,
        lr_resolution: int,
        resolution: int,
        coords: Any,
        sampler_params: dict[str, Any] | None = None,
        max_num_tokens: int = 49152,
    ) -> Any:
        assert cascade is not None
        result = cascade(
            lr_cond,
            cond,
            flow_model_lr,
            flow_model,
            lr_resolution,
            resolution,
            coords,
            {} if sampler_params is None else sampler_params,
            max_num_tokens,
        )
        try:
            slat, used_resolution = result
            grid, latent_coords = int(used_resolution) // 16, slat.coords
        except (TypeError, ValueError, AttributeError):
            log.warning("task %s: no GEOMETRY preview (unexpected cascade output)", ctx.task_id)
            return result
        _send(ctx, Stage.GEOMETRY, latent_coords, grid)
        return result

    wrappers = {
        "sample_sparse_structure": sample_sparse_structure,
        "sample_shape_slat_cascade": sample_shape_slat_cascade,
    }
    for name in present:
        setattr(pipeline, name, wrappers[name])
    try:
        yield
    finally:
        for name in present:
            if name in shadowed:
                setattr(pipeline, name, shadowed[name])
            else:
                with contextlib.suppress(AttributeError):
                    delattr(pipeline, name)
