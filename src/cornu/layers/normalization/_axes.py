"""Axis arguments shared by the normalization layers."""

from __future__ import annotations

from typing import Any


def standardize_axis(layer: str, axis: Any) -> int | list[int]:
    """An int, or a list of ints (from a list or tuple); else a TypeError."""
    if isinstance(axis, (list, tuple)):
        if all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            return list(axis)
    elif isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(
        f"{layer} `axis` must be an int or a list of ints, received: axis={axis!r}."
    )


def resolve_axes(layer: Any, axis: int | list[int], input_shape: Any) -> list[int]:
    """Non-negative, sorted axes; a ValueError naming the layer if out of range."""
    ndim = len(input_shape)
    raw = axis if isinstance(axis, list) else [axis]
    if not all(-ndim <= a < ndim for a in raw):
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}) has axis={axis}, out '
            f"of range for inputs of shape {tuple(input_shape)}."
        )
    return sorted(a % ndim for a in raw)
