"""`CosineDecay`: a cosine decay, with an optional linear warmup."""

from __future__ import annotations

import math
from typing import Any

from cornu.optimizers.schedules.learning_rate_schedule import (
    PythonMathSchedule,
    check_decay_steps,
)


class CosineDecay(PythonMathSchedule):
    """A cosine decay of the learning rate, after an optional linear warmup.

    Without warmup (`warmup_target=None`) the rate decays from
    `initial_learning_rate` to `alpha * initial_learning_rate` over
    `decay_steps`. With warmup it first rises linearly from
    `initial_learning_rate` to `warmup_target` over `warmup_steps`, then
    decays from `warmup_target` over `decay_steps`.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: the length of the decay; > 0.
        alpha: the final rate, as a fraction of the decayed-from rate.
        name: the schedule's name.
        warmup_target: the rate reached at the end of the warmup, or None
            for no warmup.
        warmup_steps: the length of the warmup.

    Returns:
        Called on a step, the learning rate at that step.

    Example:
    >>> s = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=10)
    >>> s(5), s(10), round(s(15), 6), s(20)
    (0.5, 1.0, 0.5, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        check_decay_steps("decay_steps", self.decay_steps)

    def _decay(self, step: float, decay_from: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def python_value(self, step: int | float) -> float:
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return delta * (step / self.warmup_steps) + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }
