"""inference/Dockerfile checked statically (no Docker daemon here): the CUDA 12.4 base, TRELLIS.2
built by the install script, the sidecar serving gRPC on TCP 0.0.0.0:50051 with the weights read
from /app/models, and a build context that holds every file its COPY lines take."""

from __future__ import annotations

import shlex
from pathlib import Path

from kiln3d_inference.settings import EngineChoice, Settings

INFERENCE = Path(__file__).resolve().parents[1]
REPO = INFERENCE.parent
DOCKERFILE = INFERENCE / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1].strip()) for text in joined]


def env() -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction, arguments in instructions():
        if instruction == "ENV":
            values.update(word.split("=", 1) for word in shlex.split(arguments))  # type: ignore[misc]
    return values


def test_the_base_is_cuda_12_4_devel_on_ubuntu_22_04_without_cudnn() -> None:
    # nvcc for the extensions; no cuDNN: nothing built links it and the torch wheels bring their own.
    froms = [arguments for instruction, arguments in instructions() if instruction == "FROM"]
    assert froms == ["nvidia/cuda:12.4.1-devel-ubuntu22.04"]
    assert "cudnn" not in froms[0]


def test_trellis2_is_built_by_the_install_script_without_a_gpu() -> None:
    runs = [arguments for instruction, arguments in instructions() if instruction == "RUN"]
    (install,) = [run for run in runs if "install_trellis2.sh" in run]
    assert "KILN_INSTALL_NO_GPU=1 inference/scripts/install_trellis2.sh" in install
    assert "python3.11 -m venv inference/.venv" in install  # the venv the script installs into
    assert env()["TORCH_CUDA_ARCH_LIST"] == "8.9"
    # The script runs its venv bootstrap from beside itself: both are copied before it runs.
    copies = [shlex.split(args) for instruction, args in instructions() if instruction == "COPY"]
    copied_before = [path for words in copies[: copies_before_install()] for path in words[:-1]]
    assert "inference/scripts/install_trellis2.sh" in copied_before
    assert "inference/scripts/bootstrap_venv.sh" in copied_before


def copies_before_install() -> int:
    """How many COPY lines come before the RUN that calls the install script."""
    count = 0
    for instruction, arguments in instructions():
        if instruction == "RUN" and "install_trellis2.sh" in arguments:
            return count
        count += instruction == "COPY"
    raise AssertionError("no RUN calls install_trellis2.sh")


def test_the_sidecar_serves_grpc_on_tcp_with_read_only_weights() -> None:
    values = env()
    settings = Settings(
        engine=EngineChoice(values["KILN_ENGINE"]),
        listen=values["KILN_LISTEN"],
        models_dir=Path(values["KILN_MODELS_DIR"]),
        cache_dir=Path(values["KILN_CACHE_DIR"]),
    )
    assert settings.engine is EngineChoice.TRELLIS2
    assert settings.listen == "0.0.0.0:50051"
    assert str(settings.models_dir) == "/app/models"
    assert not str(settings.cache_dir).startswith(str(settings.models_dir))
    (expose,) = [arguments for instruction, arguments in instructions() if instruction == "EXPOSE"]
    assert expose == "50051"
    (cmd,) = [arguments for instruction, arguments in instructions() if instruction == "CMD"]
    assert cmd == '["/app/inference/.venv/bin/python", "-m", "kiln3d_inference"]'


def test_every_copied_path_exists_and_is_in_the_build_context() -> None:
    kept = [
        line[1:]
        for line in (INFERENCE / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    ]
    sources = [shlex.split(args)[:-1] for instruction, args in instructions() if instruction == "COPY"]
    assert sources
    for source in (path for group in sources for path in group):
        assert (REPO / source).exists(), source
        assert any(source == keep or source.startswith(keep + "/") for keep in kept), source
