"""Fake flow samplers: upstream's classes, signatures and step loop (samplers/flow_euler.py and
the guidance mixins @ 5565d24), no model maths.

Keyword arguments travel as upstream's do: `sample` takes `**kwargs`, the guidance mixins take
`neg_cond`, `guidance_strength`, `guidance_interval` and `guidance_rescale`, and whatever is left
reaches the model's forward, whose own signature decides (the sparse-structure flow refuses any
extra name, as upstream's does). Like upstream, the loop goes through the module-level name
`tqdm`, which the engine swaps for its progress reporter during a job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from trellis2.fake_control import CONTROL

T = TypeVar("T")


def tqdm(iterable: Iterable[T], desc: str | None = None, disable: bool = False) -> Iterable[T]:
    """Upstream imports tqdm.tqdm and calls it as tqdm(t_pairs, desc=..., disable=...)."""
    return iterable


@dataclass
class SampleResult:
    samples: Any
    pred_x_t: list[Any] = field(default_factory=list)
    pred_x_0: list[Any] = field(default_factory=list)


class FlowEulerSampler:
    def __init__(self, sigma_min: float) -> None:
        self.sigma_min = sigma_min

    def _inference_model(self, model: Any, x_t: Any, t: float, cond: Any = None, **kwargs: Any) -> Any:
        return model(x_t, t, cond, **kwargs)

    def sample(  # noqa: PLR0917 (upstream's signature)
        self,
        model: Any,
        noise: Any,
        cond: Any = None,
        steps: int = 50,
        rescale_t: float = 1.0,
        verbose: bool = True,
        tqdm_desc: str = "Sampling",
        **kwargs: Any,
    ) -> SampleResult:
        t_seq = [1 - i / steps for i in range(steps + 1)]
        t_seq = [rescale_t * t / (1 + (rescale_t - 1) * t) for t in t_seq]
        t_pairs = [(t_seq[i], t_seq[i + 1]) for i in range(steps)]
        sample = noise
        activations: list[object] = []  # freed when the pass ends, or with the traceback
        for step, (t, _) in enumerate(tqdm(t_pairs, desc=tqdm_desc, disable=not verbose)):
            sample = self._inference_model(model, sample, t, cond, **kwargs)
            CONTROL.cuda_error_if_asked()
            CONTROL.steps.append((tqdm_desc, step, steps))
            if CONTROL.step_hook is not None:
                activations.append(CONTROL.step_hook(tqdm_desc, step, steps))
        return SampleResult(samples=sample)


class FlowEulerGuidanceIntervalSampler(FlowEulerSampler):
    def _inference_model(  # type: ignore[override]  # noqa: PLR0917 (upstream's mixin chain)
        self,
        model: Any,
        x_t: Any,
        t: float,
        cond: Any,
        neg_cond: Any,
        guidance_strength: float,
        guidance_interval: tuple[float, float],
        guidance_rescale: float = 0.0,
        **kwargs: Any,
    ) -> Any:
        strength = guidance_strength if guidance_interval[0] <= t <= guidance_interval[1] else 1
        if strength == 1:
            return model(x_t, t, cond, **kwargs)
        if strength == 0:
            return model(x_t, t, neg_cond, **kwargs)
        model(x_t, t, cond, **kwargs)
        return model(x_t, t, neg_cond, **kwargs)

    def sample(  # noqa: PLR0917 (upstream's signature)
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
        **kwargs: Any,
    ) -> SampleResult:
        return super().sample(
            model,
            noise,
            cond,
            steps,
            rescale_t,
            verbose,
            neg_cond=neg_cond,
            guidance_strength=guidance_strength,
            guidance_interval=guidance_interval,
            **kwargs,
        )
