"""Weight constraints, applied to a weight after each optimizer update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from cornu import config
from cornu.ops.core import convert_to_tensor

Axis = int | Sequence[int]


def _as_float(w: Any) -> torch.Tensor:
    w = convert_to_tensor(w)
    if not (w.is_floating_point() or w.is_complex()):
        w = w.to(config.torch_dtype(config.floatx()))
    return w


def _dim(axis: Axis) -> int | tuple[int, ...]:
    return axis if isinstance(axis, int) else tuple(axis)


def _norms(w: torch.Tensor, axis: Axis) -> torch.Tensor:
    return torch.linalg.vector_norm(w, dim=_dim(axis), keepdim=True)


class Constraint:
    """Base class: `constraint(w)` returns the projected weight.

    The base constraint returns `w` unchanged.

    Example:
    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return w.clamp(-1, 1)
    >>> Clip()(torch.tensor([-3.0, 0.5])).tolist()
    [-1.0, 0.5]
    """

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales weight vectors whose L2 norm exceeds `max_value`.

    Args:
        max_value: the largest norm allowed.
        axis: the axis (or axes) along which norms are taken; for a `Dense`
            kernel `(in, out)`, `axis=0` constrains each unit's input
            weights; for a `Conv2D` kernel use `axis=[0, 1, 2]`.

    Example:
    >>> w = MaxNorm(1.0)(torch.tensor([[3.0], [4.0]]))
    >>> [round(v, 4) for v in w.flatten().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: Any) -> torch.Tensor:
        w = _as_float(w)
        norms = _norms(w, self.axis)
        desired = norms.clamp(0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves weight vectors' L2 norms into `[min_value, max_value]`.

    With `rate < 1` a norm moves only part of the way:
    `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`.

    Args:
        min_value: the smallest norm allowed.
        max_value: the largest norm allowed.
        rate: how far to move toward the allowed range (1 = all the way).
        axis: the axis (or axes) along which norms are taken (see `MaxNorm`).

    Example:
    >>> w = MinMaxNorm(1.0, 2.0)(torch.tensor([[0.3], [0.4]]))
    >>> [round(v, 4) for v in w.flatten().tolist()]
    [0.6, 0.8]
    """

    def __init__(
        self,
        min_value: float = 0.0,
        max_value: float = 1.0,
        rate: float = 1.0,
        axis: Axis = 0,
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: Any) -> torch.Tensor:
        w = _as_float(w)
        norms = _norms(w, self.axis)
        desired = (
            self.rate * norms.clamp(self.min_value, self.max_value)
            + (1 - self.rate) * norms
        )
        return w * (desired / (config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


class NonNeg(Constraint):
    """Sets negative weights to 0.

    Example:
    >>> NonNeg()(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __call__(self, w: Any) -> torch.Tensor:
        return torch.clamp(convert_to_tensor(w), min=0)


class UnitNorm(Constraint):
    """Rescales weight vectors to unit L2 norm.

    Args:
        axis: the axis (or axes) along which norms are taken (see `MaxNorm`).

    Example:
    >>> w = UnitNorm()(torch.tensor([[3.0], [4.0]]))
    >>> [round(v, 4) for v in w.flatten().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> torch.Tensor:
        w = _as_float(w)
        return w / (config.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}
