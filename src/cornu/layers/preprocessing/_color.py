"""Argument checks shared by the colour augmentations."""

from __future__ import annotations

import numbers
from typing import Any


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_value_range(layer: str, value: Any) -> tuple[float, float]:
    """The `(low, high)` pixel range, sorted."""
    if not (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(_is_number(v) for v in value)
        and value[0] != value[1]
    ):
        raise ValueError(
            f"{layer} `value_range` must be a pair of two distinct numbers, "
            f"received: value_range={value!r}."
        )
    low, high = sorted(value)
    return low, high


def factor_range(
    layer: str, factor: Any, low: float, high: float
) -> tuple[float, float]:
    """Keras's factor: `f` -> `(max(-|f|, low), |f|)`; a pair is sorted.

    Every value must lie in `[low, high]`.
    """
    if isinstance(factor, (tuple, list)) and len(factor) == 2:
        values = sorted(factor) if all(_is_number(f) for f in factor) else []
    elif _is_number(factor) and low <= factor <= high:
        values = [max(-abs(factor), low), abs(factor)]
    else:
        values = []
    if len(values) != 2 or values[0] < low or values[1] > high:
        raise ValueError(
            f"{layer} `factor` must be a number or a pair of numbers in "
            f"[{low}, {high}], received: factor={factor!r}."
        )
    return values[0], values[1]
