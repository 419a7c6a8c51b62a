"""GPU memory of the trellis2 engine: recognising an out-of-memory error, cleaning up after one (or
after any job), reading VRAM use, and the VRAM threshold past which the sidecar should restart.

Out of memory: torch.cuda.OutOfMemoryError (or an extension's "out of memory" RuntimeError) is
cleaned up once the exception and its traceback are gone: models back to the CPU in low_vram mode
(an interrupted step leaves its model on the GPU: trellis2_image_to_3d.py:210-221 and 322 of
microsoft/TRELLIS.2 @ 5565d24 move each model up for its own step only), gc.collect(),
torch.cuda.empty_cache(). Measured on a real card (docs: TOOLCHAIN), that returns every reserved byte.

Host memory: low_vram mode keeps every model in host RAM, so loading a second pipeline (the
texturing one, on the first texturing job) is checked against /proc/meminfo's MemAvailable first
(host_memory_shortfall): a job refused with OOM beats the kernel's OOM killer taking the sidecar
down halfway through a load.

`torch` and `pipeline` are passed in as loaded by the engine (typed Any: imported lazily).
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from kiln3d_inference.engines.base import VramUsage

log = logging.getLogger(__name__)

GIB = 1024**3
# Unset KILN_TRELLIS2_RECYCLE_VRAM_GB: recycle once this much more is held than after the warm-up
# (a 1024_cascade job peaks well above its resting use; leave it the room to run).
RECYCLE_VRAM_GROWTH_GIB = 6.0


def is_out_of_memory(torch: Any, exc: BaseException) -> bool:
    """torch.cuda.OutOfMemoryError, or a CUDA extension's RuntimeError saying "out of memory"."""
    oom_class = getattr(getattr(torch, "cuda", None), "OutOfMemoryError", None)
    if isinstance(oom_class, type) and isinstance(exc, oom_class):
        return True
    # CUDA extensions (cumesh, flex_gemm, nvdiffrast) raise plain RuntimeErrors.
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


# Text of CUDA errors that leave the context unusable (PyTorch < 2.8 raises them as RuntimeError;
# CuMesh, FlexGEMM and nvdiffrast check their kernels with the same CUDA error strings).
CUDA_ERROR_MARKERS = (
    "cuda error",
    "illegal memory access",
    "device-side assert",
    "cublas_status",
    "cudnn_status",
    "misaligned address",
    "unspecified launch failure",
)


def is_cuda_error(torch: Any, exc: BaseException) -> bool:
    """A CUDA error other than out-of-memory: torch.AcceleratorError (PyTorch 2.8+), or a
    RuntimeError whose text names one (CUDA_ERROR_MARKERS). After one, every later CUDA call of the
    process may fail too: the engine asks for a restart."""
    if is_out_of_memory(torch, exc):
        return False
    accelerator_error = getattr(torch, "AcceleratorError", None)
    if isinstance(accelerator_error, type) and isinstance(exc, accelerator_error):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(marker in text for marker in CUDA_ERROR_MARKERS)


def offload_models(pipeline: Any) -> None:
    """Put every model of the pipeline back on the CPU.

    low_vram mode keeps models on the CPU between steps; an interrupted step leaves its model on the
    GPU (the .cpu() after it never ran)."""
    models = list(getattr(pipeline, "models", {}).values())
    # The encoder and the remover are wrappers whose .cpu() moves their inner model.
    models += [getattr(pipeline, "image_cond_model", None), getattr(pipeline, "rembg_model", None)]
    for model in models:
        if model is None:
            continue
        try:
            model.cpu()
            if isinstance(getattr(model, "low_vram", None), bool):
                model.low_vram = False  # upstream sets it only around its own call (line 322)
        except Exception:
            log.warning("could not move %s back to the CPU", type(model).__name__, exc_info=True)


def release_memory(torch: Any, pipeline: Any) -> None:
    """Free what a job (finished or interrupted) left: models back to the CPU in low_vram mode,
    unreachable tensors collected, CUDA's cache emptied. Harmless before load (both None)."""
    if pipeline is not None and getattr(pipeline, "low_vram", False):
        offload_models(pipeline)
    gc.collect()
    if torch is not None:
        torch.cuda.empty_cache()


def vram_usage(torch: Any, device_index: int) -> VramUsage:
    """Device-wide used and total bytes (cudaMemGetInfo), else this process's reserved bytes."""
    try:
        free, total = torch.cuda.mem_get_info(device_index)
        return VramUsage(used_bytes=int(total - free), total_bytes=int(total))
    except Exception:
        total = torch.cuda.get_device_properties(device_index).total_memory
        return VramUsage(used_bytes=int(torch.cuda.memory_reserved(device_index)), total_bytes=int(total))


# /proc/meminfo's estimate of the memory new allocations can take without swapping (Linux 3.14+).
MEMINFO = Path("/proc/meminfo")
# A pipeline is loaded only when the host has its weights' size times this available (the models
# are built first, then the weights read into them, and Python's own objects come on top).
HOST_HEADROOM = 1.25


def host_available_bytes(meminfo: Path = MEMINFO) -> int | None:
    """MemAvailable of /proc/meminfo in bytes; None where there is no such file or line."""
    try:
        for line in meminfo.read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(":")
            if name == "MemAvailable":
                return int(value.split()[0]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def host_memory_shortfall(weight_bytes: int, available: int | None) -> str | None:
    """Why `weight_bytes` of weights should not be loaded into host RAM now (None: go ahead, also
    when either figure is unknown): less than HOST_HEADROOM times their size is available."""
    if available is None or weight_bytes <= 0 or available >= weight_bytes * HOST_HEADROOM:
        return None
    return (
        f"its weights take about {weight_bytes / GIB:.1f} GiB of host memory and "
        f"{available / GIB:.1f} GiB is available"
    )


def recycle_vram_limit(configured_gib: float | None, used_after_warm_up: int | None) -> int | None:
    """Bytes of used VRAM past which the sidecar restarts; None = no limit (yet).

    configured_gib is KILN_TRELLIS2_RECYCLE_VRAM_GB (0 = never; None = the warm-up level plus
    RECYCLE_VRAM_GROWTH_GIB, unknown before the warm-up)."""
    if configured_gib is not None:
        return int(configured_gib * GIB) if configured_gib > 0 else None
    if used_after_warm_up is None:
        return None
    return used_after_warm_up + int(RECYCLE_VRAM_GROWTH_GIB * GIB)
