"""`MonitorCallback`: shared logic of callbacks that watch a metric."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable
from typing import Any

from cornu.callbacks.callback import Callback


class MonitorCallback(Callback):
    """Base of callbacks that act when a monitored metric improves or not.

    Args:
        monitor: name of the metric to watch, e.g. `"val_loss"`.
        mode: `"min"`, `"max"`, or `"auto"` (inferred: losses are minimized,
            metrics go the way their `_direction` says).
        baseline: initial best value; `None` takes the first value seen.
        min_delta: smallest change that counts as an improvement.

    Example:
    >>> monitor = MonitorCallback(monitor="loss", mode="min", min_delta=0.1)
    >>> monitor._set_monitor_op()
    >>> monitor._is_improvement(0.85, 1.0), monitor._is_improvement(0.95, 1.0)
    (True, False)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to "
                "auto mode.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Callable[[Any, Any], bool] | None = None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            direction = _metric_direction(self.model, name)
            if direction is not None:
                self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received "
                    f"monitor={self.monitor}, but cannot tell whether that "
                    "metric should be maximized or minimized. Pass "
                    "`mode='max'` to monitor based on the highest value, or "
                    "`mode='min'` for the lowest value."
                )
        if self.monitor_op is operator.lt:
            # Improving means going down by at least `min_delta`.
            self.min_delta = -abs(self.min_delta)

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> bool:
        if reference_value is None:
            return True
        assert self.monitor_op is not None
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


def _metric_direction(model: Any, name: str) -> str | None:
    """The `_direction` ("up"/"down") of the model's metric called `name`."""
    pending = list(getattr(model, "metrics", None) or [])
    while pending:
        metric = pending.pop(0)
        # Compile-time containers hold the user's metrics in `metrics`.
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            pending.extend(inner)
        if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
            return metric._direction
    return None
