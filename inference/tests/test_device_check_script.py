"""scripts/device_check_trellis2.py on a machine without a GPU: it imports without running
anything, answers --help naming every check, and without PyTorch exits 2 saying so (the checks
themselves need a CUDA GPU: see the script's docstring)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

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
    "cancel",
    "recycle",
    "cuda-error",
)


def test_importing_runs_nothing() -> None:
    spec = importlib.util.spec_from_file_location("device_check_trellis2", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.main)
    assert "torch" not in vars(module)


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
