#!/usr/bin/env python3
"""Device check of the trellis2 engine's CUDA side, for a GPU machine without TRELLIS.2.

    python3 inference/scripts/device_check_trellis2.py          (from the repository root)

Needs torch (CUDA), numpy, pillow and pydantic-settings; TRELLIS.2 itself is replaced by the fake
in inference/tests/fake_trellis2, steered to hold REAL CUDA memory: each model's weights are real
tensors that low_vram mode moves to the GPU for its step and back, and every sampler step
allocates a real activation tensor held until its pass ends. Then it checks, on the real card:

  probe     trellis2_available() says why not (TRELLIS.2 missing) without raising
  load      device() names the real card; vram() matches torch.cuda.mem_get_info
  job       a generation runs; progress is monotonic 0-100; memory returns to the baseline
  oom-retry a REAL torch.cuda.OutOfMemoryError mid-sampling; the clean-up brings allocated and
            reserved memory back to the baseline before the retry; the retry (512) succeeds
  oom-twice a second real OOM ends as OutOfMemory, memory back at the baseline, models on the CPU
  cancel    a cancel between steps stops the job and frees its memory
  recycle   should_recycle() follows a VRAM threshold around the real usage (+2 GiB held)

Prints PASS/FAIL per check with figures and exits 0 only if all pass; about 20-40 s on an H100.
"""

from __future__ import annotations

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

# The engine sets this before CUDA starts, as the sidecar does; set here too so both agree.
os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")
sys.path.insert(0, str(INFERENCE))

try:
    import numpy  # noqa: F401
    import PIL  # noqa: F401
    import pydantic_settings  # noqa: F401
    import torch
except ImportError as missing:
    print(f"DEVICE CHECK: cannot start: {missing} (needs torch, numpy, pillow, pydantic-settings)")
    sys.exit(2)

from PIL import Image  # noqa: E402

from kiln3d_inference.engines.base import JobCancelled, JobContext, OutOfMemory, Stage  # noqa: E402
from kiln3d_inference.engines.trellis2 import Trellis2Engine, trellis2_available  # noqa: E402
from kiln3d_inference.settings import Settings, Trellis2Settings  # noqa: E402

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


print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, python {sys.version.split()[0]}", flush=True)
if not torch.cuda.is_available():
    print("DEVICE CHECK: FAIL: torch.cuda.is_available() is False")
    sys.exit(1)


@check("probe")
def probe_without_upstream() -> str:
    available, reason = trellis2_available(Settings(models_dir=Path(tempfile.mkdtemp())))
    require(not available, reason)
    require("TRELLIS.2 is not installed" in reason, reason)
    return f"(False, {reason!r})"


# From here on the fake TRELLIS.2 stands in for the real one.
sys.path.insert(0, str(FAKE))
from trellis2.fake_control import CONTROL  # noqa: E402

CONTROL.make_weight = lambda name: torch.empty(WEIGHT_BYTES, dtype=torch.uint8)
plan: dict[str, Any] = {"oom_runs": set(), "cancel": None, "seen": {}}


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
    if plan["cancel"] is not None and tqdm_desc == "Sampling shape SLat" and index == 2:
        plan["cancel"].cancelled.set()
    return torch.empty(ACTIVATION_BYTES, dtype=torch.uint8, device="cuda")


CONTROL.step_hook = step_hook
models_dir = Path(tempfile.mkdtemp(prefix="kiln3d-device-check-"))
CONTROL.write_model_folder(models_dir / "TRELLIS.2-4B")
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
engine = Trellis2Engine(Settings(models_dir=models_dir, trellis2=settings))
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
    require(at_retry_allocated <= baseline["allocated"] + WEIGHT_BYTES + TOLERANCE, mib(at_retry_allocated))
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


passed = sum(ok for _, ok, _ in results)
elapsed = time.monotonic() - STARTED
verdict = "PASS" if passed == len(results) else "FAIL"
print(f"DEVICE CHECK: {verdict} ({passed}/{len(results)}) in {elapsed:.1f} s")
sys.exit(0 if passed == len(results) else 1)
