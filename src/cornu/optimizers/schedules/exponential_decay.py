"""`ExponentialDecay`: `lr * decay_rate ** (step / decay_steps)`."""

from __future__ import annotations

import math
from typing import Any

from cornu.optimizers.schedules.learning_rate_schedule import PythonMathSchedule


class ExponentialDecay(PythonMathSchedule):
    """Decays the learning rate exponentially with the step.

    `initial_learning_rate * decay_rate ** (step / decay_steps)`; with
    `staircase=True` the exponent is floored, so the rate drops in steps.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: the number of steps per decay by `decay_rate`; > 0.
        decay_rate: the decay factor.
        staircase: whether to decay at discrete intervals.
        name: the schedule's name.

    Returns:
        Called on a step, the learning rate at that step.

    Example:
    >>> s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(s(20), 6)
    0.025
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        if self.decay_steps <= 0:
            raise ValueError(
                "Argument `decay_steps` must be > 0. "
                f"Received: decay_steps={self.decay_steps}"
            )

    def python_value(self, step: int | float) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate**p

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
