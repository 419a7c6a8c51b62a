"""The `trellis2` engine: microsoft/TRELLIS.2-4B on CUDA behind the Engine seam (load, warm-up, jobs).

Written against upstream microsoft/TRELLIS.2 @ 5565d240c4a494caaf9ece7a554542b76ffa36d3; the
file:line references below are to that commit.

- Loading: `Trellis2ImageTo3DPipeline.from_pretrained(path_or_hub_id, config_file)` reads
  `<path>/pipeline.json` (pipelines/base.py:21-50; trellis2_image_to_3d.py:81-117); which path and
  which config file: weights.py. `low_vram` (default True in pipeline.json) keeps every model on
  the CPU and moves each to the GPU only for its own step (trellis2_image_to_3d.py:119-125,
  210-221): that is what lets a 24 GB card run it.
- Input: `preprocess_image` (trellis2_image_to_3d.py:127-162), given an RGBA or an RGB image as
  inputs.py decides.
- Sampling: `run(image, seed, sparse_structure_sampler_params, shape_slat_sampler_params,
  tex_slat_sampler_params, preprocess_image, pipeline_type, max_num_tokens)` (lines 488-595);
  pipeline types '512', '1024', '1024_cascade' (the default, line 56), '1536_cascade'. Sampler
  params merge over pipeline.json's: `steps`, `guidance_strength`, `guidance_rescale`,
  `guidance_interval`, `rescale_t` (samplers/flow_euler.py:84-208; app.py:375-392). It returns a
  list of `MeshWithVoxel` (vertices, faces, attrs, coords, layout, voxel_size).
- Export: `o_voxel.postprocess.to_glb(...)` (o-voxel/o_voxel/postprocess.py:14-330) returns a
  `trimesh.Trimesh`; `.export(path, file_type='glb', extension_webp=...)` writes it. Arguments as
  upstream's example.py:33-48 (remesh on, band 1, project 0), decimation and texture size ours.
  The face target stays at or above faces.MIN_DECIMATION_TARGET (low targets break the export:
  TRELLIS.2#84, CuMesh#28); the job reports the triangles the written GLB holds, not the target.
  The CUDA cache is emptied between sampling and the export (memory.release_memory), so the
  export's peak starts from what the mesh itself holds.
- Progress: see progress.py (upstream has no callback; its tqdm loops are borrowed).
- Previews: see previews.py (the structure and cascade shape stages' voxels, from the pipeline
  instance's own stage methods, wrapped for the call).
- Out of memory: cleaned up once the exception and its traceback are gone (memory.py). On a 24 GB
  card the peaks are mostly in the export (remesh, dual contouring, texture bake), so an OOM there
  first retries the export alone with lighter settings (KILN_TRELLIS2_EXPORT_RETRY_*), keeping the
  sampled mesh; a second one, or an OOM while sampling, reruns sampling once at
  KILN_TRELLIS2_OOM_RETRY_PIPELINE_TYPE (exported with the lighter settings); then `OutOfMemory`.
- Any other CUDA error (illegal memory access, a CuMesh kernel failing) leaves the CUDA context
  unusable: the job fails INTERNAL ("Internal error: CUDA error ...") and should_recycle() says yes,
  so the sidecar exits (75) and the api starts a fresh one before the next job.
- The cascade types lower their high resolution when the tokens exceed max_num_tokens
  (trellis2_image_to_3d.py:300-311, 1536 down to 1024 in steps of 128); the engine reads the
  resolution used from the mesh's voxel size and reports it.
- Loading never writes under models_dir (weights.py: a derived config and links in KILN_CACHE_DIR);
  environment.py sets HF_HUB_OFFLINE, the FlexGEMM autotune cache path and the CUDA allocator
  options before the imports that read them.

- Texturing an uploaded mesh (proto GenerateRequest.mesh): `texture()` drives TRELLIS.2's own
  `Trellis2TexturingPipeline` (trellis2_texturing.py), loaded on the first texturing job beside the
  generation pipeline with `from_pretrained(path, config_file="texturing_pipeline.json")` and
  `.cuda()` (example_texturing.py:8-9), then `run(mesh, image, seed, tex_slat_sampler_params,
  preprocess_image, resolution, texture_size)` (lines 375-408) as app_texturing.py:66-79 calls it;
  upstream hands back its mesh centred and scaled to just under 1 (preprocess_mesh, lines
  106-120), which texturing.py undoes. `texturing` (Health) says so, or is empty when the
  texturing weights are missing (weights.check_texturing_weights).

torch, trellis2 and o_voxel are imported inside load() only: this module imports on any machine.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PIL import Image

from kiln3d_inference.engines.base import (
    Engine,
    EngineError,
    GenerateResult,
    InvalidInput,
    JobContext,
    OutOfMemory,
    Stage,
    VramUsage,
)
from kiln3d_inference.engines.output import atomic_output
from kiln3d_inference.engines.trellis2.environment import prepare_environment
from kiln3d_inference.engines.trellis2.faces import decimation_target, glb_triangles
from kiln3d_inference.engines.trellis2.inputs import choose_seed, prepare_input, warm_up_image
from kiln3d_inference.engines.trellis2.memory import (
    GIB,
    host_available_bytes,
    host_memory_shortfall,
    is_cuda_error,
    is_out_of_memory,
    offload_models,
    recycle_vram_limit,
    release_memory,
    vram_usage,
)
from kiln3d_inference.engines.trellis2.previews import stage_previews
from kiln3d_inference.engines.trellis2.probe import INSTALL_HINT, missing_modules
from kiln3d_inference.engines.trellis2.progress import (
    PIPELINE_TYPES,
    JobProgress,
    SamplingPass,
    TextureProgress,
    patched_attribute,
    sampling_passes,
)
from kiln3d_inference.engines.trellis2.texturing import MeshPlacement, texture_resolution
from kiln3d_inference.engines.trellis2.weights import (
    TEXTURING_CONFIG,
    UPSTREAM_CONFIG,
    ModelReference,
    check_texturing_weights,
    model_reference,
    texturing_weight_bytes,
)
from kiln3d_inference.settings import NVDIFFRAST_FACE_LIMIT, Settings, same_or

if TYPE_CHECKING:
    import trimesh

log = logging.getLogger(__name__)

SAMPLER_MODULE = "trellis2.pipelines.samplers.flow_euler"
POSTPROCESS_MODULE = "o_voxel.postprocess"
SAMPLER_DEFAULT_STEPS = 50  # FlowEulerSampler.sample's default when pipeline.json names none
AABB = ((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5))  # the pipeline's output volume (trellis2_image_to_3d.py:478)
T = TypeVar("T")


@dataclass(frozen=True)
class ExportOptions:
    """The to_glb settings that set its memory peak (remesh/decimation, texture bake)."""

    decimation_target: int
    texture_size: int

    def __str__(self) -> str:
        return f"{self.decimation_target} faces, {self.texture_size} px texture"


# What load() imports itself: without one of them nothing of TRELLIS.2 is installed here.
CORE_MODULES = ("torch", "trellis2", "o_voxel")


class Trellis2Engine(Engine):
    """TRELLIS.2's image-to-3D pipeline, loaded once; one generation per job, retried after a CUDA
    out-of-memory error (the export alone first, then sampling once); asks for a restart past its
    VRAM threshold or after any other CUDA error."""

    name = "trellis2"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.trellis2
        self._sidecar_settings = settings  # the weights folder lives there
        self._torch: Any = None
        self._pipeline: Any = None
        self._sampler_module: Any = None
        self._postprocess: Any = None
        self._device_index = 0
        self._device_name = ""
        self._vram_after_warm_up: int | None = None
        self._cuda_broken: str | None = None  # the CUDA error that broke the context
        self._reference: ModelReference | None = None
        self._texturing_pipeline: Any = None  # loaded by the first texturing job
        self.texturing = ""  # set by load() when the texturing weights are there

    # -- lifecycle --------------------------------------------------------------------------------

    def load(self) -> None:
        """Check the packages (probe.missing_modules), link the weights into the cache folder, set
        the process environment (environment.py), import torch and TRELLIS.2, build the pipeline,
        move it to CUDA. Raises EngineError saying what is missing."""
        s = self.settings
        # The packages first: on a machine never set up (KILN_ENGINE=trellis2 before the install
        # script) the weights are beside the point, yet they were all it was told about. Only the
        # core decides here; a missing extension is named by its own import below.
        missing = missing_modules()
        if any(name.split(" ")[0] in CORE_MODULES for name in missing):
            raise EngineError(f"TRELLIS.2 is not installed: missing {', '.join(missing)} ({INSTALL_HINT})")
        reference = model_reference(self._sidecar_settings)
        try:
            applied = prepare_environment(self._sidecar_settings, reference.local)
        except OSError as exc:
            raise EngineError(f"cannot prepare the cache folder (KILN_CACHE_DIR): {exc}") from exc
        log.info("environment: %s", ", ".join(f"{k}={v}" for k, v in applied.items()))
        try:
            torch: Any = importlib.import_module("torch")
        except ImportError as exc:
            raise EngineError("PyTorch is not installed (inference/scripts/install_trellis2.sh)") from exc
        if not torch.cuda.is_available():
            raise EngineError("CUDA is not available: the trellis2 engine needs an NVIDIA GPU")
        try:
            pipelines: Any = importlib.import_module("trellis2.pipelines")
            pipeline_class: Any = pipelines.Trellis2ImageTo3DPipeline
            sampler_module = importlib.import_module(SAMPLER_MODULE)
            postprocess = importlib.import_module(POSTPROCESS_MODULE)
        except ImportError as exc:
            raise EngineError(
                f"TRELLIS.2 is not installed ({exc}): inference/scripts/install_trellis2.sh"
            ) from exc
        started = time.monotonic()
        try:
            if reference.config_file == UPSTREAM_CONFIG:
                pipeline = pipeline_class.from_pretrained(reference.path)
            else:
                pipeline = pipeline_class.from_pretrained(reference.path, config_file=reference.config_file)
            pipeline.low_vram = s.low_vram
            pipeline.cuda()
        except Exception as exc:
            raise EngineError(
                f"could not load TRELLIS.2 from {reference.path}: {type(exc).__name__}: {exc}"
            ) from exc
        self._torch = torch
        self._pipeline = pipeline
        self._reference = reference
        self.texturing = self._texturing_state(reference)
        self._sampler_module = sampler_module
        self._postprocess = postprocess
        self._device_index = int(torch.cuda.current_device())
        self._device_name = str(torch.cuda.get_device_name(self._device_index))
        log.info(
            "TRELLIS.2 loaded from %s in %.1f s on %s (low_vram=%s, pipeline %s)",
            reference.path,
            time.monotonic() - started,
            self.device(),
            s.low_vram,
            s.pipeline_type,
        )

    def warm_up(self) -> None:
        """One generation of the built-in picture (compiles the kernels), one background removal,
        then the VRAM level the default recycle threshold is measured from."""
        started = time.monotonic()
        pipeline_type = same_or(self.settings.warm_up_pipeline_type, self.settings.pipeline_type)
        with tempfile.TemporaryDirectory(prefix="kiln3d-warm-up-") as folder:
            ctx = JobContext(task_id="warm-up", on_progress=lambda stage, percent, message: None)
            self._generate(warm_up_image(), Path(folder) / "warm-up.glb", 1, ctx, pipeline_type)
        self._warm_up_background_removal()
        self._vram_after_warm_up = self.vram().used_bytes
        log.info("TRELLIS.2 warm-up (%s) took %.1f s", pipeline_type, time.monotonic() - started)

    def _warm_up_background_removal(self) -> None:
        """The warm-up subject is transparent, so also run the remover once on an opaque copy."""
        opaque = Image.new("RGB", (384, 384), (245, 245, 245))
        opaque.paste(warm_up_image(), mask=warm_up_image())
        try:
            self._pipeline.preprocess_image(opaque)
        except ValueError:
            log.info("background remover warm-up found no subject (harmless)")
        except Exception:
            log.warning("background remover warm-up failed", exc_info=True)
        finally:
            self._release()

    # -- jobs -------------------------------------------------------------------------------------

    def generate(self, image: Image.Image, output_path: Path, seed: int, ctx: JobContext) -> GenerateResult:
        """A GLB of `image` at output_path with KILN_TRELLIS2_PIPELINE_TYPE. Raises InvalidInput,
        JobCancelled, JobTimeout, OutOfMemory (after the retries: the export alone, then sampling at
        KILN_TRELLIS2_OOM_RETRY_PIPELINE_TYPE), EngineError ("Internal error: CUDA error ..." after a
        CUDA error, which also makes should_recycle() True). ctx.options (the request's pipeline
        type, texture size, face target) win over the settings when set."""
        pipeline_type = ctx.options.pipeline_type or self.settings.pipeline_type
        if pipeline_type not in PIPELINE_TYPES:
            raise EngineError(f"unknown pipeline type {pipeline_type!r} (one of {', '.join(PIPELINE_TYPES)})")
        return self._generate(image, output_path, seed, ctx, pipeline_type)

    def _generate(
        self, image: Image.Image, output_path: Path, seed: int, ctx: JobContext, pipeline_type: str
    ) -> GenerateResult:
        if self._pipeline is None:
            raise EngineError("the trellis2 engine is not loaded")
        if self._cuda_broken is not None:
            raise EngineError(f"the CUDA context is broken ({self._cuda_broken}); the sidecar restarts")
        started = time.monotonic()
        if not output_path.parent.is_dir():
            raise EngineError(f"output folder does not exist: {output_path.parent}")
        ctx.check()
        prepared, transparent = prepare_input(image)
        seed = choose_seed(seed)
        log.info(
            "task %s: seed %d, pipeline %s, transparent input %s",
            ctx.task_id,
            seed,
            pipeline_type,
            transparent,
        )
        s = self.settings
        # The request's face target and texture size first (ctx.options), else the settings; face
        # targets kept where upstream's export survives them (faces.py: TRELLIS.2#84, CuMesh#28).
        asked_faces = ctx.options.faces or s.decimation_target
        full = ExportOptions(decimation_target(asked_faces), ctx.options.texture_size or s.texture_size)
        lighter = ExportOptions(
            decimation_target(min(full.decimation_target, s.export_retry_decimation_target)),
            min(full.texture_size, s.export_retry_texture_size),
        )
        if full.decimation_target != asked_faces:
            log.info(
                "task %s: face target %d asked, %d used (the export's limits)",
                ctx.task_id,
                asked_faces,
                full.decimation_target,
            )
        # (pipeline type, export options in order): an export OOM retries the export alone with
        # the lighter options; a second one (or an OOM in sampling) reruns sampling at the retry
        # type, exported with the lighter options at once.
        plan = [
            (pipeline_type, [full, lighter] if lighter != full else [full]),
            (same_or(s.oom_retry_pipeline_type, pipeline_type), [lighter]),
        ]
        processed: Image.Image | None = None
        start_percent = 0.0
        triangles: int | None = None
        for attempt, (attempt_type, exports) in enumerate(plan, start=1):
            progress = JobProgress(ctx, self._passes(attempt_type), start_percent)
            if processed is None:
                processed = self._guarded(
                    partial(self._preprocess, prepared, transparent, progress), ctx, "preprocess"
                )
            else:
                progress.preprocess(1.0, f"retrying at {attempt_type} after running out of GPU memory")
            mesh: list[Any] | None = None
            if processed is not None:
                mesh = self._guarded(
                    partial(self._sample, processed, attempt_type, seed, progress, ctx), ctx, attempt_type
                )
            if mesh is not None:
                # Sampling's leftovers (activations, decoder caches, the simplify's buffers) go
                # back to the driver before the export's own peak (remesh, texture bake).
                self._release()
                for number, options in enumerate(exports, start=1):
                    if number > 1:
                        log.info("task %s: retrying the export alone with %s", ctx.task_id, options)
                        progress.exporting_again(options)
                    triangles = self._guarded(
                        partial(self._export, mesh[0], options, output_path, progress),
                        ctx,
                        f"export {options}",
                    )
                    if triangles is not None:
                        break
                del mesh
            if triangles is not None:
                break
            if attempt == len(plan):
                raise OutOfMemory("GPU out of memory") from None
            start_percent = ctx.last_percent
            log.info("task %s: retrying once at %s", ctx.task_id, plan[attempt][0])
        self._release()
        progress.done()
        assert triangles is not None
        return GenerateResult(
            output_path=output_path,
            triangles=triangles,
            bytes=output_path.stat().st_size,
            seconds=time.monotonic() - started,
            engine=self.name,
            seed=seed,
        )

    def _guarded(self, step: Callable[[], T], ctx: JobContext, what: str) -> T | None:
        """Run one step of a job: its value, or None after a CUDA out-of-memory error (cleaned up).
        Our own errors (cancelled, timed out, bad input) pass through, memory released first; a
        CUDA error marks the context broken (should_recycle() is then True) and fails the job."""
        failure: BaseException | None = None
        out_of_memory = False
        try:
            return step()
        except EngineError as exc:
            # Ours: nothing worth a stack; drop the frames it references so their memory can go.
            failure = exc.with_traceback(None)
        except Exception as exc:
            if is_out_of_memory(self._torch, exc):
                out_of_memory = True
                log.warning("task %s: CUDA out of memory (%s): %s", ctx.task_id, what, exc)
            elif is_cuda_error(self._torch, exc):
                self._cuda_broken = f"{type(exc).__name__}: {exc}"
                log.error(
                    "task %s: CUDA error (%s); the sidecar restarts after this job: %s",
                    ctx.task_id,
                    what,
                    exc,
                    exc_info=True,
                )
                failure = EngineError(f"Internal error: CUDA error during {what}; the sidecar restarts")
            else:
                self._release()
                raise
        # Outside the except clause: the exception and its traceback are gone, so the tensors its
        # frames referenced can really be freed now. A broken context is left alone.
        if self._cuda_broken is None:
            self._release()
        if failure is not None:
            raise failure
        assert out_of_memory
        return None

    def _passes(self, pipeline_type: str) -> list[SamplingPass]:
        return sampling_passes(
            pipeline_type,
            self._steps("sparse_structure_sampler_params", self.settings.structure_steps),
            self._steps("shape_slat_sampler_params", self.settings.shape_steps),
            self._steps("tex_slat_sampler_params", self.settings.texture_steps),
        )

    def _steps(self, pipeline_attribute: str, override: int | None) -> int:
        if override is not None:
            return override
        defaults = getattr(self._pipeline, pipeline_attribute, None) or {}
        return int(defaults.get("steps", SAMPLER_DEFAULT_STEPS))

    @staticmethod
    def _sampler_params(steps: int | None, guidance: float | None) -> dict[str, Any]:
        """Only what is configured: run() merges these over pipeline.json's values."""
        params: dict[str, Any] = {}
        if steps is not None:
            params["steps"] = steps
        if guidance is not None:
            params["guidance_strength"] = guidance
        return params

    def _preprocess(
        self, prepared: Image.Image, transparent: bool, progress: JobProgress, pipeline: Any = None
    ) -> Image.Image:
        """`pipeline.preprocess_image` (the generation pipeline's unless another is given):
        upstream's crop, after its background remover for an RGB picture (inputs.py)."""
        progress.preprocess(0.1, "cropping to the alpha mask" if transparent else "removing the background")
        try:
            processed: Image.Image = (pipeline or self._pipeline).preprocess_image(prepared)
        except ValueError as exc:
            # Upstream takes min/max of an empty mask when it finds no subject.
            raise InvalidInput("no foreground object found in the image") from exc
        progress.preprocess(1.0, "image ready")
        return processed

    def _sample(
        self, image: Image.Image, pipeline_type: str, seed: int, progress: JobProgress, ctx: JobContext
    ) -> list[Any]:
        """run() (sampling and decoding), then the face-count cap. A one-item list holding the mesh,
        so the caller can drop its only reference. The stage methods send their voxels as previews."""
        s = self.settings
        with (
            patched_attribute(self._sampler_module, "tqdm", progress.sampler_tqdm),
            stage_previews(self._pipeline, ctx),
        ):
            meshes = self._pipeline.run(
                image,
                seed=seed,
                pipeline_type=pipeline_type,
                preprocess_image=False,
                sparse_structure_sampler_params=self._sampler_params(s.structure_steps, s.structure_guidance),
                shape_slat_sampler_params=self._sampler_params(s.shape_steps, s.shape_guidance),
                tex_slat_sampler_params=self._sampler_params(s.texture_steps, s.texture_guidance),
                max_num_tokens=s.max_num_tokens,
            )
        mesh = meshes[0]
        del meshes
        progress.decoded(self._resolution_note(pipeline_type, mesh))
        progress.simplifying()
        mesh.simplify(NVDIFFRAST_FACE_LIMIT)
        return [mesh]

    def _resolution_note(self, pipeline_type: str, mesh: Any) -> str:
        """'mesh decoded at N', saying so when the cascade's token limit lowered the resolution
        (upstream steps 1536 down by 128 until the tokens fit max_num_tokens, and only prints it)."""
        resolution = round(1 / float(mesh.voxel_size))
        asked = 1536 if pipeline_type == "1536_cascade" else int(pipeline_type.split("_", maxsplit=1)[0])
        if resolution < asked:
            log.warning(
                "%s ran at %d: the tokens exceeded KILN_TRELLIS2_MAX_NUM_TOKENS=%d",
                pipeline_type,
                resolution,
                self.settings.max_num_tokens,
            )
            return f"mesh decoded at {resolution} (token limit; asked {asked})"
        return f"mesh decoded at {resolution}"

    def _export(self, mesh: Any, options: ExportOptions, output_path: Path, progress: JobProgress) -> int:
        """to_glb with these options, then the GLB written atomically; returns the triangles the
        written file holds (CuMesh's decimation may miss the target: faces.py)."""
        s = self.settings
        with patched_attribute(self._postprocess, "tqdm", progress.export_tqdm):
            glb = self._postprocess.to_glb(
                vertices=mesh.vertices,
                faces=mesh.faces,
                attr_volume=mesh.attrs,
                coords=mesh.coords,
                attr_layout=mesh.layout,
                voxel_size=mesh.voxel_size,
                aabb=[list(corner) for corner in AABB],
                decimation_target=options.decimation_target,
                texture_size=options.texture_size,
                remesh=s.remesh,
                remesh_band=s.remesh_band,
                remesh_project=s.remesh_project,
                verbose=s.verbose,
                use_tqdm=True,
            )
        progress.writing()
        with atomic_output(output_path) as temporary:
            # The temporary name ends in .tmp, so the format is named, not inferred.
            glb.export(str(temporary), file_type="glb", extension_webp=s.webp_textures)
            triangles = glb_triangles(temporary)
            progress.check()  # a cancel now still leaves no file under the final name
        log.info("GLB written: %d triangles (asked: %s)", triangles, options)
        return triangles

    # -- texturing --------------------------------------------------------------------------------

    def _texturing_state(self, reference: ModelReference) -> str:
        """The sentence for Health (proto HealthResponse.texturing): what texture() runs, or "" when
        the texturing weights are not all there (texture() then refuses; the log says why)."""
        why: str | None
        if reference.texturing_config is None:
            why = f"no {TEXTURING_CONFIG} in the model folder"
        else:
            try:
                why = check_texturing_weights(self._sidecar_settings)
            except Exception as exc:
                why = f"cannot read {TEXTURING_CONFIG}: {type(exc).__name__}: {exc}"
        if why is not None:
            log.warning("texturing an uploaded mesh is off: %s (see models/README.md)", why)
            return ""
        return (
            "TRELLIS.2's own texturing pipeline (Trellis2TexturingPipeline, texturing_pipeline.json): "
            "the mesh's shape is encoded, a texture latent is sampled from the picture at 512 or 1024 "
            "and baked onto UVs it unwraps; the triangles stay, in the mesh's own units and place"
        )

    def texture(
        self, image: Image.Image, mesh: trimesh.Trimesh, output_path: Path, seed: int, ctx: JobContext
    ) -> GenerateResult:
        """Paint `mesh` from `image` with TRELLIS.2's texturing pipeline; a GLB at output_path.

        `mesh`: one triangle mesh (V, 3) / (F, 3), finite (the api's intake), in its own units.
        The result holds its F triangles at the same positions (within float32 rounding), with
        UVs (the vertex count grows where CuMesh's unwrap splits seams), vertex normals, a
        base-colour and a metallic-roughness texture. ctx.options: texture_resolution (512 or
        1024; 0: 1024, upstream's default; others InvalidInput), texture_size (0: the setting);
        faces and pipeline_type do not apply (Done.ignored). The pipeline is loaded on the first
        texturing job (`_load_texturing`). An out-of-memory error is cleaned up and the job
        retried once at 512 with the export-retry texture size (KILN_TRELLIS2_EXPORT_RETRY_
        TEXTURE_SIZE), then OutOfMemory; a CUDA error fails it INTERNAL and should_recycle() says
        yes. Raises InvalidInput (the option, the picture, a mesh with no extent), JobCancelled,
        JobTimeout, OutOfMemory, EngineError (not loaded, no texturing weights, CUDA error).
        """
        if self._pipeline is None:
            raise EngineError("the trellis2 engine is not loaded")
        if not self.texturing:
            raise EngineError(
                "internal error: the trellis2 engine cannot texture a mesh here: TRELLIS.2's "
                "texturing weights are missing (see models/README.md)"
            )
        if self._cuda_broken is not None:
            raise EngineError(f"the CUDA context is broken ({self._cuda_broken}); the sidecar restarts")
        started = time.monotonic()
        resolution = texture_resolution(ctx.options.texture_resolution)
        if not output_path.parent.is_dir():
            raise EngineError(f"output folder does not exist: {output_path.parent}")
        ctx.check()
        placement = MeshPlacement.of(mesh)
        prepared, transparent = prepare_input(image)
        seed = choose_seed(seed)
        s = self.settings
        texture_size = ctx.options.texture_size or s.texture_size
        plan = [(resolution, texture_size)]
        lighter = (min(resolution, 512), min(texture_size, s.export_retry_texture_size))
        if lighter != plan[0]:
            plan.append(lighter)
        log.info(
            "task %s: texturing %d triangles, seed %d, resolution %d, %d px texture, transparent input %s",
            ctx.task_id,
            len(mesh.faces),
            seed,
            resolution,
            texture_size,
            transparent,
        )
        pipeline = self._guarded(partial(self._load_texturing, ctx), ctx, "loading the texturing pipeline")
        if pipeline is None:
            raise OutOfMemory("GPU out of memory while loading TRELLIS.2's texturing pipeline") from None
        steps = int(
            (getattr(pipeline, "tex_slat_sampler_params", None) or {}).get("steps", SAMPLER_DEFAULT_STEPS)
        )
        processed: Image.Image | None = None
        start_percent = 0.0
        triangles: int | None = None
        for attempt, (attempt_resolution, attempt_size) in enumerate(plan, start=1):
            progress = TextureProgress(ctx, attempt_resolution, steps, start_percent)
            if processed is None:
                processed = self._guarded(
                    partial(self._preprocess, prepared, transparent, progress, pipeline), ctx, "preprocess"
                )
            else:
                progress.preprocess(
                    1.0,
                    f"retrying at {attempt_resolution}, {attempt_size} px, after running out of GPU memory",
                )
            painted: list[Any] | None = None
            if processed is not None:
                painted = self._guarded(
                    partial(
                        self._paint,
                        pipeline,
                        mesh,
                        processed,
                        seed,
                        attempt_resolution,
                        attempt_size,
                        progress,
                    ),
                    ctx,
                    f"texturing at {attempt_resolution}",
                )
            if painted is not None:
                triangles = self._write_textured(painted.pop(), placement, output_path, progress)
                break
            if attempt == len(plan):
                raise OutOfMemory("GPU out of memory") from None
            start_percent = ctx.last_percent
            log.info("task %s: retrying the texturing once at %s", ctx.task_id, plan[attempt])
        self._release()
        progress.done()
        assert triangles is not None
        if triangles != len(mesh.faces):
            log.warning("task %s: %d triangles in, %d written", ctx.task_id, len(mesh.faces), triangles)
        return GenerateResult(
            output_path=output_path,
            triangles=triangles,
            bytes=output_path.stat().st_size,
            seconds=time.monotonic() - started,
            engine=self.name,
            seed=seed,
            # Every texturing option (seed, texture_size, texture_resolution) is the pipeline's own.
            ignored=(),
        )

    def _load_texturing(self, ctx: JobContext) -> Any:
        """The texturing pipeline, built on the first call:
        `Trellis2TexturingPipeline.from_pretrained(path, config_file="texturing_pipeline.json")`
        (trellis2_texturing.py:69-96, as example_texturing.py:8 calls it) from the same derived
        folder as the generation pipeline (weights.py), then `.cuda()` (example_texturing.py:9).

        Memory: it is loaded BESIDE the generation pipeline, never in its place, with the same
        KILN_TRELLIS2_LOW_VRAM: in low_vram mode (the default) `to()` only records the device
        (trellis2_texturing.py:98-104) and every model waits on the CPU between its steps, so it
        holds no VRAM at rest and costs host RAM only (its own copies of the texture flow models,
        the texture decoder, the shape encoder, the encoder and the remover). With low_vram off its
        models join the generation's on the GPU: the VRAM the load added (memory.vram_usage before
        and after) is added to the warm-up level the recycle threshold is measured from, so the
        pipeline's own weights are not taken for upstream's growth and do not recycle the sidecar
        after every texturing job. Host RAM is checked first (memory.host_memory_shortfall: the
        weights' size on disk, weights.texturing_weight_bytes, against MemAvailable): short of
        it, the job fails OutOfMemory without loading, and the generation pipeline is untouched.
        An OOM while loading leaves it unloaded (the next job tries again). Other failures are
        EngineError naming the folder."""
        if self._texturing_pipeline is not None:
            return self._texturing_pipeline
        reference = self._reference
        assert reference is not None
        assert reference.texturing_config is not None
        shortfall = host_memory_shortfall(
            texturing_weight_bytes(self._sidecar_settings), host_available_bytes()
        )
        if shortfall is not None:
            log.warning("task %s: not loading the texturing pipeline: %s", ctx.task_id, shortfall)
            raise OutOfMemory(f"not enough host memory to load TRELLIS.2's texturing pipeline: {shortfall}")
        ctx.progress(Stage.PREPROCESS, 0.0, "loading TRELLIS.2's texturing pipeline (first texturing job)")
        before = self.vram().used_bytes
        started = time.monotonic()
        try:
            pipelines: Any = importlib.import_module("trellis2.pipelines")
            pipeline = pipelines.Trellis2TexturingPipeline.from_pretrained(
                reference.path, config_file=reference.texturing_config
            )
            pipeline.low_vram = self.settings.low_vram
            pipeline.cuda()
        except Exception as exc:
            if is_out_of_memory(self._torch, exc) or is_cuda_error(self._torch, exc):
                raise
            why = f"{type(exc).__name__}: {exc}"
            raise EngineError(
                f"could not load TRELLIS.2's texturing pipeline from {reference.path}: {why}"
            ) from exc
        self._texturing_pipeline = pipeline
        added = max(0, self.vram().used_bytes - before)
        if self._vram_after_warm_up is not None:
            self._vram_after_warm_up += added
        log.info(
            "TRELLIS.2 texturing pipeline loaded in %.1f s (low_vram=%s, %.2f GiB of VRAM added)",
            time.monotonic() - started,
            self.settings.low_vram,
            added / GIB,
        )
        ctx.check()
        return pipeline

    def _paint(  # noqa: PLR0917 (one job's values)
        self,
        pipeline: Any,
        mesh: trimesh.Trimesh,
        image: Image.Image,
        seed: int,
        resolution: int,
        texture_size: int,
        progress: TextureProgress,
    ) -> list[Any]:
        """`run(mesh, image, seed, tex_slat_sampler_params, preprocess_image, resolution,
        texture_size)` (trellis2_texturing.py:375-408) as app_texturing.py:66-79 calls it: the
        picture already preprocessed, sampler params {} (texturing_pipeline.json's own; the
        KILN_TRELLIS2_TEXTURE_* settings are the generation's). The sampler's tqdm is borrowed for
        the bar (progress.py). A one-item list holding the normalised textured trimesh.Trimesh, so
        the caller can drop its only reference."""
        progress.encoding()
        with patched_attribute(self._sampler_module, "tqdm", progress.sampler_tqdm):
            textured = pipeline.run(
                mesh,
                image,
                seed=seed,
                tex_slat_sampler_params={},
                preprocess_image=False,
                resolution=resolution,
                texture_size=texture_size,
            )
        return [textured]

    def _write_textured(
        self, textured: Any, placement: MeshPlacement, output_path: Path, progress: JobProgress
    ) -> int:
        """The textured mesh put back at the mesh's own scale and position (texturing.py), written
        as GLB atomically (upstream's example writes `.export(path, extension_webp=True)`,
        example_texturing.py:17; here PNG unless KILN_TRELLIS2_WEBP_TEXTURES, as for generation).
        Returns the triangles the written file holds."""
        restored = placement.restore(textured)
        progress.writing()
        with atomic_output(output_path) as temporary:
            # The temporary name ends in .tmp, so the format is named, not inferred.
            restored.export(str(temporary), file_type="glb", extension_webp=self.settings.webp_textures)
            triangles = glb_triangles(temporary)
            progress.check()  # a cancel now still leaves no file under the final name
        log.info("textured GLB written: %d triangles", triangles)
        return triangles

    # -- memory -----------------------------------------------------------------------------------

    def _release(self) -> None:
        """memory.release_memory for the generation pipeline, the texturing pipeline's models
        first put back on the CPU too (low_vram) when it is loaded."""
        texturing = self._texturing_pipeline
        if texturing is not None and getattr(texturing, "low_vram", False):
            offload_models(texturing)
        release_memory(self._torch, self._pipeline)

    def clear_cache(self) -> None:
        """Models of both pipelines back to the CPU (low_vram), garbage collected, CUDA cache
        emptied (not after a CUDA error: the context is broken and the sidecar restarts)."""
        if self._cuda_broken is not None:
            return
        self._release()

    # -- health -----------------------------------------------------------------------------------

    def device(self) -> str:
        if not self._device_name:
            return "cuda (not loaded)"
        return f"cuda:{self._device_index} ({self._device_name})"

    def vram(self) -> VramUsage:
        torch = self._torch
        if torch is None:
            return VramUsage()
        return vram_usage(torch, self._device_index)

    def recycle_vram_limit(self) -> int | None:
        """Bytes of used VRAM past which the sidecar restarts; None = no limit (yet)."""
        return recycle_vram_limit(self.settings.recycle_vram_gb, self._vram_after_warm_up)

    def should_recycle(self) -> bool:
        """True after a CUDA error (the context is unusable), or once the device's used VRAM,
        measured after a job, reaches recycle_vram_limit() (upstream's memory grows over repeated
        runs). The job-count limit is the sidecar's (Settings.recycle_after_jobs)."""
        if self._cuda_broken is not None:
            log.info("recycling: the CUDA context is broken (%s)", self._cuda_broken)
            return True
        limit = self.recycle_vram_limit()
        if limit is None or self._torch is None:
            return False
        used = self.vram().used_bytes
        if used < limit:
            return False
        log.info("recycling: %.2f GiB of VRAM in use (limit %.2f GiB)", used / GIB, limit / GIB)
        return True
