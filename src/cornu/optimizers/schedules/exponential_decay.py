"""`ExponentialDecay`: `lr * decay_rate ** (step / decay_steps)`."""

from __future__ import annotations

from cornu.optimizers.schedules.base_step_decay import BaseStepDecay


class ExponentialDecay(BaseStepDecay):
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
        super().__init__(
            initial_learning_rate, decay_steps, decay_rate, staircase, name
        )

    def python_value(self, step: int | float) -> float:
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)
