"""`Progbar`: Keras's console progress bar."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

# Every line goes through `io_utils.print_msg` (re-exported here for the
# callbacks), so `disable_interactive_logging()` sends it to `logging`.
from cornu.utils.io_utils import print_msg

__all__ = ["Progbar", "format_number", "is_interactive", "print_msg"]

# ANSI styles, as Keras prints them. Each styled run costs invisible
# characters that must not count towards the width used to redraw the line.
_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_GREY = "\x1b[37m"
_RESET = "\x1b[0m"


def is_interactive() -> bool:
    """Whether stdout can redraw a line in place (a terminal or a notebook).

    Unlike Keras, a plain POSIX process writing to a file or a pipe is not
    interactive: redrawing there floods logs with carriage returns.
    """
    stdout = sys.stdout
    isatty = getattr(stdout, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def format_number(value: float) -> str:
    """Formats a metric the way Keras's progress bar does."""
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


class Progbar:
    """Displays a progress bar.

    With neither `stateful_metrics` nor `stateless_metrics` given, every
    metric is averaged over the steps before display.

    Args:
        target: total number of steps expected, `None` if unknown.
        width: width of the bar, in characters.
        verbose: 0 (silent), 1 (a bar redrawn in place) or 2 (one line when
            the target is reached).
        interval: minimum number of seconds between two redraws.
        stateful_metrics: names of metrics displayed as given (not averaged).
            Give at most one of `stateful_metrics` and `stateless_metrics`.
        stateless_metrics: names of the only metrics that are averaged; all
            others are displayed as given.
        unit_name: what a step counts, e.g. `"step"` or `"sample"`.

    Example:
    >>> bar = Progbar(target=3, verbose=2)
    >>> for step in range(1, 4):
    ...     bar.update(step, [("loss", 0.5)])  # doctest: +ELLIPSIS
    3/3 - 0s - ...s/step - loss: 0.5000
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be "
                "provided. Received: "
                f"stateful_metrics={stateful_metrics}, "
                f"stateless_metrics={stateless_metrics}"
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        # Exactly one of the two sets is not None: it is the exception list.
        self.stateful_metrics: set[str] | None
        self.stateless_metrics: set[str] | None
        if stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
            self.stateless_metrics = None

        self._dynamic_display = is_interactive()
        self._seen_so_far = 0
        # name -> [weighted sum, weight]; dict order is display order.
        self._values: dict[str, list[Any]] = {}
        self._start = time.monotonic()
        self._last_update = -math.inf
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    def _due(self, now: float | None = None) -> bool:
        """Whether an update now would redraw (the interval has passed)."""
        if now is None:
            now = time.monotonic()
        return now - self._last_update >= self.interval

    def _is_averaged(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics  # type: ignore[operator]

    def update(
        self,
        current: int,
        values: Iterable[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Moves the bar to step `current`.

        Args:
            current: index of the current step (1-based count of steps done).
            values: `(name, value_for_last_step)` pairs. Averaged metrics
                are weighted by the number of steps since the last update.
            finalize: whether this is the last update; `None` means
                `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target

        for name, value in values or ():
            if self._is_averaged(name) and not finalize:
                # Steps since the last update weigh this value; at least 1
                # so a repeated `current` (first epoch, unknown target)
                # still counts.
                weight = max(current - self._seen_so_far, 1)
                entry = self._values.get(name)
                if entry is None:
                    self._values[name] = [value * weight, weight]
                else:
                    entry[0] += value * weight
                    entry[1] += weight
            else:
                # A final value is already an average over the whole run.
                self._values[name] = [value, 1]
        self._seen_so_far = current

        now = time.monotonic()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            self._print_bar(current, now, time_per_unit, finalize)
        elif self.verbose == 2:
            if finalize and self.target is not None and self.target > 0:
                digits = int(math.log10(self.target)) + 1
                line = f"{current:{digits}d}/{self.target} - "
                line += f"{now - self._start:.0f}s -"
                line += self._format_time(time_per_unit, self.unit_name)
                line += self._format_values()
                print_msg(line)
        self._last_update = now

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _print_bar(
        self, current: int, now: float, time_per_unit: float, finalize: bool
    ) -> None:
        # `visible` counts the characters the terminal shows, so the next
        # redraw erases exactly this line.
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            count = f"{current:{digits}d}/{self.target}"
            done = min(int(self.width * current / self.target), self.width)
            bar = f"{_BOLD}{count}{_RESET} "
            if done > 0:
                bar += f"{_GREEN}{'━' * done}{_RESET}"
            bar += f"{_GREY}{'━' * (self.width - done)}{_RESET}"
            visible = len(count) + 1 + self.width
        else:
            bar = f"{current:7d}/Unknown"
            visible = len(bar)

        if self.target is not None and self.target > 0 and not finalize:
            clock = _format_eta(time_per_unit * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        info = f" {_BOLD}{clock}{_RESET}"
        info += self._format_time(time_per_unit, self.unit_name)
        info += self._format_values()
        visible += len(info) - len(_BOLD) - len(_RESET)

        if self._dynamic_display:
            message = "\b" * self._prev_total_width + "\r"
        else:
            message = "\n"
        message += bar + info
        if self._prev_total_width > visible:
            message += " " * (self._prev_total_width - visible)
        if finalize:
            message += "\n"
        print_msg(message, line_break=False)
        self._prev_total_width = visible

    def _format_values(self) -> str:
        out = ""
        for name, (total, count) in self._values.items():
            if not isinstance(total, float):
                total = float(np.mean(total))
            out += f" - {name}: {format_number(total / max(1, count))}"
        return out

    @staticmethod
    def _format_time(time_per_unit: float, unit_name: str) -> str:
        """Formats a duration per unit, e.g. `" 12ms/step"`."""
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
        return f" {time_per_unit * 1e6:.0f}us/{unit_name}"

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step; the first step (often slow: warm-up, compile)
        is left out of the estimate once later steps exist."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"
