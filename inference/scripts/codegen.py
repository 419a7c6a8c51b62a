"""Regenerate the gRPC stubs from proto/inference.proto into kiln3d_inference/proto/.

A development tool, not part of the runtime package: needs the dev extra (grpcio-tools and
mypy-protobuf, pinned so the committed stubs equal what tests/test_codegen.py regenerates).
Run from the repository root: `inference/.venv/bin/python inference/scripts/codegen.py [OUT_DIR]`.
The proto is staged under `kiln3d_inference/proto/` in a temp include root so the generated imports
are package-absolute.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

INFERENCE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = INFERENCE_DIR.parent
PROTO_FILE = REPO_ROOT / "proto" / "inference.proto"
STUB_DIR = INFERENCE_DIR / "kiln3d_inference" / "proto"
GENERATED_NAMES = ("inference_pb2.py", "inference_pb2.pyi", "inference_pb2_grpc.py", "inference_pb2_grpc.pyi")


def _plugin(name: str) -> str:
    """mypy-protobuf's protoc plugins live in the venv's scripts folder."""
    found = shutil.which(name) or str(Path(sysconfig.get_path("scripts")) / name)
    if not Path(found).exists():
        raise FileNotFoundError(f"{name} not found: install the dev extra (mypy-protobuf)")
    return found


def generate(out_dir: Path) -> list[Path]:
    """Write the four stub files into out_dir and return their paths."""
    from grpc_tools import protoc  # dev-only dependency

    with tempfile.TemporaryDirectory() as tmp:
        include_root = Path(tmp) / "src"
        staged = include_root / "kiln3d_inference" / "proto" / "inference.proto"
        staged.parent.mkdir(parents=True)
        shutil.copyfile(PROTO_FILE, staged)
        gen_root = Path(tmp) / "gen"
        gen_root.mkdir()
        well_known = Path(protoc.__file__).parent / "_proto"
        args = [
            "grpc_tools.protoc",
            f"-I{include_root}",
            f"-I{well_known}",
            f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
            f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
            f"--python_out={gen_root}",
            f"--grpc_python_out={gen_root}",
            f"--mypy_out={gen_root}",
            f"--mypy_grpc_out={gen_root}",
            str(staged.relative_to(include_root)),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError("protoc failed")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name in GENERATED_NAMES:
            target = out_dir / name
            shutil.copyfile(gen_root / "kiln3d_inference" / "proto" / name, target)
            written.append(target)
        return written


def main(argv: list[str]) -> int:
    """Generate into argv[0], else into the package's proto/ folder; print each written path."""
    out_dir = Path(argv[0]) if argv else STUB_DIR
    for path in generate(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
