"""`InverseTimeDecay`: `lr / (1 + decay_rate * step / decay_steps)`."""

from __future__ import annotations

from cornu.optimizers.schedules.base_step_decay import BaseStepDecay


class InverseTimeDecay(BaseStepDecay):
    """Decays the learning rate as the inverse of the step.

    `initial_learning_rate / (1 + decay_rate * step / decay_steps)`; with
    `staircase=True` the ratio `step / decay_steps` is floored.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: how often to apply the decay; > 0.
        decay_rate: the decay factor.
        staircase: whether to decay at discrete intervals.
        name: the schedule's name.

    Returns:
        Called on a step, the learning rate at that step.

    Example:
    >>> s = InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> round(s(2), 6)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        super().__init__(
            initial_learning_rate, decay_steps, decay_rate, staircase, name
        )

    def python_value(self, step: int | float) -> float:
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))
