"""Weight penalties: L1, L2, L1L2 and orthogonality."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from cornu import config


def _non_negative(value: Any, name: str) -> float:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


class Regularizer:
    """Base class of penalties: `regularizer(weight)` returns a scalar loss.

    Subclasses implement `__call__(x)` and `get_config()`.

    Example:
    >>> class Sum(Regularizer):
    ...     def __call__(self, x):
    ...         return x.sum()
    ...     def get_config(self):
    ...         return {}
    >>> float(Sum()(torch.ones(3)))
    3.0
    """

    def __call__(self, x: torch.Tensor) -> Any:
        return 0.0

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x ** 2)`.

    Args:
        l1: the L1 factor (default 0; `None` also means 0).
        l2: the L2 factor (default 0).

    Example:
    >>> float(L1L2(l1=0.5, l2=0.25)(torch.tensor([1.0, -2.0])))
    2.75
    """

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = _non_negative(0.0 if l1 is None else l1, "l1")
        self.l2 = _non_negative(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.l1 and self.l2:
            return self.l1 * x.abs().sum() + self.l2 * x.square().sum()
        if self.l1:
            return self.l1 * x.abs().sum()
        if self.l2:
            return self.l2 * x.square().sum()
        return torch.zeros((), dtype=x.dtype, device=x.device)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """`l1 * sum(|x|)`.

    Args:
        l1: the factor (default 0.01; `None` also means 0.01).

    Example:
    >>> float(L1(0.5)(torch.tensor([1.0, -2.0])))
    1.5
    """

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = _non_negative(0.01 if l1 is None else l1, "l1")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l1 * x.abs().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(x ** 2)`.

    Args:
        l2: the factor (default 0.01; `None` also means 0.01).

    Example:
    >>> float(L2(0.5)(torch.tensor([1.0, -2.0])))
    2.5
    """

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = _non_negative(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2 * x.square().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2-D weight.

    The penalty is `factor * 0.5 * mean(|cos|)` over all pairs of distinct
    rows (or columns), where `cos` is their cosine similarity.

    Args:
        factor: the penalty factor.
        mode: `"rows"` or `"columns"`: which vectors should be orthogonal.

    Example:
    >>> float(OrthogonalRegularizer(1.0)(torch.eye(3)))
    0.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _non_negative(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f'{{"rows", "columns"}}. Received: mode={mode!r}'
            )
        self.mode = mode

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(x.shape)}"
            )
        if self.mode == "columns":
            x = x.T
        x = F.normalize(x, dim=1, eps=config.epsilon())
        size = x.shape[0]
        diagonal = torch.eye(size, dtype=torch.bool, device=x.device)
        # Each unit vector's product with itself is 1, not a penalty.
        cosines = (x @ x.T).masked_fill(diagonal, 0.0)
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * cosines.abs().sum() / num_pairs

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}
