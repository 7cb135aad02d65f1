"""`PolynomialDecay`: a polynomial ramp from the initial to the end rate."""

from __future__ import annotations

import math
from typing import Any

from cornu.optimizers.schedules.learning_rate_schedule import (
    PythonMathSchedule,
    check_decay_steps,
)


class PolynomialDecay(PythonMathSchedule):
    """Decays the learning rate polynomially to `end_learning_rate`.

    `(initial - end) * (1 - step / decay_steps) ** power + end`, with the step
    clipped at `decay_steps`. With `cycle=True` the decay restarts instead:
    `decay_steps` is multiplied by `ceil(step / decay_steps)`.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: the length of the decay; > 0.
        end_learning_rate: the learning rate reached after `decay_steps`.
        power: the power of the polynomial (1.0 is linear).
        cycle: whether to cycle beyond `decay_steps`.
        name: the schedule's name.

    Returns:
        Called on a step, the learning rate at that step.

    Example:
    >>> s = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> round(s(5), 6)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        check_decay_steps("decay_steps", self.decay_steps)

    def python_value(self, step: int | float) -> float:
        decay_steps = float(self.decay_steps)
        if self.cycle:
            multiplier = 1.0 if step == 0 else math.ceil(step / self.decay_steps)
            decay_steps *= multiplier
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1 - p) ** self.power + self.end_learning_rate

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }
