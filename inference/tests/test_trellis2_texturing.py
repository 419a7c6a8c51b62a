"""Texturing an uploaded mesh with the trellis2 engine (Trellis2Engine.texture) against the fake
TRELLIS.2's Trellis2TexturingPipeline (tests/fake_trellis2) and the fake torch: no GPU.

The fake normalises the mesh as upstream's preprocess_mesh does and hands back a normalised
textured trimesh, so these tests pin what our side of the seam owns: the mesh back at its own
scale and place, the triangles kept, what run() is given, the lazy load, progress, out-of-memory,
cancellation, CUDA errors, and a GLB the glTF-Validator and trimesh accept.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from kiln3d_inference.engines.base import (
    EngineError,
    InvalidInput,
    JobCancelled,
    JobOptions,
    OutOfMemory,
    Stage,
)
from kiln3d_inference.engines.trellis2 import Trellis2Engine
from kiln3d_inference.engines.trellis2 import engine as engine_module
from kiln3d_inference.engines.trellis2.memory import GIB, host_available_bytes, host_memory_shortfall
from kiln3d_inference.engines.trellis2.texturing import MeshPlacement, texture_resolution
from kiln3d_inference.engines.trellis2.weights import check_texturing_weights, texturing_weight_bytes
from tests import test_trellis2
from tests.helpers import validate_glbs
from tests.test_trellis2 import (  # the helpers of the generation tests
    Fake,
    RecordingContext,
    assert_models_on_cpu,
    leftovers,
    loaded_engine,
    make_settings,
    new_context,
    opaque_subject,
    transparent_subject,
)

fake = test_trellis2.fake  # the generation tests' fixture: the fake TRELLIS.2 on sys.path, a models folder
TEXTURE_DESC = "Sampling texture SLat"  # the texture sampler's tqdm_desc (trellis2_texturing.py:256)


def subject_mesh() -> trimesh.Trimesh:
    """A mesh far from the origin, in units where it is hundreds across, with three different
    extents (so a swapped or flipped axis shows): an icosphere stretched and moved."""
    sphere: Any = trimesh.creation.icosphere(subdivisions=2)
    vertices = np.asarray(sphere.vertices) * [300.0, 80.0, 150.0] + [1200.0, -40.0, 75.5]
    return trimesh.Trimesh(vertices=vertices, faces=np.asarray(sphere.faces), process=False)


def texture_context(**options: Any) -> RecordingContext:
    ctx = new_context()
    object.__setattr__(ctx, "options", JobOptions(**options))
    return ctx


def texture(
    engine: Trellis2Engine,
    folder: Path,
    mesh: trimesh.Trimesh | None = None,
    ctx: RecordingContext | None = None,
    name: str = "painted.glb",
) -> tuple[Path, Any]:
    ctx = ctx or texture_context(texture_size=512)
    result = engine.texture(transparent_subject(), mesh or subject_mesh(), folder / name, 7, ctx)
    return folder / name, result


def runs(fake: Fake) -> list[dict[str, Any]]:
    return list(fake.control.calls_named("texturing_run"))


def texturing_loads(fake: Fake) -> list[dict[str, Any]]:
    return [c for c in fake.control.calls_named("from_pretrained") if c["config_file"] != "pipeline.json"]


def oom_on_texture_step(fake: Fake, runs_to_fail: set[int], step: int = 1) -> None:
    def hook(tqdm_desc: str, index: int, steps: int) -> object:
        if tqdm_desc == TEXTURE_DESC and index == step and len(runs(fake)) in runs_to_fail:
            raise fake.torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 4.00 GiB")
        return None

    fake.control.step_hook = hook


# -- the fake keeps upstream's normalisation (what the engine undoes) ----------------------------


def test_the_fake_normalises_the_mesh_as_upstream_and_returns_it_normalised(fake: Fake) -> None:
    engine = loaded_engine(fake)
    texture(engine, Path(fake.cache_dir))  # loads the texturing pipeline
    pipeline = fake.control.texturing_pipeline
    mesh = subject_mesh()
    normalised = pipeline.preprocess_mesh(mesh)
    extents = normalised.vertices.max(axis=0) - normalised.vertices.min(axis=0)
    # Centred, largest side 0.99999, (x, y, z) -> (x, -z, y): the 300 x 80 x 150 box turns 300 x 150 x 80.
    assert np.allclose(normalised.vertices.max(axis=0) + normalised.vertices.min(axis=0), 0, atol=1e-12)
    assert extents.max() == pytest.approx(0.99999)
    assert extents / extents.max() == pytest.approx([1.0, 0.5, 80 / 300])
    assert np.array_equal(mesh.vertices, subject_mesh().vertices)  # the input is left alone
    # What run() hands back is still in that frame (upstream never restores the scale or place).
    fake.control.calls.clear()
    out = pipeline.run(mesh, transparent_subject().convert("RGB"), preprocess_image=False, texture_size=64)
    out_extents = out.vertices.max(axis=0) - out.vertices.min(axis=0)
    assert out_extents.max() == pytest.approx(0.99999, rel=1e-6)
    assert out_extents / out_extents.max() == pytest.approx([1.0, 80 / 300, 0.5], rel=1e-5)


def test_the_fake_asserts_what_upstream_asserts(fake: Fake) -> None:
    engine = loaded_engine(fake)
    texture(engine, Path(fake.cache_dir))
    pipeline = fake.control.texturing_pipeline
    flat_point = trimesh.Trimesh(vertices=[[1.0, 1.0, 1.0]] * 3, faces=[[0, 1, 2]], process=False)
    with pytest.raises(AssertionError, match="vertices out of range"), np.errstate(all="ignore"):
        pipeline.preprocess_mesh(flat_point)  # 0 / 0: NaN fails the range check, as upstream's does


# -- the result ---------------------------------------------------------------------------------


def test_the_textured_model_keeps_the_meshs_triangles_scale_and_place(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    mesh = subject_mesh()
    path, result = texture(engine, tmp_path, mesh)
    loaded: Any = trimesh.load(path, force="mesh", process=False)  # a Trimesh (untyped visuals)
    assert result.triangles == len(mesh.faces) == len(loaded.faces)
    assert len(loaded.vertices) > len(mesh.vertices)  # the UV unwrap split the seams
    # The bounding box within 0.5 % of the mesh's largest side.
    size = float(mesh.extents.max())
    assert np.abs(loaded.bounds - mesh.bounds).max() <= 0.005 * size, (loaded.bounds, mesh.bounds)
    # Stronger: each triangle where it was (the fake keeps the face order), axes neither swapped nor flipped.
    assert np.abs(loaded.vertices[loaded.faces] - mesh.vertices[mesh.faces]).max() <= 1e-4 * size
    # Normals still face the same way as the mesh's own.
    normals = loaded.vertex_normals[loaded.faces].mean(axis=1)
    assert float(np.mean(np.sum(normals * mesh.face_normals, axis=1) > 0.9)) > 0.95
    # UVs and a base-colour texture (the fake paints the picture), nothing ignored that applies.
    assert loaded.visual.uv.shape == (len(loaded.vertices), 2)
    material = loaded.visual.material
    assert material.baseColorTexture is not None
    assert material.baseColorTexture.size == (512, 512)
    assert result.ignored == ()
    assert result.engine == "trellis2"
    assert result.seed == 7
    assert result.bytes == path.stat().st_size
    assert leftovers(tmp_path) == []


def test_the_written_glb_has_no_validator_errors(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    path, _ = texture(engine, tmp_path)
    report = validate_glbs([path])[str(path)]
    assert report["errors"] == 0, report["messages"]


def test_webp_textures_follow_the_setting(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake, webp_textures=True)
    path, _ = texture(engine, tmp_path)
    assert b"EXT_texture_webp" in path.read_bytes()[:4096]


def test_placement_restores_what_preprocess_mesh_did(fake: Fake) -> None:
    engine = loaded_engine(fake)
    texture(engine, Path(fake.cache_dir))
    pipeline = fake.control.texturing_pipeline
    mesh = subject_mesh()
    turned = pipeline.preprocess_mesh(mesh)
    # postprocess_mesh's turn back, then ours.
    back = trimesh.Trimesh(
        vertices=np.stack([turned.vertices[:, 0], turned.vertices[:, 2], -turned.vertices[:, 1]], axis=1),
        faces=turned.faces,
        process=False,
    )
    restored = MeshPlacement.of(mesh).restore(back)
    assert np.allclose(restored.vertices, mesh.vertices, atol=1e-9)


def test_a_mesh_with_no_extent_is_invalid_input(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    point = trimesh.Trimesh(vertices=[[1.0, 2.0, 3.0]] * 3, faces=[[0, 1, 2]], process=False)
    with pytest.raises(InvalidInput, match="no extent"):
        texture(engine, tmp_path, point)
    assert runs(fake) == []


# -- what run() is given -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "used", "cond_size"), [(0, 1024, 1024), (512, 512, 512), (1024, 1024, 1024)]
)
def test_texture_resolution_and_size_reach_run(
    fake: Fake, tmp_path: Path, asked: int, used: int, cond_size: int
) -> None:
    engine = loaded_engine(fake)
    fake.control.calls.clear()
    texture(engine, tmp_path, ctx=texture_context(texture_resolution=asked, texture_size=1024))
    (run,) = runs(fake)
    assert run["resolution"] == used
    assert run["texture_size"] == 1024
    assert run["seed"] == 7
    assert run["preprocess_image"] is False  # preprocessed by the engine, as app_texturing.py does
    assert run["tex_slat_sampler_params"] == {}  # texturing_pipeline.json's own
    assert run["faces"] == len(subject_mesh().faces)
    (post,) = fake.control.calls_named("postprocess_mesh")
    assert post == {"resolution": used, "texture_size": 1024}
    assert [c["image_size"] for c in fake.control.calls_named("image_cond")] == [cond_size]
    assert fake.cuda.seeds[-1] == 7


def test_the_texture_size_defaults_to_the_setting(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake, texture_size=1024)
    texture(engine, tmp_path, ctx=texture_context())
    assert runs(fake)[-1]["texture_size"] == 1024


@pytest.mark.parametrize("asked", [256, 1536, 2048, -1])
def test_other_texture_resolutions_are_refused_before_any_work(
    fake: Fake, tmp_path: Path, asked: int
) -> None:
    engine = loaded_engine(fake)
    with pytest.raises(InvalidInput, match="512 or 1024"):
        texture(engine, tmp_path, ctx=texture_context(texture_resolution=asked))
    assert texturing_loads(fake) == []
    assert runs(fake) == []
    assert texture_resolution(0) == 1024


def test_an_opaque_picture_goes_through_the_texturing_pipelines_background_remover(
    fake: Fake, tmp_path: Path
) -> None:
    engine = loaded_engine(fake)
    fake.control.rembg_calls = 0
    ctx = texture_context(texture_size=512)
    engine.texture(opaque_subject(), subject_mesh(), tmp_path / "opaque.glb", 3, ctx)
    assert fake.control.rembg_calls == 1
    assert runs(fake)[-1]["image_mode"] == "RGB"


# -- loading ------------------------------------------------------------------------------------


def test_the_texturing_pipeline_loads_once_on_the_first_texturing_job(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    engine.warm_up()
    assert texturing_loads(fake) == []  # not at start, not in the warm-up
    assert "TRELLIS.2's own texturing pipeline" in engine.texturing
    texture(engine, tmp_path, name="one.glb")
    texture(engine, tmp_path, name="two.glb")
    cache = fake.cache_dir / "trellis2"
    assert texturing_loads(fake) == [{"path": str(cache), "config_file": "texturing_pipeline.json"}]
    assert len(runs(fake)) == 2
    pipeline = fake.control.texturing_pipeline
    # Its encoder and remover come through the same links as the generation pipeline's.
    assert pipeline.image_cond_model.model_name == str(cache / "image_cond_model")
    assert pipeline.rembg_model.model_name == str(cache / "rembg_model")
    assert str(pipeline.device) == "cuda"
    assert_models_on_cpu(fake)  # low_vram: both pipelines' models wait on the CPU
    # Generation still works beside it.
    result = engine.generate(transparent_subject(), tmp_path / "generated.glb", 1, new_context())
    assert result.output_path.is_file()


def test_with_low_vram_off_the_loads_vram_raises_the_recycle_baseline(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake, low_vram=False)
    engine.warm_up()
    limit = engine.recycle_vram_limit()
    assert limit is not None
    pipelines = importlib.import_module("trellis2.pipelines")
    base_cuda = pipelines.Trellis2TexturingPipeline.cuda

    def cuda_holding_eight_gib(self: Any) -> None:
        base_cuda(self)
        fake.cuda.used_bytes += 8 * 1024**3  # its models now sit on the GPU

    pipelines.Trellis2TexturingPipeline.cuda = cuda_holding_eight_gib
    try:
        texture(engine, tmp_path)
    finally:
        pipelines.Trellis2TexturingPipeline.cuda = base_cuda
    assert fake.control.texturing_pipeline.low_vram is False
    assert engine.recycle_vram_limit() == limit + 8 * 1024**3
    assert not engine.should_recycle()  # 8 GiB more than after the warm-up, all of it the pipeline's


def test_without_texturing_weights_health_says_nothing_and_texture_refuses(
    fake: Fake, tmp_path: Path
) -> None:
    (fake.models_dir / "TRELLIS.2-4B" / "texturing_pipeline.json").unlink()
    engine = loaded_engine(fake)
    assert engine.texturing == ""
    assert not (fake.cache_dir / "trellis2" / "texturing_pipeline.json").exists()
    with pytest.raises(EngineError, match="texturing weights are missing"):
        texture(engine, tmp_path)
    assert texturing_loads(fake) == []


def test_a_missing_shape_encoder_turns_texturing_off_naming_it(fake: Fake, tmp_path: Path) -> None:
    encoder = fake.models_dir / "TRELLIS.2-4B" / "ckpts" / "shape_enc_next_dc_f16c32_fp16.safetensors"
    encoder.unlink()
    settings = make_settings(fake)
    why = check_texturing_weights(settings)
    assert why is not None
    assert "texturing_pipeline.json: checkpoints missing: ckpts/shape_enc_next_dc_f16c32_fp16" in why
    engine = loaded_engine(fake)
    assert engine.texturing == ""  # generation is unaffected
    assert engine.generate(transparent_subject(), tmp_path / "g.glb", 1, new_context()).triangles > 0


def test_host_memory_is_read_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       131072000 kB\nMemAvailable:    8388608 kB\n", encoding="ascii")
    assert host_available_bytes(meminfo) == 8 * GIB
    meminfo.write_text("MemTotal:       131072000 kB\n", encoding="ascii")
    assert host_available_bytes(meminfo) is None
    assert host_available_bytes(tmp_path / "absent") is None


def test_a_load_needs_its_weights_and_a_quarter_more_available() -> None:
    assert host_memory_shortfall(8 * GIB, 10 * GIB) is None
    assert host_memory_shortfall(8 * GIB, None) is None  # unknown: go ahead
    assert host_memory_shortfall(0, 1) is None  # nothing local to weigh
    why = host_memory_shortfall(8 * GIB, 9 * GIB)
    assert why == "its weights take about 8.0 GiB of host memory and 9.0 GiB is available"


def test_the_texturing_weights_are_weighed_on_disk(fake: Fake) -> None:
    folder = fake.models_dir / "TRELLIS.2-4B"
    (folder / "ckpts" / "shape_enc_next_dc_f16c32_fp16.safetensors").write_bytes(b"x" * 1000)
    (folder / "ckpts" / "tex_dec_next_dc_f16c32_fp16.safetensors").write_bytes(b"x" * 200)
    (folder / "ckpts" / "ss_flow_img_dit_1_3B_64_bf16.safetensors").write_bytes(
        b"x" * 5000
    )  # generation only
    (fake.models_dir / "dinov3-vitl16-pretrain-lvd1689m" / "model.safetensors").write_bytes(b"x" * 30)
    (fake.models_dir / "RMBG_2_0" / "model.safetensors").write_bytes(b"x" * 4)
    (fake.models_dir / "RMBG_2_0" / "README.md").write_bytes(b"x" * 999)  # not a weight
    two_empty_flows = 2 * len("{}")
    assert texturing_weight_bytes(make_settings(fake)) == 1000 + 200 + two_empty_flows + 30 + 4
    (folder / "texturing_pipeline.json").unlink()
    assert texturing_weight_bytes(make_settings(fake)) == 0


def test_too_little_host_memory_refuses_the_load_and_keeps_generating(
    fake: Fake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = loaded_engine(fake)
    (fake.models_dir / "TRELLIS.2-4B" / "ckpts" / "shape_enc_next_dc_f16c32_fp16.safetensors").write_bytes(
        b"x" * 1000
    )
    monkeypatch.setattr(engine_module, "host_available_bytes", lambda: 1000)
    with pytest.raises(OutOfMemory, match=r"not enough host memory to load TRELLIS\.2's texturing pipeline"):
        texture(engine, tmp_path)
    assert texturing_loads(fake) == []
    assert list(tmp_path.iterdir()) == []
    assert engine.generate(transparent_subject(), tmp_path / "g.glb", 1, new_context()).triangles > 0
    monkeypatch.setattr(engine_module, "host_available_bytes", lambda: 64 * GIB)
    texture(engine, tmp_path)
    assert len(texturing_loads(fake)) == 1


# -- progress, out of memory, cancellation, CUDA errors -------------------------------------------


def test_progress_runs_preprocess_texture_export_monotonic_to_100(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    ctx = texture_context(texture_size=512)
    texture(engine, tmp_path, ctx=ctx)
    percents = [p for _, p, _ in ctx.raw]
    assert percents == sorted(percents)
    assert percents[-1] == 100
    stages = [stage for stage, _, _ in ctx.raw]
    order = [Stage.PREPROCESS, Stage.TEXTURE, Stage.EXPORT]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == order
    steps = fake.control.texturing_pipeline.tex_slat_sampler_params["steps"]
    sampling = [m for stage, _, m in ctx.raw if stage is Stage.TEXTURE and m.startswith("sampling texture")]
    assert len(sampling) == steps + 1  # before the first step, then after each
    messages = [m for _, _, m in ctx.raw]
    assert "decoding the texture and baking it onto the mesh" in messages
    assert "writing GLB" in messages


def test_the_samplers_tqdm_is_restored_after_the_job(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    original = fake.sampler_module.tqdm
    texture(engine, tmp_path)
    assert fake.sampler_module.tqdm is original


def test_an_oom_is_cleaned_up_and_retried_once_at_512_with_a_smaller_texture(
    fake: Fake, tmp_path: Path
) -> None:
    engine = loaded_engine(fake, export_retry_texture_size=1024)
    oom_on_texture_step(fake, {1})
    ctx = texture_context(texture_resolution=1024, texture_size=2048)
    empty_before = fake.cuda.empty_cache_calls
    path, result = texture(engine, tmp_path, ctx=ctx)
    assert [(r["resolution"], r["texture_size"]) for r in runs(fake)] == [(1024, 2048), (512, 1024)]
    assert fake.cuda.empty_cache_calls > empty_before
    assert len(texturing_loads(fake)) == 1
    assert result.triangles == len(subject_mesh().faces)
    assert path.is_file()
    percents = [p for _, p, _ in ctx.raw]
    assert percents == sorted(percents)
    assert_models_on_cpu(fake)


def test_an_oom_in_the_bake_is_retried_too(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)

    def bake(texture_size: int) -> None:
        if texture_size == 2048:
            raise RuntimeError("CUDA error: out of memory")  # an extension's wording

    fake.control.texture_hook = bake
    texture(engine, tmp_path, ctx=texture_context(texture_size=2048))
    assert [r["texture_size"] for r in runs(fake)] == [2048, 1024]


def test_a_second_oom_is_out_of_memory_with_no_file(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    oom_on_texture_step(fake, {1, 2})
    with pytest.raises(OutOfMemory):
        texture(engine, tmp_path, ctx=texture_context(texture_resolution=1024, texture_size=2048))
    assert len(runs(fake)) == 2
    assert list(tmp_path.iterdir()) == []
    assert_models_on_cpu(fake)
    assert not engine.should_recycle()


def test_nothing_lighter_to_retry_is_out_of_memory_at_once(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    oom_on_texture_step(fake, {1})
    with pytest.raises(OutOfMemory):
        texture(engine, tmp_path, ctx=texture_context(texture_resolution=512, texture_size=1024))
    assert len(runs(fake)) == 1


def test_cancel_stops_the_sampler_at_the_next_step_and_leaves_nothing(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)
    ctx = texture_context(texture_size=512)

    def cancel_at_step_2(tqdm_desc: str, index: int, steps: int) -> object:
        if tqdm_desc == TEXTURE_DESC and index == 2:
            ctx.cancelled.set()
        return None

    fake.control.step_hook = cancel_at_step_2
    with pytest.raises(JobCancelled):
        texture(engine, tmp_path, ctx=ctx)
    assert [s for d, s, _ in fake.control.steps if d == TEXTURE_DESC] == [0, 1, 2]
    assert fake.control.calls_named("postprocess_mesh") == []
    assert list(tmp_path.iterdir()) == []
    assert_models_on_cpu(fake)


def test_a_cuda_error_fails_internal_and_asks_for_a_restart(fake: Fake, tmp_path: Path) -> None:
    engine = loaded_engine(fake)

    def broken(tqdm_desc: str, index: int, steps: int) -> object:
        if tqdm_desc == TEXTURE_DESC and index == 1:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return None

    fake.control.step_hook = broken
    with pytest.raises(EngineError, match=r"^Internal error: CUDA error during texturing at 1024"):
        texture(engine, tmp_path, ctx=texture_context(texture_size=512))
    assert len(runs(fake)) == 1  # not retried
    assert engine.should_recycle()
    with pytest.raises(EngineError, match="CUDA context is broken"):
        texture(engine, tmp_path)
