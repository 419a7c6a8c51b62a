"""Fake `trellis2.pipelines.base.Pipeline` (pipelines/base.py @ 5565d24): from_pretrained reads
`<path>/<config_file>` when it exists (else the hub, which the fake lacks), loads each model of
`model_names_to_load` from `<path>/<ref>` and else `<ref>`, and keeps the config's args."""

from __future__ import annotations

import json
import os
from typing import Any

import torch

from trellis2 import models
from trellis2.fake_control import CONTROL, hub_unavailable


class Pipeline:
    model_names_to_load: list[str] = []  # noqa: RUF012 (upstream's class attribute)

    def __init__(self, models: dict[str, Any] | None = None) -> None:
        if models is None:
            return
        self.models = models
        for model in self.models.values():
            model.eval()

    @classmethod
    def from_pretrained(cls, path: str, config_file: str = "pipeline.json") -> Any:
        CONTROL.record("from_pretrained", path=path, config_file=config_file)
        if not os.path.exists(f"{path}/{config_file}"):
            raise hub_unavailable(f"{path}/{config_file}")
        with open(f"{path}/{config_file}", encoding="utf-8") as file:
            args = json.load(file)["args"]
        loaded: dict[str, Any] = {}
        for key, reference in args["models"].items():
            if key not in cls.model_names_to_load:
                continue
            try:
                loaded[key] = models.from_pretrained(f"{path}/{reference}")
            except Exception:
                loaded[key] = models.from_pretrained(reference)
        pipeline = cls(loaded)
        pipeline._pretrained_args = args
        return pipeline

    @property
    def device(self) -> Any:
        return self._device

    def to(self, device: Any) -> None:
        for model in self.models.values():
            model.to(device)

    def cuda(self) -> None:
        CONTROL.record("cuda", low_vram=getattr(self, "low_vram", None))
        self.to(torch.device("cuda"))

    def cpu(self) -> None:
        self.to(torch.device("cpu"))
