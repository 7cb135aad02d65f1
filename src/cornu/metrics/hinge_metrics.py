"""Hinge metrics: running means of the hinge losses."""

from __future__ import annotations

from typing import Any

from cornu.metrics.reduction_metrics import _LossMean


class Hinge(_LossMean):
    """The mean hinge loss `max(1 - y_true * y_pred, 0)`.

    Labels in {0, 1} are mapped to {-1, 1}.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = Hinge()
    >>> m.update_state([[0.0, 1.0]], [[-1.0, 1.0]])
    >>> float(m.result())
    0.0
    """

    _loss = "hinge"

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_LossMean):
    """The mean squared hinge loss `square(max(1 - y_true * y_pred, 0))`.

    Labels in {0, 1} are mapped to {-1, 1}.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = SquaredHinge()
    >>> m.update_state([[0.0, 1.0]], [[0.0, 0.0]])
    >>> float(m.result())
    1.0
    """

    _loss = "squared_hinge"

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_LossMean):
    """The mean categorical hinge loss `max(0, neg - pos + 1)`.

    `pos = sum(y_true * y_pred)`, `neg = max((1 - y_true) * y_pred)`.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = CategoricalHinge()
    >>> m.update_state([[0.0, 1.0]], [[0.0, 1.0]])
    >>> float(m.result())
    0.0
    """

    _loss = "categorical_hinge"

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
