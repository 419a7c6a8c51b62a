"""Fake flow sampler: upstream's step loop (flow_euler.py:114-126) with no model maths.

Like upstream, the loop goes through the module-level name `tqdm`, which the engine swaps for
its progress reporter during a job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from trellis2.fake_control import CONTROL

T = TypeVar("T")


def tqdm(iterable: Iterable[T], desc: str | None = None, disable: bool = False, **kwargs: Any) -> Iterable[T]:
    """Upstream imports tqdm.tqdm; a silent pass-through is enough here."""
    return iterable


@dataclass
class SampleResult:
    samples: Any


class FlowEulerGuidanceIntervalSampler:
    def __init__(self, sigma_min: float) -> None:
        self.sigma_min = sigma_min

    def sample(  # noqa: PLR0917 (upstream's signature, positional parameters included)
        self,
        model: Any,
        noise: Any,
        cond: Any,
        neg_cond: Any,
        steps: int = 50,
        rescale_t: float = 1.0,
        guidance_strength: float = 3.0,
        guidance_interval: tuple[float, float] = (0.0, 1.0),
        verbose: bool = True,
        tqdm_desc: str = "Sampling",
        **kwargs: Any,
    ) -> SampleResult:
        t_pairs = [(1 - i / steps, 1 - (i + 1) / steps) for i in range(steps)]
        activations: list[object] = []  # freed when the pass ends, or with the traceback
        for step, _ in enumerate(tqdm(t_pairs, desc=tqdm_desc, disable=not verbose)):
            CONTROL.steps.append((tqdm_desc, step, steps))
            if CONTROL.step_hook is not None:
                activations.append(CONTROL.step_hook(tqdm_desc, step, steps))
        return SampleResult(samples=noise)
