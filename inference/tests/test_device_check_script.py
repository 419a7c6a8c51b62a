"""scripts/device_check_trellis2.py on a machine without a GPU: it imports without running
anything, answers --help naming every check, without PyTorch exits 2 saying so, and its probe
check's verdict fits each state a machine can be in (the checks themselves need a CUDA GPU: see the
script's docstring)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "device_check_trellis2.py"
CHECKS = (
    "probe",
    "load",
    "job",
    "oom-retry",
    "oom-twice",
    "export-oom",
    "cascade",
    "texture",
    "texture-oom",
    "cancel",
    "recycle",
    "cuda-error",
)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("device_check_trellis2", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_importing_runs_nothing() -> None:
    module = load_script()
    assert callable(module.main)
    assert "torch" not in vars(module)


EVERYTHING_BUT_TORCH = ["trellis2", "o_voxel", "nvdiffrast.torch", "cumesh", "flex_gemm", "flash_attn"]
HINT = " (inference/scripts/install_trellis2.sh)"
WEIGHTS = "TRELLIS.2 weights not found at /srv/models/TRELLIS.2-4B: see models/README.md"
CARD = "cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB), weights /srv/models/TRELLIS.2-4B"


@pytest.mark.parametrize(
    ("available", "reason", "missing", "weights_problem", "passed", "seen"),
    [
        # After install_trellis2.sh, before the weights (models/README.md step 10 expects a pass).
        (False, WEIGHTS, [], WEIGHTS, True, "installed, no weights yet"),
        # Installed with the weights.
        (True, CARD, [], None, True, "installed with its weights"),
        # A bare GPU machine (the project's device checks run there).
        (
            False,
            f"TRELLIS.2 is not installed: missing {', '.join(EVERYTHING_BUT_TORCH)}{HINT}",
            EVERYTHING_BUT_TORCH,
            None,
            True,
            "no TRELLIS.2 on this machine",
        ),
        # flash_attn alone preinstalled (common in CUDA images) is still a bare machine.
        (
            False,
            f"TRELLIS.2 is not installed: missing {', '.join(EVERYTHING_BUT_TORCH[:-1])}{HINT}",
            EVERYTHING_BUT_TORCH[:-1],
            None,
            True,
            "no TRELLIS.2 on this machine",
        ),
        # A partial install fails, though the probe tells it right.
        (
            False,
            f"TRELLIS.2 is not installed: missing nvdiffrast.torch (installed as UNKNOWN-0.0.0){HINT}",
            ["nvdiffrast.torch"],
            None,
            False,
            "partly installed",
        ),
        # Answers that disagree with the machine fail.
        (
            False,
            f"TRELLIS.2 is not installed: missing cumesh{HINT}",
            ["cumesh", "flex_gemm"],
            None,
            False,
            "not found, yet",
        ),
        (True, CARD, ["cumesh"], None, False, "not found, yet"),
        (True, CARD, [], WEIGHTS, False, "weights missing"),
        (
            False,
            "CUDA is not available (no NVIDIA GPU or driver visible to PyTorch)",
            [],
            None,
            False,
            "yet the probe",
        ),
        (False, "probe failed: JSONDecodeError: Expecting value", [], WEIGHTS, False, "yet the probe"),
    ],
    ids=[
        "installed-no-weights",
        "installed-with-weights",
        "bare",
        "bare-with-flash-attn",
        "partial",
        "unnamed-missing-module",
        "available-though-missing",
        "available-without-weights",
        "no-cuda-with-everything",
        "probe-failed",
    ],
)
def test_the_probe_check_fits_each_state_of_the_machine(
    *, available: bool, reason: str, missing: list[str], weights_problem: str | None, passed: bool, seen: str
) -> None:
    verdict, detail = load_script().probe_verdict(available, reason, missing, weights_problem)
    assert verdict is passed, detail
    assert seen in detail


def test_help_names_every_check() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    for name in CHECKS:
        assert name in text, name
    assert "--upstream" in text


def test_without_torch_it_says_what_is_missing() -> None:
    if importlib.util.find_spec("torch") is not None:
        pytest.skip("PyTorch is installed here: the checks would run")
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "cannot start: No module named 'torch'" in done.stdout


def test_upstream_mode_reports_the_fake_missing_real_trellis2() -> None:
    # No TRELLIS.2 is installed here: every recorded name is reported missing, exit 1.
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--upstream"], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "UPSTREAM SIGNATURES: FAIL" in done.stdout
    assert (
        "MISMATCH trellis2.pipelines.trellis2_image_to_3d:Trellis2ImageTo3DPipeline.run: missing"
        in done.stdout
    )
