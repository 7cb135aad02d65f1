"""The private base of `ExponentialDecay` and `InverseTimeDecay`."""

from __future__ import annotations

import math
from typing import Any

from cornu.optimizers.schedules.learning_rate_schedule import (
    PythonMathSchedule,
    check_decay_steps,
)


class BaseStepDecay(PythonMathSchedule):
    """A rate decayed by `decay_rate` per `decay_steps` steps.

    Subclasses write `python_value` from `_progress(step)`, the number of
    `decay_steps` periods elapsed (floored with `staircase=True`).
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool,
        name: str,
    ) -> None:
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        check_decay_steps("decay_steps", decay_steps)

    def _progress(self, step: int | float) -> float:
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
