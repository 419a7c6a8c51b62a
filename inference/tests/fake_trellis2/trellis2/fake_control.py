"""What a test (or the device check) steers in the fake TRELLIS.2, and what it records."""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The shape of TRELLIS.2-4B's pipeline.json: what from_pretrained reads (model references as on the
# hub, the sparse-structure decoder from microsoft/TRELLIS-image-large, samplers at 12 steps).
PIPELINE_JSON: dict[str, Any] = {
    "name": "Trellis2ImageTo3DPipeline",
    "args": {
        "models": {
            "sparse_structure_flow_model": "ckpts/ss_flow_img_dit_1_3B_64_bf16",
            "sparse_structure_decoder": "microsoft/TRELLIS-image-large/ckpts/ss_dec_conv3d_16l8_fp16",
            "shape_slat_flow_model_512": "ckpts/slat_flow_img2shape_dit_1_3B_512_bf16",
            "shape_slat_flow_model_1024": "ckpts/slat_flow_img2shape_dit_1_3B_1024_bf16",
            "shape_slat_decoder": "ckpts/shape_dec_next_dc_f16c32_fp16",
            "tex_slat_flow_model_512": "ckpts/slat_flow_imgshape2tex_dit_1_3B_512_bf16",
            "tex_slat_flow_model_1024": "ckpts/slat_flow_imgshape2tex_dit_1_3B_1024_bf16",
            "tex_slat_decoder": "ckpts/tex_dec_next_dc_f16c32_fp16",
        },
        "sparse_structure_sampler": {
            "name": "FlowEulerGuidanceIntervalSampler",
            "args": {"sigma_min": 1e-5},
            "params": {"steps": 12, "guidance_strength": 7.5, "guidance_rescale": 0.7, "rescale_t": 5.0},
        },
        "shape_slat_sampler": {
            "name": "FlowEulerGuidanceIntervalSampler",
            "args": {"sigma_min": 1e-5},
            "params": {"steps": 12, "guidance_strength": 7.5, "guidance_rescale": 0.5, "rescale_t": 3.0},
        },
        "tex_slat_sampler": {
            "name": "FlowEulerGuidanceIntervalSampler",
            "args": {"sigma_min": 1e-5},
            "params": {"steps": 12, "guidance_strength": 1.0, "guidance_rescale": 0.0, "rescale_t": 3.0},
        },
        "shape_slat_normalization": {"mean": [0.0], "std": [1.0]},
        "tex_slat_normalization": {"mean": [0.0], "std": [1.0]},
        "image_cond_model": {
            "name": "DinoV3FeatureExtractor",
            "args": {"model_name": "facebook/dinov3-vitl16-pretrain-lvd1689m"},
        },
        "rembg_model": {"name": "BiRefNet", "args": {"model_name": "briaai/RMBG-2.0"}},
        "low_vram": True,
        "default_pipeline_type": "1024_cascade",
    },
}


# The shape of TRELLIS.2-4B's texturing_pipeline.json, which Trellis2TexturingPipeline.from_pretrained
# reads (trellis2_texturing.py:69-96): the four models of its model_names_to_load (lines 32-37), the
# texture sampler, both normalisations, the image encoder and the background remover. The shape
# encoder's checkpoint name is the fake's own (the real one is whatever the hub's file names).
TEXTURING_PIPELINE_JSON: dict[str, Any] = {
    "name": "Trellis2TexturingPipeline",
    "args": {
        "models": {
            "shape_slat_encoder": "ckpts/shape_enc_next_dc_f16c32_fp16",
            "tex_slat_flow_model_512": "ckpts/slat_flow_imgshape2tex_dit_1_3B_512_bf16",
            "tex_slat_flow_model_1024": "ckpts/slat_flow_imgshape2tex_dit_1_3B_1024_bf16",
            "tex_slat_decoder": "ckpts/tex_dec_next_dc_f16c32_fp16",
        },
        "tex_slat_sampler": PIPELINE_JSON["args"]["tex_slat_sampler"],
        "shape_slat_normalization": {"mean": [0.0], "std": [1.0]},
        "tex_slat_normalization": {"mean": [0.0], "std": [1.0]},
        "image_cond_model": PIPELINE_JSON["args"]["image_cond_model"],
        "rembg_model": PIPELINE_JSON["args"]["rembg_model"],
        "low_vram": True,
    },
}


# The api's medium test runs a real sidecar on this fake: from the Nth to_glb call of the process
# on (the warm-up makes the first), to_glb stalls like a native call that never returns, deaf to
# cancellation, until the process is killed.
STALL_EXPORT_ENV = "KILN_FAKE_TRELLIS2_STALL_EXPORT_FROM_CALL"
# From the Nth run() of the process on, the first sampler step raises the CUDA error a broken
# kernel gives (PyTorch < 2.8 raises it as a RuntimeError), for tests of a real sidecar.
CUDA_ERROR_ENV = "KILN_FAKE_TRELLIS2_CUDA_ERROR_FROM_RUN"


