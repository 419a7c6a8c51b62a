"""What a test (or the device check) steers in the fake TRELLIS.2, and what it records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeControl:
    # (function name, keyword arguments) in call order: from_pretrained, run, to_glb, export ...
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Every sampler step: (tqdm_desc, step index, steps in the pass).
    steps: list[tuple[str, int, int]] = field(default_factory=list)
    # Called at every sampler step with (tqdm_desc, step, steps); what it returns is held until
    # the pass ends, like activations (the device check allocates real CUDA tensors here).
    step_hook: Callable[[str, int, int], object] | None = None
    # Called at each to_glb stage with the stage's description.
    export_hook: Callable[[str], None] | None = None
    # Makes each model's weights: None in unit tests; real tensors in the device check.
    make_weight: Callable[[str], Any] | None = None
    rembg_calls: int = 0
    # Every model built by from_pretrained, by name, to check where each one lives.
    models: dict[str, Any] = field(default_factory=dict)

    def record(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))

    def calls_named(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


CONTROL = FakeControl()
