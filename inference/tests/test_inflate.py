"""The silhouette relief (engines/relief.py) and the inflate engine on real samples and on hostile
inputs: every GLB closed, manifold, about one unit across, centred, Y-up, and free of glTF-Validator
errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from scipy.spatial.transform import Rotation

from kiln3d_inference.engines.base import InvalidInput, JobCancelled, JobContext, Stage
from kiln3d_inference.engines.inflate import InflateEngine
from kiln3d_inference.engines.relief import InflateResult, inflate_image, procedural_test_image
from tests.helpers import (
    MeshFacts,
    edge_problems,
    euler_characteristic,
    parse_mesh,
    sample_images,
    samples_dir,
    signed_volume,
    validate_glbs,
)

MIN_TRIANGLES, MAX_TRIANGLES = 20_000, 150_000


def _rgba(alpha: np.ndarray, rgb: tuple[int, int, int] = (200, 80, 40)) -> Image.Image:
    h, w = alpha.shape
    colour = np.empty((h, w, 3), np.uint8)
    colour[:] = rgb
    colour[..., 1] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]  # texture detail
    return Image.fromarray(np.dstack([colour, alpha.astype(np.uint8)]), mode="RGBA")


def _disc(size: int = 300, radius: float = 0.35) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size] / size
    return np.where((xs - 0.5) ** 2 + (ys - 0.5) ** 2 < radius**2, 255, 0)


def _synthetic_cases() -> dict[str, Image.Image]:
    rng = np.random.default_rng(7)
    size = 320
    ys, xs = np.mgrid[0:size, 0:size] / size
    ring = ((xs - 0.5) ** 2 + (ys - 0.5) ** 2 < 0.16) & ((xs - 0.5) ** 2 + (ys - 0.5) ** 2 > 0.04)
    # Upward-pointing triangle: narrow at the top of the picture, wide at the bottom.
    arrow = (ys > 0.1) & (ys < 0.9) & (np.abs(xs - 0.5) < (ys - 0.1) * 0.5)
    checker = np.zeros((64, 64), np.uint8)
    checker[16:48, 16:48] = 255
    checker[(np.add.outer(np.arange(64), np.arange(64)) % 2 == 0) & (checker == 0)] = 0
    checker[10:16:2, 10:16:2] = 255  # lone pixels touching only at corners
    checker[47, 48] = 0
    checker[48, 49] = 255  # diagonal-only attachment
    lines = np.zeros((200, 200), np.uint8)
    lines[20:180, 100] = 255  # one pixel wide
    lines[100, 20:180] = 255
    lines[30:60, 30:60] = 255
    grey_bg = np.full((400, 300, 3), 128, np.uint8)
    grey_bg[100:300, 80:220] = (30, 160, 220)
    grey_bg[140:180, 120:180] = (250, 250, 250)
    coloured_bg = np.empty((300, 400, 3), np.uint8)
    coloured_bg[:] = (20, 140, 60)
    coloured_bg += rng.integers(0, 8, coloured_bg.shape, dtype=np.uint8)  # JPEG-like noise
    cy, cx = np.mgrid[0:300, 0:400]
    coloured_bg[((cx - 200) / 120.0) ** 2 + ((cy - 150) / 80.0) ** 2 < 1] = (230, 200, 30)
    thin_line = np.zeros((8000, 64), np.uint8)
    thin_line[:, 31:33] = 255
    cmyk = Image.new("CMYK", (64, 64), (10, 20, 30, 40))
    cmyk.paste((200, 10, 30, 0), (16, 16, 48, 48))
    return {
        "thin_line_8000_tall": _rgba(thin_line),
        "cmyk": cmyk,
        "float_greyscale_noise": Image.fromarray(rng.random((64, 64)).astype(np.float32)),
        "busy_noise_photo": Image.fromarray(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), mode="RGB"),
        "grey_background": Image.fromarray(grey_bg, mode="RGB"),
        "coloured_background_jpeg": Image.open(_jpeg(Image.fromarray(coloured_bg, mode="RGB"))),
        "ring_with_hole": _rgba(np.where(ring, 255, 0)),
        "arrow_up": _rgba(np.where(arrow, 255, 0)),
        "diagonal_pixels": _rgba(checker),
        "one_pixel_lines": _rgba(lines),
        "wide_strip": _rgba(np.pad(np.full((8, 1000), 255), ((40, 40), (0, 0)))),
        "greyscale_16bit": Image.fromarray((_disc(200) * 200).astype(np.uint16)),
        "palette_with_transparency": _palette_disc(),
    }


def _jpeg(image: Image.Image) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    buffer.seek(0)
    return buffer


def _palette_disc() -> Image.Image:
    image = _rgba(_disc()).convert("RGBA").quantize(colors=16)
    image.info["transparency"] = 0
    return image


def _ellipse(width: int, height: int, canvas: tuple[int, int]) -> np.ndarray:
    """An ellipse of width x height px centred on a canvas (w, h): True inside."""
    ys, xs = np.mgrid[0 : canvas[1], 0 : canvas[0]] + 0.5
    return np.asarray(
        ((xs - canvas[0] / 2) / (width / 2)) ** 2 + ((ys - canvas[1] / 2) / (height / 2)) ** 2 < 1
    )


def _speck() -> Image.Image:
    speck = np.zeros((256, 256), np.uint8)
    speck[100:102, 100:102] = 255
    return _rgba(speck)


SYNTHETIC = _synthetic_cases()
# Pictures with nothing to model: InvalidInput("No object found in the image"), never a tile.
NO_OBJECT = {
    "fully_transparent": Image.new("RGBA", (256, 256), (10, 20, 30, 0)),
    "one_pixel": Image.new("RGB", (1, 1), (255, 0, 0)),
    "one_pixel_transparent": Image.new("RGBA", (1, 1), (255, 0, 0, 0)),
    "one_colour": Image.new("RGB", (640, 480), (90, 90, 200)),
    "one_colour_cmyk": Image.new("CMYK", (64, 64), (10, 20, 30, 40)),
    "one_pixel_wide_8000_tall": Image.new("RGB", (1, 8000), (9, 9, 9)),
    "faint_alpha_everywhere": Image.new("RGBA", (300, 200), (200, 80, 40, 8)),
    "two_by_two_speck": _speck(),
}
EXPECTED_KIND = {
    "thin_line_8000_tall": "alpha",
    "float_greyscale_noise": "fallback:busy",
    "busy_noise_photo": "fallback:busy",
    "grey_background": "background",
    "coloured_background_jpeg": "background",
    "ring_with_hole": "alpha",
    "lantern_on_white": "background",
}


@pytest.fixture(scope="module")
def glb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("glb")


@pytest.fixture(scope="module")
def results(glb_dir: Path) -> dict[str, InflateResult]:
    images: dict[str, Image.Image] = {p.stem: Image.open(p) for p in sample_images()}
    images.update(SYNTHETIC)
    out = {name: inflate_image(image) for name, image in images.items()}
    for name, result in out.items():
        (glb_dir / f"{name}.glb").write_bytes(result.glb)
    return out


@pytest.fixture(scope="module")
def validator_reports(results: dict[str, InflateResult], glb_dir: Path) -> dict[str, dict[str, object]]:
    return validate_glbs(sorted(glb_dir.glob("*.glb")))


def test_samples_are_present() -> None:
    found = [p.name for p in sample_images()]
    assert len(found) >= 6, f"expected the sample pictures in {samples_dir()}"


CASES = sorted({p.stem for p in sample_images()} | set(SYNTHETIC))


def check_mesh(facts: MeshFacts) -> None:
    assert MIN_TRIANGLES <= facts.triangle_count <= MAX_TRIANGLES
    assert edge_problems(facts.triangles) == {"open_or_nonmanifold_edges": 0, "repeated_directed_edges": 0}
    assert int(facts.triangles.max()) < facts.positions.shape[0]
    # Every vertex is used (no stray points) and the volume is positive (faces point outwards).
    assert np.unique(facts.triangles).size == facts.positions.shape[0]
    assert signed_volume(facts.positions, facts.triangles) > 0
    lo, hi = facts.positions.min(axis=0), facts.positions.max(axis=0)
    assert float((hi - lo).max()) == pytest.approx(1.0, abs=1e-4)
    assert np.allclose((lo + hi) / 2, 0.0, atol=1e-4)
    assert np.allclose(np.linalg.norm(facts.normals, axis=1), 1.0, atol=1e-3)
    assert float(facts.uvs.min()) >= -1e-6
    assert float(facts.uvs.max()) <= 1.0 + 1e-6
    texture = Image.open(io.BytesIO(facts.texture))
    assert texture.format == "JPEG"
    assert max(texture.size) <= 2048


@pytest.mark.parametrize("name", CASES)
def test_inflate_makes_a_closed_textured_model(name: str, results: dict[str, InflateResult]) -> None:
    result = results[name]
    facts = parse_mesh(result.glb)
    assert result.triangles == facts.triangle_count
    check_mesh(facts)
    if name in EXPECTED_KIND:
        assert result.kind == EXPECTED_KIND[name]


@pytest.mark.parametrize("name", CASES)
def test_glb_passes_khronos_validator(
    name: str, validator_reports: dict[str, dict[str, object]], glb_dir: Path
) -> None:
    report = validator_reports[str(glb_dir / f"{name}.glb")]
    assert report["errors"] == 0, report["messages"]
    assert report["warnings"] == 0, report["messages"]


@pytest.mark.parametrize("name", sorted(NO_OBJECT))
def test_nothing_to_model_is_invalid_input(name: str) -> None:
    with pytest.raises(InvalidInput, match=r"^No object found in the image$"):
        inflate_image(NO_OBJECT[name])


def test_extreme_aspect_keeps_some_width_and_depth(results: dict[str, InflateResult]) -> None:
    extent = np.ptp(parse_mesh(results["thin_line_8000_tall"].glb).positions, axis=0)
    assert extent[1] == pytest.approx(1.0, abs=1e-4)
    assert extent[0] >= 1 / 8 - 0.01
    assert extent[2] > 0.005


def test_thin_parts_get_round_cross_sections() -> None:
    # A big disc with a long thin arm: the arm's depth follows its own width, not the disc's size.
    size = 400
    ys, xs = np.mgrid[0:size, 0:size] / size
    disc = (xs - 0.3) ** 2 + (ys - 0.5) ** 2 < 0.25**2
    arm = (xs > 0.5) & (xs < 0.95) & (np.abs(ys - 0.5) < 0.03)
    facts = parse_mesh(inflate_image(_rgba(np.where(disc | arm, 255, 0))).glb)
    x, y, z = facts.positions[:, 0], facts.positions[:, 1], facts.positions[:, 2]
    on_arm = x > x.min() + 0.75 * np.ptp(x)
    arm_width, arm_depth = np.ptp(y[on_arm]), np.ptp(z[on_arm])
    assert 0.5 < arm_depth / arm_width < 1.0
    disc_depth = np.ptp(z)
    assert disc_depth > 4 * arm_depth


@pytest.mark.parametrize("opacity", [90, 128, 255])
def test_subject_at_partial_opacity_is_modelled(opacity: int) -> None:
    # Issue 11 fault 4: at alpha 90 the fixed cut at 127 made a flat tile of the whole picture.
    inside = _ellipse(240, 160, (320, 240))
    result = inflate_image(_rgba(np.where(inside, opacity, 0)))
    extent = np.ptp(parse_mesh(result.glb).positions, axis=0)
    assert result.kind == "alpha"
    assert extent[0] / extent[1] == pytest.approx(1.5, abs=0.05)
    assert extent[2] > 0.3


@pytest.mark.parametrize("on", ["transparency", "white"])
@pytest.mark.parametrize("size", [(10, 20), (14, 28), (4, 8)])
def test_small_object_is_modelled(size: tuple[int, int], on: str) -> None:
    # Issue 11 fault 5: a 10x20 px ellipse on a 256 px canvas (0.24 % of it) became a 1:1 tile.
    inside = _ellipse(size[0], size[1], (256, 256))
    if on == "white":
        rgb = np.full((256, 256, 3), 255, np.uint8)
        rgb[inside] = (40, 60, 200)
        image = Image.fromarray(rgb, mode="RGB")
    else:
        image = _rgba(np.where(inside, 255, 0), rgb=(40, 60, 200))
    facts = parse_mesh(inflate_image(image).glb)
    check_mesh(facts)
    extent = np.ptp(facts.positions, axis=0)
    assert extent[0] / extent[1] == pytest.approx(0.5, abs=0.06)
    assert extent[2] > 0.25


def _vase_with_shadow(shadow_levels: int) -> Image.Image:
    """A brown vase on white, with a soft grey drop shadow `shadow_levels` below the white."""
    size = 400
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    shadow = ndimage.gaussian_filter(
        ((((xs - 250) / 110) ** 2 + ((ys - 330) / 30) ** 2) < 1).astype(np.float32), 6
    )
    rgb = 255.0 - shadow_levels * shadow[..., None] * np.ones(3, np.float32)
    vase = ((((xs - 200) / 70) ** 2 + ((ys - 260) / 80) ** 2) < 1) | (
        (np.abs(xs - 200) < 28) & (ys > 100) & (ys < 200)
    )
    rgb[vase] = (150, 60, 30)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), mode="RGB")


@pytest.mark.parametrize("shadow_levels", [10, 20, 30])
def test_soft_shadow_stays_background(shadow_levels: int) -> None:
    # Issue 11 fault 6: a shadow 20 grey levels below the white joined the vase (aspect 0.88).
    def aspect(image: Image.Image) -> float:
        extent = np.ptp(parse_mesh(inflate_image(image).glb).positions, axis=0)
        return float(extent[0] / extent[1])

    assert aspect(_vase_with_shadow(shadow_levels)) == pytest.approx(aspect(_vase_with_shadow(0)), abs=0.02)
    assert aspect(_vase_with_shadow(0)) == pytest.approx(140 / 240, abs=0.03)


def test_hole_in_the_silhouette_is_kept(results: dict[str, InflateResult]) -> None:
    # A closed surface with one through-hole is a torus: Euler characteristic 0 (a sphere has 2).
    assert euler_characteristic(parse_mesh(results["ring_with_hole"].glb)) == 0
    assert euler_characteristic(parse_mesh(results["arrow_up"].glb)) == 2


def test_model_is_y_up_and_faces_the_viewer(results: dict[str, InflateResult]) -> None:
    facts = parse_mesh(results["arrow_up"].glb)
    x, y, z = facts.positions[:, 0], facts.positions[:, 1], facts.positions[:, 2]
    top_width = np.ptp(x[y > 0.3])
    bottom_width = np.ptp(x[y < -0.3])
    assert top_width < bottom_width / 2, "the picture's top must be +Y"
    # The texture's top rows map to the model's top: v (0 = top of the image) falls as y rises.
    assert np.corrcoef(facts.uvs[:, 1], y)[0, 1] < -0.99
    assert np.corrcoef(facts.uvs[:, 0], x)[0, 1] > 0.99
    # Inflated both ways, thinner than it is wide.
    assert z.max() > 0.05
    assert z.min() < -0.05
    assert np.ptp(z) < 0.9


def test_alpha_silhouette_follows_the_object(results: dict[str, InflateResult]) -> None:
    facts = parse_mesh(results["typical_misc_lantern"].glb)
    extent = np.ptp(facts.positions, axis=0)
    # The lantern is tall and narrow: the mesh keeps that aspect (not a tile of the whole image).
    assert extent[1] == pytest.approx(1.0, abs=1e-4)
    assert extent[0] < 0.7


def test_background_colour_matches_alpha(results: dict[str, InflateResult]) -> None:
    from_alpha = np.ptp(parse_mesh(results["typical_misc_lantern"].glb).positions, axis=0)
    from_white = np.ptp(parse_mesh(results["lantern_on_white"].glb).positions, axis=0)
    assert np.allclose(from_alpha[:2], from_white[:2], atol=0.05)


def test_a_turn_rotates_the_relief_about_y_and_keeps_it_centred(tmp_path: Path) -> None:
    image = procedural_test_image()
    plain = parse_mesh(inflate_image(image).glb)
    glb = inflate_image(image, turn_degrees=-20.0).glb
    turned = parse_mesh(glb)
    assert turned.triangles.shape == plain.triangles.shape
    # The rescale to a longest side of 1.0 is uniform: the normals turn exactly with the model.
    turn = Rotation.from_euler("y", -20.0, degrees=True)
    np.testing.assert_allclose(turned.normals, turn.apply(plain.normals), atol=2e-3)
    low, high = turned.positions.min(axis=0), turned.positions.max(axis=0)
    np.testing.assert_allclose((low + high) / 2.0, 0.0, atol=1e-5)
    assert float((high - low).max()) == pytest.approx(1.0, abs=1e-5)
    path = tmp_path / "turned.glb"
    path.write_bytes(glb)
    assert validate_glbs([path])[str(path)]["errors"] == 0


def test_engine_reports_progress_and_writes_atomically(tmp_path: Path) -> None:
    seen: list[tuple[Stage, float, str]] = []
    ctx = JobContext(task_id="t", on_progress=lambda s, p, m: seen.append((s, p, m)))
    engine = InflateEngine()
    engine.load()
    engine.warm_up()
    out = tmp_path / "model.glb"
    result = engine.generate(Image.open(sample_images()[0]), out, 0, ctx)
    assert result.engine == "inflate"
    assert result.bytes == out.stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == ["model.glb"]
    stages = [s for s, _, _ in seen]
    assert stages[0] is Stage.PREPROCESS
    assert stages[-1] is Stage.EXPORT
    assert {Stage.GEOMETRY, Stage.TEXTURE} <= set(stages)
    percents = [p for _, p, _ in seen]
    assert percents == sorted(percents)
    assert percents[-1] == 100.0


def test_cancelled_job_leaves_no_file(tmp_path: Path) -> None:
    ctx = JobContext(task_id="t", on_progress=lambda s, p, m: None)
    ctx.cancelled.set()
    with pytest.raises(JobCancelled):
        InflateEngine().generate(_rgba(_disc()), tmp_path / "model.glb", 0, ctx)
    assert list(tmp_path.iterdir()) == []


def test_oversized_image_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        inflate_image(Image.new("L", (9000, 10)))
