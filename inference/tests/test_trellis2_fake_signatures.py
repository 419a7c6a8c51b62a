"""The fake TRELLIS.2 has upstream's signatures: every function and method the engine or the fake's
own control flow touches, compared with the list recorded from microsoft/TRELLIS.2
(fake_trellis2/upstream_signatures.json, with the commit it was read at). A fake that took a
**kwargs upstream lacks, renamed or reordered a parameter, or changed a default fails here."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import upstream_signatures

FAKE_ROOT = Path(__file__).resolve().parent / "fake_trellis2"
FAKE_MODULES = ("torch", "trellis2", "o_voxel")
ENTRIES = upstream_signatures.recorded()["signatures"]


@pytest.fixture
def fake_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(sys.modules):
        if name.split(".")[0] in FAKE_MODULES:
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(FAKE_ROOT / "torch_stub"))
    monkeypatch.syspath_prepend(str(FAKE_ROOT))
    importlib.invalidate_caches()
    yield
    for name in list(sys.modules):
        if name.split(".")[0] in FAKE_MODULES:
            del sys.modules[name]


def test_the_record_names_its_upstream_commit_and_covers_what_the_engine_calls() -> None:
    record = upstream_signatures.recorded()
    assert record["repository"] == "microsoft/TRELLIS.2"
    assert record["commit"] == "5565d240c4a494caaf9ece7a554542b76ffa36d3"
    for key in (
        "trellis2.pipelines.trellis2_image_to_3d:Trellis2ImageTo3DPipeline.from_pretrained",
        "trellis2.pipelines.trellis2_image_to_3d:Trellis2ImageTo3DPipeline.run",
        "trellis2.pipelines.trellis2_image_to_3d:Trellis2ImageTo3DPipeline.preprocess_image",
        "trellis2.pipelines.trellis2_image_to_3d:Trellis2ImageTo3DPipeline.get_cond",
        "trellis2.pipelines.base:Pipeline.cuda",
        "trellis2.pipelines.trellis2_texturing:Trellis2TexturingPipeline.from_pretrained",
        "trellis2.pipelines.trellis2_texturing:Trellis2TexturingPipeline.to",
        "trellis2.pipelines.trellis2_texturing:Trellis2TexturingPipeline.preprocess_mesh",
        "trellis2.pipelines.trellis2_texturing:Trellis2TexturingPipeline.preprocess_image",
        "trellis2.pipelines.trellis2_texturing:Trellis2TexturingPipeline.postprocess_mesh",
        "trellis2.pipelines.trellis2_texturing:Trellis2TexturingPipeline.run",
        "trellis2.representations:MeshWithVoxel.simplify",
        "o_voxel.postprocess:to_glb",
    ):
        assert key in record["signatures"], key


@pytest.mark.usefixtures("fake_on_path")
@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_the_fake_matches_upstream(key: str) -> None:
    assert upstream_signatures.mismatches(key, ENTRIES[key]) == []


@pytest.mark.usefixtures("fake_on_path")
def test_the_comparison_catches_a_catch_all_a_rename_and_a_default() -> None:
    def to_glb_with_catch_all(vertices: Any, faces: Any, **kwargs: Any) -> None: ...

    entry = ENTRIES["o_voxel.postprocess:to_glb"]
    postprocess: Any = importlib.import_module("o_voxel.postprocess")
    original = postprocess.to_glb
    try:
        postprocess.to_glb = to_glb_with_catch_all
        assert upstream_signatures.mismatches("o_voxel.postprocess:to_glb", entry)
    finally:
        postprocess.to_glb = original
    renamed = {**entry, "parameters": [["vertex", *entry["parameters"][0][1:]], *entry["parameters"][1:]]}
    assert upstream_signatures.mismatches("o_voxel.postprocess:to_glb", renamed)
    other_default = {
        **entry,
        "parameters": [[n, k, "4096" if n == "texture_size" else d] for n, k, d in entry["parameters"]],
    }
    (problem,) = upstream_signatures.mismatches("o_voxel.postprocess:to_glb", other_default)
    assert "texture_size defaults to 2048, upstream 4096" in problem
