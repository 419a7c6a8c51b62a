"""The install script's pins on what upstream leaves unpinned (inference/scripts/install_trellis2.sh,
PYTHON_PACKAGES), checked without a GPU or a download: the specifiers are parsed with `packaging`
(pip's own specifier logic) and must pick a 4.x transformers and a matching huggingface_hub below
1.0, each with its reason in a comment. Removing a ceiling fails here."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "install_trellis2.sh"
# Releases to resolve against (PyPI): transformers 4.55 lacks DINOv3ViTModel; 5.x breaks upstream.
TRANSFORMERS_RELEASES = ["4.55.4", "4.56.0", "4.56.2", "4.57.1", "4.57.3", "5.0.0", "5.1.0"]
HUB_RELEASES = ["0.33.5", "0.34.0", "0.35.3", "0.36.0", "1.0.0", "1.1.2"]
# transformers 4.56.x-4.57.x declare huggingface-hub>=0.34.0,<1.0 (their setup.py).
TRANSFORMERS_4_HUB_REQUIREMENT = Requirement("huggingface-hub>=0.34.0,<1.0")


def package_block() -> list[str]:
    """The lines of the PYTHON_PACKAGES=( ... ) array, comments included."""
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    start = lines.index("PYTHON_PACKAGES=(")
    end = lines.index(")", start)
    return lines[start + 1 : end]


def requirements() -> dict[str, Requirement]:
    words = [word for line in package_block() for word in shlex.split(line, comments=True)]
    parsed = [Requirement(word) for word in words]
    return {canonicalize_name(r.name): r for r in parsed}


def test_transformers_resolves_to_a_4x_release_from_4_56() -> None:
    spec = requirements()["transformers"].specifier
    assert list(spec.filter(TRANSFORMERS_RELEASES)) == ["4.56.0", "4.56.2", "4.57.1", "4.57.3"]


def test_huggingface_hub_stays_below_1_0_and_within_what_transformers_4_accepts() -> None:
    ours = list(requirements()["huggingface-hub"].specifier.filter(HUB_RELEASES))
    theirs = set(TRANSFORMERS_4_HUB_REQUIREMENT.specifier.filter(HUB_RELEASES))
    assert ours == ["0.34.0", "0.35.3", "0.36.0"]  # 0.34 is the first with the `hf` command
    assert set(ours) <= theirs


@pytest.mark.parametrize("name", ["transformers", "huggingface_hub"])
def test_every_pin_says_why_in_a_comment_above_it(name: str) -> None:
    block = package_block()
    (index,) = [i for i, line in enumerate(block) if line.strip().strip('"').startswith(name)]
    comment = []
    for line in reversed(block[:index]):
        if not line.strip().startswith("#"):
            break
        comment.append(line)
    assert len(comment) >= 2, f"{name}: no comment giving the pin's reason"
    assert any(f"{name}:" in line for line in comment)


def test_the_script_has_no_other_unbounded_major_of_these_two() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    pip_lines = [line for line in text.splitlines() if "pip_install" in line and "transformers" in line]
    assert pip_lines == []  # installed only through PYTHON_PACKAGES
