#!/usr/bin/env python3
"""Device check of the trellis2 engine's CUDA side, for a GPU machine with or without TRELLIS.2.

    python3 inference/scripts/device_check_trellis2.py            (from the repository root)
    python3 inference/scripts/device_check_trellis2.py --upstream (a machine with TRELLIS.2 installed:
                                                                   compare its signatures only)

Needs torch (CUDA), numpy, pillow, pydantic-settings and trimesh; TRELLIS.2 itself is replaced by the fake
in inference/tests/fake_trellis2, steered to hold REAL CUDA memory: each model's weights are real
tensors that low_vram mode moves to the GPU for its step and back, every sampler step allocates a
real activation tensor held until its pass ends, and what run() returns is real CUDA tensors.
Then it checks, on the real card:

  probe       trellis2_available() (run with this machine's own settings, KILN_MODELS_DIR or
              models/) agrees with the machine, without raising: TRELLIS.2 installed with its weights:
              True on the card; installed without them: the weights named; no TRELLIS.2 at all (a bare
              GPU machine): every missing module named. A partial install (some modules missing)
              fails, as does any answer that disagrees with what find_spec and the weights say
  load        device() names the real card; vram() matches torch.cuda.mem_get_info; models/ is
              left untouched (a read-only mount), the cache folder holds the derived config
  job         a generation runs; progress is monotonic 0-100; memory returns to the baseline
  oom-retry   a REAL torch.cuda.OutOfMemoryError mid-sampling; the clean-up brings allocated and
              reserved memory back to the baseline before the retry; the retry (512) succeeds
  oom-twice   a second real OOM ends as OutOfMemory, memory back at the baseline, models on the CPU
  export-oom  a REAL OOM inside to_glb: the export alone is retried with the lighter settings, the
              sampled mesh kept (one run), memory back at the baseline
  cascade     1536_cascade with more tokens than max_num_tokens: falls back by 128 to the size that
              fits, the shape decoder's low_vram flag set around upsample and decode, real memory
  texture     a texturing job (TRELLIS.2's texturing pipeline, the fake's, real CUDA memory): loaded
              on the first texturing job only, once, beside the generation pipeline (low_vram: its
              models on the CPU at rest); the mesh comes back at its own scale and place (bounding
              box within 0.5 %) with its triangles; progress monotonic to 100; memory at the baseline
  texture-oom a REAL OOM in the texture sampler: cleaned up, retried once at 512 with a 1024 px
              texture, memory back at the baseline, every model of both pipelines on the CPU
  cancel      a cancel between steps stops the job and frees its memory
  recycle     should_recycle() follows a VRAM threshold around the real usage (+2 GiB held)
  cuda-error  LAST (it breaks the CUDA context for good): a REAL device-side assert inside a job
              fails it INTERNAL and should_recycle() asks for the restart; prints what a CUDA call
              does afterwards

Prints PASS/FAIL per check with figures and exits 0 only if all pass; about 20-40 s on an H100.
Importing this file runs nothing (the tests import it and run --help).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

STARTED = time.monotonic()
REPO = Path(__file__).resolve().parents[2]
INFERENCE = REPO / "inference"
FAKE = INFERENCE / "tests" / "fake_trellis2"
MIB = 1024**2
GIB = 1024**3
WEIGHT_BYTES = 256 * MIB  # each fake model's weights
ACTIVATION_BYTES = 128 * MIB  # held per sampler step until the pass ends
STEPS = 6
# Room for allocator rounding; any leak here would be a whole activation or model (>= 128 MiB).
TOLERANCE = 32 * MIB


def run_checks() -> int:
    """Every check in order; 0 when all pass."""
    # The engine sets this before CUDA starts, as the sidecar does; set here too so both agree.
    os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")
    sys.path.insert(0, str(INFERENCE))
    try:
        import numpy  # noqa: F401
        import PIL  # noqa: F401
        import pydantic_settings  # noqa: F401
        import torch
        import trimesh
    except ImportError as missing:
        print(
            f"DEVICE CHECK: cannot start: {missing} (needs torch, numpy, pillow, pydantic-settings, trimesh)"
        )
        return 2

    from PIL import Image

    from kiln3d_inference.engines.base import (
        EngineError,
        JobCancelled,
        JobContext,
        JobOptions,
        OutOfMemory,
        Stage,
    )
    from kiln3d_inference.engines.trellis2 import Trellis2Engine, trellis2_available
    from kiln3d_inference.settings import Settings, Trellis2Settings

    results: list[tuple[str, bool, str]] = []

    def check(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
        """Run the check now; it returns its figures or raises AssertionError with them."""

        def run(body: Callable[[], str]) -> Callable[[], str]:
            started = time.monotonic()
            try:
                detail = body()
                ok = True
            except Exception as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
            detail = f"{detail} [{time.monotonic() - started:.2f} s]"
            results.append((name, ok, detail))
            print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)
            return body

        return run

    def require(condition: bool, detail: object) -> None:
        """Like assert, but kept under python -O."""
        if not condition:
            raise AssertionError(str(detail))

    def mib(n: float) -> str:
        return f"{n / MIB:.0f} MiB"

    def allocated() -> int:
        torch.cuda.synchronize()
        return int(torch.cuda.memory_allocated())

    def reserved() -> int:
        torch.cuda.synchronize()
        return int(torch.cuda.memory_reserved())

    def subject() -> Image.Image:
        image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
        image.paste((40, 120, 200, 255), (64, 48, 192, 208))
        return image

    class Recorder(JobContext):
        def __init__(self) -> None:
            super().__init__(task_id="device-check", on_progress=lambda stage, percent, message: None)
            self.raw: list[float] = []

        def progress(self, stage: Stage, percent: float, message: str = "") -> None:
            self.raw.append(percent)
            super().progress(stage, percent, message)

    print(
        f"torch {torch.__version__}, CUDA {torch.version.cuda}, python {sys.version.split()[0]}", flush=True
    )
    if not torch.cuda.is_available():
        print("DEVICE CHECK: FAIL: torch.cuda.is_available() is False")
        return 1

    @check("probe")
    def probe_here() -> str:
        from kiln3d_inference.engines.trellis2.probe import required_modules
        from kiln3d_inference.engines.trellis2.weights import check_weights

        settings_here = Settings()  # what the sidecar would read here: KILN_MODELS_DIR or models/
        available, reason = trellis2_available(settings_here)
        missing = [m.name for m in required_modules() if not module_found(m.name)]
        weights_problem = check_weights(settings_here) if not missing else None
        passed, detail = probe_verdict(available, reason, missing, weights_problem)
        require(passed, detail)
        return detail

    # From here on the fake TRELLIS.2 stands in for the real one.
    sys.path.insert(0, str(FAKE))
    from trellis2.fake_control import CONTROL

    CONTROL.make_weight = lambda name: torch.empty(WEIGHT_BYTES, dtype=torch.uint8)
    plan: dict[str, Any] = {"oom_runs": set(), "cancel": None, "seen": {}, "texture_oom": False}

    def step_hook(tqdm_desc: str, index: int, steps: int) -> object:
        run = len(CONTROL.calls_named("run"))
        seen = plan["seen"]
        if run not in seen:  # the first step of each run: what the clean-up left behind
            seen[run] = (allocated(), reserved())
        if run in plan["oom_runs"] and tqdm_desc == "Sampling shape SLat" and index == 3:
            seen[f"before-oom-{run}"] = (allocated(), reserved())
            try:
                torch.empty(2 * torch.cuda.mem_get_info()[1], dtype=torch.uint8, device="cuda")
            except torch.cuda.OutOfMemoryError:
                seen[f"oom-{run}"] = True
                raise
        texturing_runs = len(CONTROL.calls_named("texturing_run"))
        if (
            plan["texture_oom"]
            and tqdm_desc == "Sampling texture SLat"
            and index == 3
            and texturing_runs == 1
        ):
            seen["before-texture-oom"] = (allocated(), reserved())
            try:
                torch.empty(2 * torch.cuda.mem_get_info()[1], dtype=torch.uint8, device="cuda")
            except torch.cuda.OutOfMemoryError:
                seen["texture-oom"] = True
                raise
        if plan["cancel"] is not None and tqdm_desc == "Sampling shape SLat" and index == 2:
            plan["cancel"].cancelled.set()
        return torch.empty(ACTIVATION_BYTES, dtype=torch.uint8, device="cuda")

    CONTROL.step_hook = step_hook
    models_dir = Path(tempfile.mkdtemp(prefix="kiln3d-device-check-"))
    CONTROL.write_model_folder(models_dir / "TRELLIS.2-4B")
    CONTROL.write_aux_folder(models_dir / "dinov3-vitl16-pretrain-lvd1689m")
    CONTROL.write_aux_folder(models_dir / "RMBG_2_0")
    models_before = sorted((str(p), p.lstat().st_mtime) for p in models_dir.rglob("*"))
    cache_dir = Path(tempfile.mkdtemp(prefix="kiln3d-device-check-cache-"))
    output_dir = Path(tempfile.mkdtemp(prefix="kiln3d-device-check-out-"))
    settings = Trellis2Settings(
        pipeline_type="1024_cascade",
        oom_retry_pipeline_type="512",
        warm_up_pipeline_type="512",
        structure_steps=STEPS,
        shape_steps=STEPS,
        texture_steps=STEPS,
        recycle_vram_gb=0,
    )
    engine = Trellis2Engine(Settings(models_dir=models_dir, cache_dir=cache_dir, trellis2=settings))
    baseline: dict[str, int] = {}

    @check("load")
    def load() -> str:
        engine.load()
        engine.warm_up()
        name = torch.cuda.get_device_name(0)
        require(engine.device() == f"cuda:0 ({name})", engine.device())
        free, total = torch.cuda.mem_get_info()
        usage = engine.vram()
        require(usage.total_bytes == total, (usage, total))
        require(abs(usage.used_bytes - (total - free)) < 64 * MIB, (usage, total - free))
        engine.clear_cache()
        baseline["allocated"], baseline["reserved"] = allocated(), reserved()
        require(
            baseline["allocated"] <= TOLERANCE,
            f"low_vram mode keeps models on the CPU: {mib(baseline['allocated'])}",
        )
        models_after = sorted((str(p), p.lstat().st_mtime) for p in models_dir.rglob("*"))
        require(models_after == models_before, "the models folder changed")
        require((cache_dir / "trellis2" / "pipeline.json").is_file(), "no derived config in the cache")
        require(os.environ.get("HF_HUB_OFFLINE") == "1", "HF_HUB_OFFLINE not set with every part local")
        return (
            f"device {engine.device()!r}; "
            f"vram used {usage.used_bytes / GIB:.2f} of {usage.total_bytes / GIB:.1f} GiB; "
            f"baseline allocated {mib(baseline['allocated'])}, reserved {mib(baseline['reserved'])}"
        )

    def assert_back_to_baseline(what: str) -> str:
        now_allocated, now_reserved = allocated(), reserved()
        require(now_allocated <= baseline["allocated"] + TOLERANCE, f"{what}: allocated {mib(now_allocated)}")
        require(now_reserved <= baseline["reserved"] + TOLERANCE, f"{what}: reserved {mib(now_reserved)}")
        on_gpu = [name for name, model in CONTROL.models.items() if model.device != "cpu"]
        require(not on_gpu, f"{what}: still on the GPU: {on_gpu}")
        return f"after: allocated {mib(now_allocated)}, reserved {mib(now_reserved)}"

    @check("job")
    def job() -> str:
        plan["seen"].clear()
        CONTROL.calls.clear()
        torch.cuda.reset_peak_memory_stats()
        ctx = Recorder()
        result = engine.generate(subject(), output_dir / "job.glb", 7, ctx)
        peak = torch.cuda.max_memory_allocated()
        require(result.output_path.is_file(), result)
        require(result.bytes > 0, result)
        require(ctx.raw == sorted(ctx.raw), ctx.raw)
        require(ctx.raw[-1] == 100, ctx.raw)
        require(peak >= WEIGHT_BYTES + STEPS * ACTIVATION_BYTES, f"peak {mib(peak)}: the GPU was not used")
        return f"{result.seconds:.2f} s, peak allocated {mib(peak)}; " + assert_back_to_baseline("job")

    @check("oom-retry")
    def oom_retry() -> str:
        plan["seen"].clear()
        plan["oom_runs"] = {1}
        CONTROL.calls.clear()
        ctx = Recorder()
        started = time.monotonic()
        result = engine.generate(subject(), output_dir / "retry.glb", 7, ctx)
        seen = plan["seen"]
        require(seen.get("oom-1") is True, "no real torch.cuda.OutOfMemoryError was raised")
        runs = [r["pipeline_type"] for r in CONTROL.calls_named("run")]
        require(runs == ["1024_cascade", "512"], runs)
        before_allocated, before_reserved = seen["before-oom-1"]
        at_retry_allocated, at_retry_reserved = seen[2]
        # At the retry's first step only the structure model is up (its weights), nothing else.
        require(before_allocated >= WEIGHT_BYTES + 3 * ACTIVATION_BYTES, mib(before_allocated))
        require(
            at_retry_allocated <= baseline["allocated"] + WEIGHT_BYTES + TOLERANCE, mib(at_retry_allocated)
        )
        require(at_retry_reserved <= baseline["reserved"] + WEIGHT_BYTES + TOLERANCE, mib(at_retry_reserved))
        require(ctx.raw == sorted(ctx.raw), ctx.raw)
        require(ctx.raw[-1] == 100, ctx.raw)
        require(result.output_path.is_file(), result)
        return (
            f"before OOM allocated {mib(before_allocated)} / reserved {mib(before_reserved)}; "
            f"at retry start {mib(at_retry_allocated)} / {mib(at_retry_reserved)} "
            f"(one {mib(WEIGHT_BYTES)} model up); job {time.monotonic() - started:.2f} s; "
            + assert_back_to_baseline("oom-retry")
        )

    @check("oom-twice")
    def oom_twice() -> str:
        plan["seen"].clear()
        plan["oom_runs"] = {1, 2}
        CONTROL.calls.clear()
        try:
            engine.generate(subject(), output_dir / "twice.glb", 7, Recorder())
        except OutOfMemory as exc:
            require(str(exc) == "GPU out of memory", exc)
        else:
            raise AssertionError("no OutOfMemory")
        finally:
            plan["oom_runs"] = set()
        require(plan["seen"].get("oom-2") is True, "the retry did not hit the real OOM")
        require(not (output_dir / "twice.glb").exists(), "a GLB was written")
        return "OutOfMemory('GPU out of memory'); " + assert_back_to_baseline("oom-twice")

    @check("cancel")
    def cancel() -> str:
        CONTROL.calls.clear()
        ctx = Recorder()
        plan["cancel"] = ctx
        try:
            engine.generate(subject(), output_dir / "cancel.glb", 7, ctx)
        except JobCancelled:
            pass
        else:
            raise AssertionError("no JobCancelled")
        finally:
            plan["cancel"] = None
        require(CONTROL.steps[-1][:2] == ("Sampling shape SLat", 2), CONTROL.steps[-1])
        require(not (output_dir / "cancel.glb").exists(), "a GLB was written")
        return "stopped after shape step 2; " + assert_back_to_baseline("cancel")

    @check("recycle")
    def recycle() -> str:
        used = engine.vram().used_bytes
        settings.recycle_vram_gb = used / GIB + 1.0
        require(not engine.should_recycle(), "recycled below the threshold")
        held = torch.empty(2 * GIB, dtype=torch.uint8, device="cuda")
        held.fill_(1)
        grown = engine.vram().used_bytes
        require(1.75 * GIB <= grown - used <= 2.5 * GIB, f"vram() grew {mib(grown - used)} for 2 GiB held")
        recycle_over = engine.should_recycle()
        del held
        engine.clear_cache()
        settings.recycle_vram_gb = 0
        require(recycle_over, "did not recycle above the threshold")
        return (
            f"used {used / GIB:.2f} GiB -> {grown / GIB:.2f} GiB with 2 GiB held; "
            f"threshold {used / GIB + 1:.2f} GiB: False then True"
        )

    @check("export-oom")
    def export_oom() -> str:
        CONTROL.calls.clear()
        state: dict[str, Any] = {"calls": 0}

        def export_hook(stage: str) -> None:
            if stage == "Extracting GLB":
                state["calls"] += 1
            if stage == "Sampling attributes" and state["calls"] == 1:
                state["before"] = (allocated(), reserved())
                try:
                    torch.empty(2 * torch.cuda.mem_get_info()[1], dtype=torch.uint8, device="cuda")
                except torch.cuda.OutOfMemoryError:
                    state["oom"] = True
                    raise

        CONTROL.export_hook = export_hook
        try:
            ctx = Recorder()
            result = engine.generate(subject(), output_dir / "export-oom.glb", 7, ctx)
        finally:
            CONTROL.export_hook = None
        require(state.get("oom") is True, "no real OutOfMemoryError in to_glb")
        runs = [r["pipeline_type"] for r in CONTROL.calls_named("run")]
        require(runs == ["1024_cascade"], f"sampling ran again: {runs}")
        exports = [(c["decimation_target"], c["texture_size"]) for c in CONTROL.calls_named("to_glb")]
        require(exports == [(500_000, 2048), (200_000, 1024)], exports)
        require(result.output_path.is_file(), result)
        require(ctx.raw == sorted(ctx.raw), ctx.raw)
        before_allocated, before_reserved = state["before"]
        return (
            f"export retried alone {exports}; at the OOM allocated {mib(before_allocated)} / reserved "
            f"{mib(before_reserved)}; " + assert_back_to_baseline("export-oom")
        )

    @check("cascade")
    def cascade() -> str:
        CONTROL.calls.clear()
        CONTROL.cascade_resolutions.clear()
        CONTROL.tokens_at = lambda resolution: resolution * 25  # 1536: 38400 > 30000; 1152: 28800 fits
        engine.settings.pipeline_type = "1536_cascade"
        engine.settings.max_num_tokens = 30_000
        torch.cuda.reset_peak_memory_stats()
        try:
            ctx = Recorder()
            engine.generate(subject(), output_dir / "cascade.glb", 7, ctx)
        finally:
            engine.settings.pipeline_type = "1024_cascade"
            engine.settings.max_num_tokens = 49152
        peak = torch.cuda.max_memory_allocated()
        require(CONTROL.cascade_resolutions == [(1536, 1152)], CONTROL.cascade_resolutions)
        (to_glb,) = CONTROL.calls_named("to_glb")
        require(abs(to_glb["voxel_size"] - 1 / 1152) < 1e-9, to_glb["voxel_size"])
        decoder = CONTROL.models["shape_slat_decoder"]
        require(decoder.low_vram_seen[-2:] == [("upsample", True), ("decode", True)], decoder.low_vram_seen)
        require(decoder.low_vram is False, "the decoder's low_vram flag was left on")
        return f"1536 -> 1152 (token limit 30000), peak allocated {mib(peak)}; " + assert_back_to_baseline(
            "cascade"
        )

    def subject_mesh() -> Any:
        """An icosphere 300 x 80 x 150 units across, centred far from the origin."""
        sphere = trimesh.creation.icosphere(subdivisions=3)
        vertices = sphere.vertices * [300.0, 80.0, 150.0] + [1200.0, -40.0, 75.5]
        return trimesh.Trimesh(vertices=vertices, faces=sphere.faces, process=False)

    def texturing_loads() -> list[dict[str, Any]]:
        return [c for c in CONTROL.calls_named("from_pretrained") if c["config_file"] != "pipeline.json"]

    @check("texture")
    def texture() -> str:
        require(
            engine.texturing != "", "texturing is off: the fake models folder has texturing_pipeline.json"
        )
        require(
            CONTROL.texturing_pipeline is None, "the texturing pipeline was loaded before any texturing job"
        )
        CONTROL.calls.clear()
        plan["seen"].clear()
        torch.cuda.reset_peak_memory_stats()
        mesh = subject_mesh()
        ctx = Recorder()
        ctx.options = JobOptions(texture_resolution=1024, texture_size=1024)
        result = engine.texture(subject(), mesh, output_dir / "texture.glb", 7, ctx)
        second = engine.texture(subject(), mesh, output_dir / "texture-2.glb", 8, Recorder())
        peak = torch.cuda.max_memory_allocated()
        require(len(texturing_loads()) == 1, texturing_loads())
        require(result.triangles == second.triangles == len(mesh.faces), (result, len(mesh.faces)))
        loaded = trimesh.load(result.output_path, force="mesh", process=False)
        error = float(abs(loaded.bounds - mesh.bounds).max())
        require(error <= 0.005 * float(mesh.extents.max()), f"bounds {loaded.bounds} vs {mesh.bounds}")
        require(len(loaded.faces) == len(mesh.faces), len(loaded.faces))
        require(ctx.raw == sorted(ctx.raw), ctx.raw)
        require(ctx.raw[-1] == 100, ctx.raw)
        require(peak >= WEIGHT_BYTES + STEPS * ACTIVATION_BYTES, f"peak {mib(peak)}: the GPU was not used")
        return (
            f"{result.seconds:.2f} s, {result.triangles} triangles, bounds off by {error:.2e} units, "
            f"peak allocated {mib(peak)}; " + assert_back_to_baseline("texture")
        )

    @check("texture-oom")
    def texture_oom() -> str:
        plan["seen"].clear()
        plan["texture_oom"] = True
        CONTROL.calls.clear()
        ctx = Recorder()
        ctx.options = JobOptions(texture_resolution=1024, texture_size=2048)
        try:
            result = engine.texture(subject(), subject_mesh(), output_dir / "texture-oom.glb", 7, ctx)
        finally:
            plan["texture_oom"] = False
        seen = plan["seen"]
        require(seen.get("texture-oom") is True, "no real torch.cuda.OutOfMemoryError was raised")
        runs = [(r["resolution"], r["texture_size"]) for r in CONTROL.calls_named("texturing_run")]
        require(runs == [(1024, 2048), (512, 1024)], runs)
        require(result.output_path.is_file(), result)
        require(ctx.raw == sorted(ctx.raw), ctx.raw)
        before_allocated, before_reserved = seen["before-texture-oom"]
        return (
            f"retried {runs}; at the OOM allocated {mib(before_allocated)} / "
            f"reserved {mib(before_reserved)}; " + assert_back_to_baseline("texture-oom")
        )

    @check("cuda-error")
    def cuda_error() -> str:
        # Last: a device-side assert leaves this process's CUDA context unusable.
        CONTROL.calls.clear()

        def broken(tqdm_desc: str, index: int, steps: int) -> object:
            if tqdm_desc == "Sampling shape SLat" and index == 1:
                values = torch.zeros(4, device="cuda")
                values[torch.tensor([1 << 20], device="cuda")] = 1.0  # out of bounds on the GPU
                torch.cuda.synchronize()
            return None

        CONTROL.step_hook = broken
        try:
            engine.generate(subject(), output_dir / "cuda-error.glb", 7, Recorder())
        except EngineError as exc:
            message = str(exc)
        else:
            raise AssertionError("the job succeeded after a device-side assert")
        require(message.startswith("Internal error: CUDA error"), message)
        require(engine.should_recycle(), "should_recycle() is False after a CUDA error")
        require(not (output_dir / "cuda-error.glb").exists(), "a GLB was written")
        try:
            torch.ones(1, device="cuda").sum().item()
            after = "a new CUDA call still works"
        except Exception as exc:  # what the next job would have met without the recycle
            after = f"a new CUDA call raises {type(exc).__name__}: {str(exc).splitlines()[0]}"
        return f"{message!r}; should_recycle() True; {after}"

    passed = sum(ok for _, ok, _ in results)
    elapsed = time.monotonic() - STARTED
    verdict = "PASS" if passed == len(results) else "FAIL"
    print(f"DEVICE CHECK: {verdict} ({passed}/{len(results)}) in {elapsed:.1f} s")
    return 0 if passed == len(results) else 1


def module_found(name: str) -> bool:
    """find_spec of every prefix of a dotted name (a parent that fails to import: not found)."""
    import importlib.util

    parts = name.split(".")
    try:
        return all(
            importlib.util.find_spec(".".join(parts[:n])) is not None for n in range(1, len(parts) + 1)
        )
    except Exception:
        return False


# The checkout's own packages: neither found = no TRELLIS.2 here (a bare GPU machine).
TRELLIS2_OWN = ("trellis2", "o_voxel")


def probe_verdict(
    available: bool, reason: str, missing: list[str], weights_problem: str | None
) -> tuple[bool, str]:
    """Whether the probe's answer (available, reason) fits this machine: `missing` is what
    find_spec does not find of probe.required_modules(), `weights_problem` what
    weights.check_weights says (None: the weights are there; only asked when nothing is missing).
    (passed, what was seen)."""
    answer = f"({available}, {reason!r})"
    if missing:
        unnamed = [name for name in missing if name not in reason]
        if available or not reason.startswith("TRELLIS.2 is not installed: missing ") or unnamed:
            return False, f"{', '.join(missing)} not found, yet the probe answered {answer}"
        if all(name in missing for name in TRELLIS2_OWN):
            return True, f"no TRELLIS.2 on this machine, as the probe says: {answer}"
        return False, f"TRELLIS.2 is partly installed (install_trellis2.sh again): {answer}"
    if weights_problem is not None:
        if available or reason != weights_problem:
            return False, f"installed, weights missing ({weights_problem}), yet the probe answered {answer}"
        return True, f"installed, no weights yet, as the probe says: {answer}"
    if not available or not reason.startswith("cuda:"):
        return False, f"installed with its weights, yet the probe answered {answer}"
    return True, f"installed with its weights: {answer}"


def compare_upstream() -> int:
    """The installed TRELLIS.2's signatures against the list the fake is checked with."""
    sys.path.insert(0, str(INFERENCE))
    from tests import upstream_signatures

    record = upstream_signatures.recorded()
    problems = upstream_signatures.compare_all()
    for problem in problems:
        print(f"MISMATCH {problem}")
    verdict = "PASS" if not problems else "FAIL"
    print(f"UPSTREAM SIGNATURES: {verdict} ({len(record['signatures'])} recorded at {record['commit'][:7]})")
    return 0 if not problems else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Device check of the trellis2 engine on a real CUDA GPU (fake TRELLIS.2, real memory).",
        epilog="Checks: probe, load, job, oom-retry, oom-twice, export-oom, cascade, texture, texture-oom, "
        "cancel, recycle, cuda-error (last: it breaks the CUDA context). Exit 0 when all pass, 1 when one "
        "fails, 2 when torch or the sidecar's dependencies are missing.",
    )
    parser.add_argument(
        "--upstream",
        action="store_true",
        help="compare the INSTALLED TRELLIS.2's signatures with the recorded list instead",
    )
    args = parser.parse_args(argv)
    return compare_upstream() if args.upstream else run_checks()


if __name__ == "__main__":
    sys.exit(main())
