"""The formats tool's command line as the api runs it (a separate `python -m kiln3d_inference.formats`
process): exit codes, the one JSON line on stdout or stderr, TARGET removed on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiln3d_inference.formats.cli import FORMATS, main
from tests.formats_support import multi_part_glb, nan_glb, point_cloud_glb, reference

SUCCESS_KEYS = {"format", "bytes", "triangles", "watertight", "size_mm", "seconds"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiln3d_inference.formats", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-sources")
    files = {
        "good": multi_part_glb(),
        "not_glb": b"\x89PNG\r\n\x1a\n this is a picture, not a model",
        "points": point_cloud_glb(),
        "nan": nan_glb(),
        "collapsed": nan_glb(collapsed=True),
        "truncated": multi_part_glb()[:200],
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / f"{name}.glb"
        paths[name].write_bytes(data)
    return paths


def test_success_is_exit_0_and_one_json_line_on_stdout(sources: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "out.tmp"  # the api's temporary name, no extension of the format
    done = run_cli("--format", "3mf", "--size-mm", "42.5", str(sources["good"]), str(target))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert set(line) == SUCCESS_KEYS
    assert line["format"] == "3mf"
    assert line["bytes"] == target.stat().st_size > 0
    assert line["triangles"] == reference(sources["good"]).triangles
    assert line["watertight"] is True
    assert line["size_mm"] == 42.5
    assert isinstance(line["seconds"], float)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_answers_the_contract_line(
    sources: dict[str, Path], tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.tmp"
    assert main(["--format", fmt, str(sources["good"]), str(target)]) == 0
    out, err = capsys.readouterr()
    line = json.loads(out)
    assert out.count("\n") == 1
    assert err == ""
    assert line["format"] == fmt
    assert line["bytes"] == target.stat().st_size
    assert line["size_mm"] == (100.0 if fmt in ("stl", "3mf") else None)  # the default print size


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("not_glb", "not a GLB"),
        ("truncated", "truncated"),
        ("points", "no triangles"),
        ("nan", "not finite"),
        ("collapsed", "no size"),
    ],
)
def test_an_unreadable_source_is_exit_3_with_one_json_error_line(
    sources: dict[str, Path], tmp_path: Path, source: str, message: str
) -> None:
    target = tmp_path / "out.stl"
    target.write_bytes(b"left over by an earlier try")
    done = run_cli("--format", "stl", str(sources[source]), str(target))
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    error = json.loads(lines[0])
    assert set(error) == {"error"}
    assert message in error["error"]
    assert not target.exists()


def test_size_mm_with_a_format_that_is_not_for_printing_is_a_usage_error(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "out.obj"
    done = run_cli("--format", "obj", "--size-mm", "50", str(sources["good"]), str(target))
    assert done.returncode == 2
    assert "--size-mm" in done.stderr
    assert not target.exists()


@pytest.mark.parametrize("args", [["--format", "fbx"], ["--format", "stl", "--size-mm", "0"], []])
def test_other_usage_errors_are_exit_2(sources: dict[str, Path], tmp_path: Path, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*args, str(sources["good"]), str(tmp_path / "out")])
    assert exited.value.code == 2


def test_any_other_failure_is_exit_1_and_leaves_no_target(sources: dict[str, Path], tmp_path: Path) -> None:
    missing_source = run_cli("--format", "ply", str(tmp_path / "absent.glb"), str(tmp_path / "a.ply"))
    assert missing_source.returncode == 1
    assert "Traceback" in missing_source.stderr
    assert not (tmp_path / "a.ply").exists()
    unwritable = tmp_path / "no-such-folder" / "b.ply"
    done = run_cli("--format", "ply", str(sources["good"]), str(unwritable))
    assert done.returncode == 1
    assert not unwritable.exists()
