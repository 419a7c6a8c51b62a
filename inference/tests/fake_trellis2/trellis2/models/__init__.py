"""Fake `trellis2.models`: `from_pretrained(path)` like upstream (trellis2/models/__init__.py:38-70
@ 5565d24): `<path>.json` + `<path>.safetensors` on disk, else `<repo>/<name>` from the hub, which
the fake does not have (an OSError, as hf_hub_download raises offline)."""

from __future__ import annotations

import os
from typing import Any

from trellis2.fake_control import CONTROL, hub_unavailable
from trellis2.models.fake_networks import (
    FakeDecoder,
    FakeModel,
    FakeShapeDecoder,
    FakeShapeEncoder,
    FakeSLatFlow,
    FakeStructureFlow,
)

__all__ = ["FakeModel", "from_pretrained"]


def from_pretrained(path: str, **kwargs: Any) -> FakeModel:  # upstream's **kwargs: model constructor args
    if not (os.path.exists(f"{path}.json") and os.path.exists(f"{path}.safetensors")):
        raise hub_unavailable(path)
    name = os.path.basename(path)
    CONTROL.record("load_checkpoint", path=path)
    if name.startswith("ss_flow"):
        return FakeStructureFlow(name)
    if name.startswith("ss_dec"):
        return FakeDecoder(name)
    if name.startswith("shape_enc"):
        return FakeShapeEncoder(name)
    if name.startswith("shape_dec"):
        return FakeShapeDecoder(name)
    if name.startswith("tex_dec"):
        return FakeDecoder(name)
    return FakeSLatFlow(name)
