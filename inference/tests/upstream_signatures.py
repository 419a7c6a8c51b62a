"""Compare the signatures of a TRELLIS.2 implementation (the fake, or the real upstream on a GPU
machine) with the list recorded in fake_trellis2/upstream_signatures.json (read from
microsoft/TRELLIS.2 at the commit named there: parameter names, kinds and default expressions).

Used by test_trellis2_fake_signatures.py (the fake) and scripts/device_check_trellis2.py (the real
packages, when installed). Callers put the implementation on sys.path first.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

RECORD = Path(__file__).resolve().parent / "fake_trellis2" / "upstream_signatures.json"
_NO_DEFAULT = object()


def recorded() -> dict[str, Any]:
    """The recorded list: {"repository", "commit", "note", "signatures": {key: {...}}}."""
    data: dict[str, Any] = json.loads(RECORD.read_text(encoding="utf-8"))
    return data


def resolve(key: str) -> Any:
    """'package.module:Class.method' -> the function (a classmethod comes bound, without cls)."""
    module_name, _, qualified = key.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualified.split("."):
        target = getattr(target, part)
    return target


def _expected_default(expression: str | None) -> Any:
    # The recorded defaults are literals plus one numpy call (np.radians(90.0)).
    return _NO_DEFAULT if expression is None else eval(expression, {"np": np})


def mismatches(key: str, entry: dict[str, Any]) -> list[str]:
    """Every difference between resolve(key)'s signature and the recorded one, as sentences."""
    try:
        parameters = list(inspect.signature(resolve(key)).parameters.values())
    except (ImportError, AttributeError) as exc:
        return [f"{key}: missing ({type(exc).__name__}: {exc})"]
    problems: list[str] = []
    actual = [p.name for p in parameters]
    wanted = [name for name, _, _ in entry["parameters"]]
    if actual != wanted:
        return [f"{key}: parameters {actual}, upstream {wanted} ({entry['upstream']})"]
    for parameter, (name, kind, default) in zip(parameters, entry["parameters"], strict=True):
        if parameter.kind.name != kind:
            problems.append(f"{key}: {name} is {parameter.kind.name}, upstream {kind}")
        expected = _expected_default(default)
        has = parameter.default is not inspect.Parameter.empty
        if (expected is _NO_DEFAULT) != (not has) or (has and parameter.default != expected):
            shown = "none" if not has else repr(parameter.default)
            problems.append(f"{key}: {name} defaults to {shown}, upstream {default or 'none'}")
    return problems


def compare_all() -> list[str]:
    """Mismatches over the whole recorded list (empty when the implementation matches)."""
    return [problem for key, entry in recorded()["signatures"].items() for problem in mismatches(key, entry)]
