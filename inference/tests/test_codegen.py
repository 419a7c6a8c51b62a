"""The committed gRPC stubs must equal what the pinned generator makes from proto/inference.proto."""

from __future__ import annotations

from pathlib import Path

from scripts import codegen


def test_committed_stubs_match_a_fresh_generation(tmp_path: Path) -> None:
    written = codegen.generate(tmp_path)
    assert sorted(p.name for p in written) == sorted(codegen.GENERATED_NAMES)
    stale = [
        name
        for name in codegen.GENERATED_NAMES
        if (tmp_path / name).read_bytes() != (codegen.STUB_DIR / name).read_bytes()
    ]
    assert not stale, (
        f"stubs out of date, run: inference/.venv/bin/python inference/scripts/codegen.py ({stale})"
    )


def test_stubs_describe_the_contract() -> None:
    from kiln3d_inference.proto import inference_pb2 as pb

    service = pb.DESCRIPTOR.services_by_name["Inference"]
    assert service.full_name == "kiln3d.inference.v1.Inference"
    assert sorted(m.name for m in service.methods) == ["Generate", "Health"]
