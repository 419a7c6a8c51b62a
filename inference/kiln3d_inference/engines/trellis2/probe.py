"""Whether the trellis2 engine can run here (KILN_ENGINE=auto asks this), and why not.

In order: the packages (torch, trellis2, o_voxel) are installed, the weights are on disk
(weights.py), PyTorch sees a CUDA GPU with at least KILN_TRELLIS2_MIN_VRAM_GB. torch is imported
last, and only when everything else is there.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

from kiln3d_inference.engines.trellis2.memory import GIB
from kiln3d_inference.engines.trellis2.weights import check_weights, model_path
from kiln3d_inference.settings import Settings


def trellis2_available(settings: Settings) -> tuple[bool, str]:
    """(True, "cuda:<i> (<name>, <GiB> GiB), weights <path>") or (False, why not). Never raises."""
    try:
        options = settings.trellis2
        for module, what in (("torch", "PyTorch"), ("trellis2", "TRELLIS.2"), ("o_voxel", "o_voxel")):
            if importlib.util.find_spec(module) is None:
                return False, f"{what} is not installed (inference/scripts/install_trellis2.sh)"
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
