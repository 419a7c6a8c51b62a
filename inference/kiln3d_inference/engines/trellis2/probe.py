"""Whether the trellis2 engine can run here (KILN_ENGINE=auto asks this), and why not.

In order: every module the image-to-3D path imports is installed (found by
importlib.util.find_spec, which loads no CUDA library), the weights are on disk (weights.py),
PyTorch sees a CUDA GPU with at least KILN_TRELLIS2_MIN_VRAM_GB. torch is imported last, and only
when everything else is there.

The modules, at microsoft/TRELLIS.2 @ 5565d24:
- torch; trellis2 (the checkout on the path); o_voxel (its o-voxel package, the GLB export);
- what o-voxel/o_voxel/postprocess.py:9-11 imports: flex_gemm, nvdiffrast.torch and cumesh
  (cumesh also by trellis2/representations/mesh/base.py:4);
- the sparse convolution backend (trellis2/modules/sparse/config.py): SPARSE_CONV_BACKEND, one of
  flex_gemm (the default), spconv, torchsparse or none;
- the attention backends, read once when trellis2 is imported: dense attention
  (trellis2/modules/attention/config.py) from ATTN_BACKEND, one of flash_attn (the default),
  flash_attn_3 (module flash_attn_interface), xformers, sdpa or naive (these two: torch alone);
  sparse attention (trellis2/modules/sparse/config.py) from SPARSE_ATTN_BACKEND, else ATTN_BACKEND,
  but only flash_attn (the default), flash_attn_3 or xformers: any other value leaves it at
  flash_attn. An unknown value is ignored upstream, so it is here too.

nvdiffrast v0.4.0 built by a setuptools older than 61 installs as UNKNOWN-0.0.0 with only its
compiled `_nvdiffrast_c` and no `nvdiffrast` package (its name and packages are only in
pyproject.toml): that case is named, with the fix (install_trellis2.sh upgrades setuptools first).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiln3d_inference.engines.trellis2.memory import GIB
from kiln3d_inference.engines.trellis2.weights import check_weights, model_path
from kiln3d_inference.settings import Settings

INSTALL_HINT = "inference/scripts/install_trellis2.sh"
DEFAULT_CONV_BACKEND = "flex_gemm"
DEFAULT_ATTN_BACKEND = "flash_attn"
# backend name -> the module it imports (None: torch alone), as upstream's config modules accept them.
CONV_BACKENDS: dict[str, str | None] = {
    "flex_gemm": "flex_gemm",
    "spconv": "spconv",
    "torchsparse": "torchsparse",
    "none": None,
}
DENSE_ATTN_BACKENDS: dict[str, str | None] = {
    "flash_attn": "flash_attn",
    "flash_attn_3": "flash_attn_interface",
    "xformers": "xformers",
    "sdpa": None,
    "naive": None,
}
SPARSE_ATTN_BACKENDS: dict[str, str | None] = {
    "flash_attn": "flash_attn",
    "flash_attn_3": "flash_attn_interface",
    "xformers": "xformers",
}
# The compiled part of nvdiffrast (its setup.py's only ext_module).
NVDIFFRAST_EXTENSION = "_nvdiffrast_c"


@dataclass(frozen=True)
class RequiredModule:
    """One module the image-to-3D path imports: its dotted name and what needs it."""

    name: str
    needed_for: str


def required_modules(environ: Mapping[str, str] | None = None) -> list[RequiredModule]:
    """Every module TRELLIS.2's image-to-3D path imports, in install order, given the backend
    variables in `environ` (default os.environ). No duplicates; never imports anything."""
    env = os.environ if environ is None else environ
    modules = [
        RequiredModule("torch", "PyTorch"),
        RequiredModule("trellis2", "TRELLIS.2"),
        RequiredModule("o_voxel", "the GLB export"),
        RequiredModule("nvdiffrast.torch", "the texture bake"),
        RequiredModule("cumesh", "mesh clean-up and decimation"),
        RequiredModule("flex_gemm", "sparse convolution and grid sampling"),
    ]
    conv = env.get("SPARSE_CONV_BACKEND", DEFAULT_CONV_BACKEND)
    conv_module = CONV_BACKENDS.get(conv, CONV_BACKENDS[DEFAULT_CONV_BACKEND])
    if conv_module is not None:
        modules.append(RequiredModule(conv_module, f"the sparse convolution backend ({conv})"))
    dense = env.get("ATTN_BACKEND", DEFAULT_ATTN_BACKEND)
    dense = dense if dense in DENSE_ATTN_BACKENDS else DEFAULT_ATTN_BACKEND
    sparse = env.get("SPARSE_ATTN_BACKEND", env.get("ATTN_BACKEND", DEFAULT_ATTN_BACKEND))
    sparse = sparse if sparse in SPARSE_ATTN_BACKENDS else DEFAULT_ATTN_BACKEND
    for backend, table, what in (
        (dense, DENSE_ATTN_BACKENDS, "attention"),
        (sparse, SPARSE_ATTN_BACKENDS, "sparse attention"),
    ):
        module = table[backend]
        if module is not None:
            modules.append(RequiredModule(module, f"the {what} backend ({backend})"))
    unique: dict[str, RequiredModule] = {}
    for required in modules:
        unique.setdefault(required.name, required)
    return list(unique.values())


def _is_installed(name: str) -> tuple[bool, str]:
    """(found, note). A dotted name imports its parent packages (nvdiffrast's is light: it reads its
    own version from the installed metadata, which raises when that metadata is missing)."""
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        try:
            found = importlib.util.find_spec(prefix) is not None
        except Exception as exc:  # the parent package failed to import
            package = ".".join(parts[: depth - 1]) or prefix
            return False, f"{package} does not import: {type(exc).__name__}: {exc}"
        if not found:
            break
    else:
        return True, ""
    if parts[0] == "nvdiffrast" and importlib.util.find_spec(NVDIFFRAST_EXTENSION) is not None:
        return False, (
            f"installed as UNKNOWN-0.0.0, only its {NVDIFFRAST_EXTENSION}: built by a setuptools older "
            "than 61; rerun the install script, which upgrades setuptools first"
        )
    return False, ""


def missing_modules(environ: Mapping[str, str] | None = None) -> list[str]:
    """The required modules (required_modules) not installed here, each as 'name' or 'name (why)'.
    Empty when all are found. Never imports torch or a CUDA extension; never raises for a module
    that fails to import (that one is reported missing, with the error)."""
    missing = []
    for required in required_modules(environ):
        found, note = _is_installed(required.name)
        if not found:
            missing.append(f"{required.name} ({note})" if note else required.name)
    return missing


def trellis2_available(settings: Settings) -> tuple[bool, str]:
    """(True, "cuda:<i> (<name>, <GiB> GiB), weights <path>") or (False, why not). Never raises.

    Why not, in order: "TRELLIS.2 is not installed: missing <every missing module> (install
    script)", the weights problem (weights.check_weights), "CUDA is not available ...",
    "<GPU> has <GiB> GiB; TRELLIS.2 needs <min> GiB or more", "probe failed: <error>"."""
    try:
        options = settings.trellis2
        missing = missing_modules()
        if missing:
            return False, f"TRELLIS.2 is not installed: missing {', '.join(missing)} ({INSTALL_HINT})"
        weights_problem = check_weights(settings)
        if weights_problem is not None:
            return False, weights_problem
        if options.alloc_conf:
            # The engine loads in this process after the probe: same allocator settings for both.
            os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", options.alloc_conf)
        torch: Any = importlib.import_module("torch")
        if not torch.cuda.is_available():
            return False, "CUDA is not available (no NVIDIA GPU or driver visible to PyTorch)"
        index = torch.cuda.current_device()
        name = torch.cuda.get_device_name(index)
        total_gib = torch.cuda.get_device_properties(index).total_memory / GIB
        if total_gib < options.min_vram_gb:
            return (
                False,
                f"{name} has {total_gib:.1f} GiB; TRELLIS.2 needs {options.min_vram_gb:g} GiB or more",
            )
        return True, f"cuda:{index} ({name}, {total_gib:.1f} GiB), weights {model_path(settings)}"
    except Exception as exc:  # a probe reports, never raises: `auto` then falls back to inflate
        return False, f"probe failed: {type(exc).__name__}: {exc}"
