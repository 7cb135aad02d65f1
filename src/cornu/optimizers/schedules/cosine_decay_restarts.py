"""`CosineDecayRestarts`: cosine decay with warm restarts (SGDR)."""

from __future__ import annotations

import math
from typing import Any

from cornu.optimizers.schedules.learning_rate_schedule import (
    PythonMathSchedule,
    check_decay_steps,
)


class CosineDecayRestarts(PythonMathSchedule):
    """A cosine decay that restarts periodically (SGDR, Loshchilov & Hutter).

    The first period lasts `first_decay_steps`; each next period is `t_mul`
    times longer and starts from an initial rate `m_mul` times smaller.

    Args:
        initial_learning_rate: the learning rate at step 0.
        first_decay_steps: the length of the first period; > 0.
        t_mul: the factor by which each period is longer than the last.
        m_mul: the factor applied to the initial rate at each restart.
        alpha: the minimum rate, as a fraction of `initial_learning_rate`.
        name: the schedule's name.

    Returns:
        Called on a step, the learning rate at that step.

    Example:
    >>> s = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    >>> s(0), round(s(5), 6), s(10)
    (1.0, 0.5, 1.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        check_decay_steps("first_decay_steps", self.first_decay_steps)

    def python_value(self, step: int | float) -> float:
        t_mul = self._t_mul
        fraction = step / self.first_decay_steps
        if t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            # Periods grow geometrically: find the period holding `fraction`
            # from the partial sums of the geometric series.
            restart = math.floor(
                math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul)
            )
            done = (1.0 - t_mul**restart) / (1.0 - t_mul)
            fraction = (fraction - done) / t_mul**restart
        cosine = 0.5 * self._m_mul**restart * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
