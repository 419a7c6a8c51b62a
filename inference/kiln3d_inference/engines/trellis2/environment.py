"""Process environment the trellis2 engine sets before torch, transformers and FlexGEMM are
imported (each reads these once, at import or first use). Never overrides what the user set.

- PYTORCH_CUDA_ALLOC_CONF = KILN_TRELLIS2_ALLOC_CONF (default expandable_segments:True, as
  upstream's example.py:3 does to save memory).
- HF_HUB_OFFLINE=1 when every part loads from disk: nothing may reach the network at start, and a
  missing file fails at once instead of after a download attempt. huggingface_hub reads it when it
  is imported (huggingface_hub/constants.py), so this runs before trellis2 is.
- FLEX_GEMM_AUTOTUNE_CACHE_PATH: FlexGEMM (JeffreyXiang/FlexGEMM @ de64112, flex_gemm/__init__.py)
  tunes its kernels on first use for every GPU it has no entry for and saves the result to this
  file, by default under $HOME (~/.flex_gemm), which a container loses: kept in KILN_CACHE_DIR, a
  recycled or rebuilt sidecar reuses it.
- HF_MODULES_CACHE: where transformers copies a trust_remote_code model's code (the background
  remover), by default under $HOME; kept in KILN_CACHE_DIR too.
- TRITON_CACHE_DIR: FlexGEMM's kernels are Triton kernels (flex_gemm/kernels/triton/ @ de64112),
  compiled on first use into Triton's cache, by default ~/.triton/cache (lost with a container):
  kept in KILN_CACHE_DIR, a new sidecar loads them instead of compiling again.
"""

from __future__ import annotations

import os
from pathlib import Path

from kiln3d_inference.settings import Settings

FLEX_GEMM_CACHE_FILE = Path("flex_gemm") / "autotune_cache.json"
HF_MODULES_FOLDER = Path("hf_modules")
TRITON_FOLDER = Path("triton")


def prepare_environment(settings: Settings, all_local: bool) -> dict[str, str]:
    """Set the variables above that are unset; returns every one of them as it now stands.
    Creates the cache folders they name; raises OSError when KILN_CACHE_DIR is not writable."""
    wanted: dict[str, str] = {}
    if settings.trellis2.alloc_conf:
        wanted["PYTORCH_CUDA_ALLOC_CONF"] = settings.trellis2.alloc_conf
    if all_local:
        wanted["HF_HUB_OFFLINE"] = "1"
    flex_gemm_cache = settings.cache_dir / FLEX_GEMM_CACHE_FILE
    wanted["FLEX_GEMM_AUTOTUNE_CACHE_PATH"] = str(flex_gemm_cache)
    wanted["HF_MODULES_CACHE"] = str(settings.cache_dir / HF_MODULES_FOLDER)
    wanted["TRITON_CACHE_DIR"] = str(settings.cache_dir / TRITON_FOLDER)
    for name, value in wanted.items():
        os.environ.setdefault(name, value)
    Path(os.environ["FLEX_GEMM_AUTOTUNE_CACHE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    Path(os.environ["HF_MODULES_CACHE"]).mkdir(parents=True, exist_ok=True)
    Path(os.environ["TRITON_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
    return {name: os.environ[name] for name in wanted}