def default_tokens(resolution: int) -> int:
    """Tokens of the cascade's high-resolution pass at `resolution` (a 1536 subject fits 49152)."""
    return 2 * (resolution // 16) ** 2


def hub_unavailable(name: str) -> OSError:
    """What from_pretrained raises for a name that is not on disk: the fake has no hub, and with
    HF_HUB_OFFLINE=1 (or no network) huggingface_hub raises an OSError subclass too."""
    offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0", "false", "False")
    why = "HF_HUB_OFFLINE is set" if offline else "the fake TRELLIS.2 has no hub"
    return OSError(f"{name} is not a local folder and cannot be downloaded ({why})")


def load_pretrained_folder(model_name: str, trust_remote_code: bool) -> None:
    """What transformers' from_pretrained checks before loading: a local folder with config.json
    (with trust_remote_code, its base name becomes a Python module name: dots and dashes break the
    import on transformers releases before the sanitising fix), else a hub id."""
    if os.path.isdir(model_name):
        if not os.path.isfile(os.path.join(model_name, "config.json")):
            raise OSError(f"{model_name} does not appear to have a file named config.json")
        module = os.path.basename(os.path.normpath(model_name))
        if trust_remote_code and not module.isidentifier():
            raise ModuleNotFoundError(f"No module named 'transformers_modules.{module.split('.')[0]}'")
        CONTROL.record("load_folder", path=model_name, trust_remote_code=trust_remote_code)
        return
    raise hub_unavailable(model_name)


@dataclass
class FakeControl:
    # (function name, keyword arguments) in call order: from_pretrained, run, to_glb, export ...
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Every sampler step: (tqdm_desc, step index, steps in the pass).
    steps: list[tuple[str, int, int]] = field(default_factory=list)
    # Called at every sampler step with (tqdm_desc, step, steps); what it returns is held until
    # the pass ends, like activations (the device check allocates real CUDA tensors here).
    step_hook: Callable[[str, int, int], object] | None = None
    # Called at each to_glb stage with the stage's description.
    export_hook: Callable[[str], None] | None = None
    # Makes each model's weights: None in unit tests; real tensors in the device check.
    make_weight: Callable[[str], Any] | None = None
    # Tokens of the cascade's high-resolution pass at a given resolution (the 1536 fallback).
    tokens_at: Callable[[int], int] = default_tokens
    # Called when a cascade pass has chosen its resolution: (asked, used).
    cascade_resolutions: list[tuple[int, int]] = field(default_factory=list)
    rembg_calls: int = 0
    pipeline: Any = None  # the last image-to-3D pipeline from_pretrained built
    texturing_pipeline: Any = None  # the last texturing pipeline from_pretrained built
    # Called by the texturing pipeline's postprocess_mesh (inside run(), after sampling) with the
    # texture size: raise an out-of-memory error, cancel, allocate real CUDA memory.
    texture_hook: Callable[[int], None] | None = None
    to_glb_calls: int = 0
    # Every model built by from_pretrained, by name, to check where each one lives.
    models: dict[str, Any] = field(default_factory=dict)

    def stall_export_if_asked(self) -> None:
        """Sleep for good when STALL_EXPORT_ENV says this to_glb call is one to stall."""
        self.to_glb_calls += 1
        from_call = int(os.environ.get(STALL_EXPORT_ENV, "0") or 0)
        if from_call and self.to_glb_calls >= from_call:
            while True:
                time.sleep(3600)

    def cuda_error_if_asked(self) -> None:
        """Raise the illegal-memory-access error when CUDA_ERROR_ENV says this run is one."""
        from_run = int(os.environ.get(CUDA_ERROR_ENV, "0") or 0)
        if from_run and len(self.calls_named("run")) >= from_run:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")

    def record(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))

    def calls_named(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    @property
    def pipeline_json(self) -> dict[str, Any]:
        return copy.deepcopy(PIPELINE_JSON)

    def write_aux_folder(self, folder: Path) -> Path:
        """A DINOv3 or background-remover folder as `hf download` leaves it (config.json only here)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text("{}", encoding="utf-8")
        return folder

    def write_model_folder(self, folder: Path, checkpoints: bool = True, texturing: bool = True) -> None:
        """A model folder laid out like models/TRELLIS.2-4B, with empty checkpoint files; with
        `texturing`, also texturing_pipeline.json and the shape encoder it adds."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pipeline.json").write_text(json.dumps(PIPELINE_JSON), encoding="utf-8")
        references = set(PIPELINE_JSON["args"]["models"].values())
        if texturing:
            (folder / "texturing_pipeline.json").write_text(
                json.dumps(TEXTURING_PIPELINE_JSON), encoding="utf-8"
            )
            references |= set(TEXTURING_PIPELINE_JSON["args"]["models"].values())
        if checkpoints:
            for reference in sorted(references):
                for suffix in (".json", ".safetensors"):
                    path = folder / f"{reference}{suffix}"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("{}", encoding="utf-8")


CONTROL = FakeControl()


if __name__ == "__main__":
    # python -m trellis2.fake_control MODELS_DIR: a models folder the fake loads (the api's medium
    # test of a stalled export runs a real sidecar on it), laid out as models/README.md says.
    import sys

    target = Path(sys.argv[1])
    CONTROL.write_model_folder(target / "TRELLIS.2-4B")
    CONTROL.write_aux_folder(target / "dinov3-vitl16-pretrain-lvd1689m")
    CONTROL.write_aux_folder(target / "RMBG_2_0")
