"""`PiecewiseConstantDecay`: a constant learning rate per interval of steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cornu.optimizers.schedules.learning_rate_schedule import PythonMathSchedule


class PiecewiseConstantDecay(PythonMathSchedule):
    """A piecewise constant learning rate.

    `values[0]` while `step <= boundaries[0]`, `values[i]` while
    `boundaries[i-1] < step <= boundaries[i]`, and `values[-1]` after the last
    boundary.

    Args:
        boundaries: increasing step boundaries; one fewer than `values`.
        values: the learning rate in each interval.
        name: the schedule's name.

    Returns:
        Called on a step, the learning rate at that step.

    Example:
    >>> s = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> s(100), s(101), s(500)
    (1.0, 0.5, 0.1)
    """

    def __init__(
        self,
        boundaries: Sequence[float],
        values: Sequence[float],
        name: str = "PiecewiseConstant",
    ) -> None:
        super().__init__()
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of "
                f"values. Received: boundaries={boundaries} of length "
                f"{len(boundaries)}, and values={values} "
                f"of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def python_value(self, step: int | float) -> Any:
        boundaries = list(self.boundaries)
        if isinstance(step, int):
            # Keras casts the boundaries to the step's (integer) dtype.
            boundaries = [int(b) for b in boundaries]
        values = self.values
        # A sum of indicator terms, as Keras computes it, so that unsorted
        # boundaries give the same (odd) result as in Keras.
        result = 0 * values[0]
        if step <= boundaries[0]:
            result += values[0]
        if step > boundaries[-1]:
            result += values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            if low < step <= high:
                result += value
        return result

    def get_config(self) -> dict[str, Any]:
        return {
            "boundaries": self.boundaries,
            "values": self.values,
            "name": self.name,
        }
