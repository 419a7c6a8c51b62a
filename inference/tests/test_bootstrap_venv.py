"""inference/scripts/bootstrap_venv.sh against the bug it exists for, in a real venv (PyPI needed).

A stock Ubuntu 22.04 `python3.11 -m venv` has setuptools 59.6.0 (and the distribution's wheel is
0.37.1): setuptools reads pyproject.toml's [project] table only from 61, so a package that names
itself only there, like nvdiffrast v0.4.0 (its setup.py passes ext_modules alone), built the way
install_trellis2.sh builds the extensions (`pip install DIR --no-build-isolation --no-deps`)
installs as UNKNOWN-0.0.0 without its package. The test builds a package of that shape before and
after the bootstrap. About 20-30 s; skipped only when the package index cannot be reached.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
BOOTSTRAP = SCRIPTS / "bootstrap_venv.sh"
INSTALL = SCRIPTS / "install_trellis2.sh"
# What Ubuntu 22.04 ships (python3-setuptools, python3-wheel); the old install script then built
# with these, having installed `wheel` itself.
UBUNTU_SETUPTOOLS = "59.6.0"
UBUNTU_WHEEL = "0.37.1"
PROBE_NAME = "kiln-probe-pkg"
PROBE_VERSION = "1.2.3"


def index_reachable() -> str | None:
    """None when PyPI's simple index answers, else why not."""
    url = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/setuptools/"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return None if response.status == 200 else f"{url} answered {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url}: {exc}"


def run(*command: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command], check=False, capture_output=True, text=True, timeout=240, env=env
    )
    assert done.returncode == 0, f"{command}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def write_probe_package(folder: Path) -> Path:
    """nvdiffrast v0.4.0's shape: name, version and packages only in pyproject.toml; a setup.py
    that calls setup() without them."""
    (folder / "kiln_probe_pkg").mkdir(parents=True)
    (folder / "kiln_probe_pkg" / "__init__.py").write_text("ANSWER = 42\n", encoding="utf-8")
    (folder / "setup.py").write_text("import setuptools\n\nsetuptools.setup()\n", encoding="utf-8")
    (folder / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["setuptools>=64", "wheel"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        f'name = "{PROBE_NAME}"\n'
        f'version = "{PROBE_VERSION}"\n\n'
        "[tool.setuptools.packages.find]\n"
        'include = ["kiln_probe_pkg"]\n',
        encoding="utf-8",
    )
    return folder


def installed(python: Path) -> dict[str, str]:
    """The venv's distributions, name -> version."""
    listing = run(
        python,
        "-c",
        "import importlib.metadata as m\nfor d in m.distributions(): print(d.metadata['Name'], d.version)",
    ).stdout
    return dict(line.split(" ", 1) for line in listing.splitlines() if line)


def build_like_the_install_script(python: Path, source: Path) -> None:
    # install_trellis2.sh's build_extension: pip_install "$SRC/$name" --no-build-isolation --no-deps
    run(python, "-m", "pip", "install", "--no-input", "--no-build-isolation", "--no-deps", source)


def imports_probe(python: Path) -> bool:
    done = subprocess.run(
        [str(python), "-c", "import kiln_probe_pkg"], check=False, capture_output=True, timeout=60
    )
    return done.returncode == 0


@pytest.fixture(scope="module")
def ubuntu_like_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding Ubuntu 22.04's setuptools and wheel."""
    unreachable = index_reachable()
    if unreachable is not None:
        pytest.skip(f"the package index cannot be reached ({unreachable})")
    venv = tmp_path_factory.mktemp("venv") / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "uninstall", "--yes", "wheel")  # no-op when the seed has none
    run(
        python,
        "-m",
        "pip",
        "install",
        "--no-input",
        f"setuptools=={UBUNTU_SETUPTOOLS}",
        f"wheel=={UBUNTU_WHEEL}",
    )
    assert installed(python)["setuptools"] == UBUNTU_SETUPTOOLS
    return venv


def test_a_pyproject_only_package_is_unknown_before_the_bootstrap_and_itself_after(
    ubuntu_like_venv: Path, tmp_path: Path
) -> None:
    python = ubuntu_like_venv / "bin" / "python"

    build_like_the_install_script(python, write_probe_package(tmp_path / "before"))
    before = installed(python)
    assert before.get("UNKNOWN") == "0.0.0", before
    assert PROBE_NAME not in before
    assert not imports_probe(python)  # like nvdiffrast: the package itself is not even there

    done = run(BOOTSTRAP, ubuntu_like_venv)
    assert "build tools now:" in done.stdout
    tools = installed(python)
    assert int(tools["setuptools"].split(".")[0]) >= 64, tools
    assert int(tools["wheel"].split(".")[1]) >= 40, tools

    run(python, "-m", "pip", "uninstall", "--yes", "UNKNOWN")
    build_like_the_install_script(python, write_probe_package(tmp_path / "after"))
    after = installed(python)
    assert after.get(PROBE_NAME) == PROBE_VERSION, after
    assert "UNKNOWN" not in after
    assert imports_probe(python)


def test_a_second_bootstrap_needs_no_index(ubuntu_like_venv: Path) -> None:
    run(BOOTSTRAP, ubuntu_like_venv)  # whatever the order the tests ran in
    offline = {**os.environ, "PIP_NO_INDEX": "1"}
    run(BOOTSTRAP, ubuntu_like_venv, env=offline)


def test_the_bootstrap_refuses_a_folder_that_is_no_venv(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BOOTSTRAP), str(tmp_path / "nowhere")], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert f"no virtual environment at {tmp_path / 'nowhere'}" in done.stderr


def test_the_install_script_bootstraps_before_it_builds_anything() -> None:
    lines = INSTALL.read_text(encoding="utf-8").splitlines()
    code = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    (bootstrap,) = [i for i, line in enumerate(code) if "bootstrap_venv.sh" in line]
    installs = [
        i
        for i, line in enumerate(code)
        if line.startswith(("pip_install ", "build_extension ")) or " -m pip install" in line
    ]
    assert installs
    assert bootstrap < min(installs), code[min(installs)]
    assert code[bootstrap] == '"$SCRIPT_DIR/bootstrap_venv.sh" "$VENV"'
