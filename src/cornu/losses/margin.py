"""Hinge losses, for maximum-margin classifiers: hinge, squared hinge, categorical."""

from __future__ import annotations

from typing import Any

import torch

from cornu.losses._utils import float_pair
from cornu.losses.loss import _BuiltinLoss

Tensor = torch.Tensor


def convert_binary_labels_to_hinge(y_true: Tensor) -> Tensor:
    """Maps labels in `{0, 1}` to `{-1, 1}`; other labels pass unchanged.

    The choice is made on the device (`torch.where` on an all-reduce), so it
    never waits for the values to reach the host.
    """
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def _margin_violation(y_true: Any, y_pred: Any) -> Tensor:
    # `maximum(1 - y_true * y_pred, 0)`, with labels in {0, 1} mapped to {-1, 1}.
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return (1.0 - y_true * y_pred).clamp_min(0.0)


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Hinge loss: `mean(maximum(1 - y_true * y_pred, 0), -1)`.

    Args:
        y_true: Labels in `{-1, 1}` (labels in `{0, 1}` are converted),
            shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> hinge(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))
    tensor([1.])
    """
    return _margin_violation(y_true, y_pred).mean(dim=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Squared hinge loss: `mean(maximum(1 - y_true * y_pred, 0)**2, -1)`.

    Args:
        y_true: Labels in `{-1, 1}` (labels in `{0, 1}` are converted),
            shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> squared_hinge(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))
    tensor([1.2500])
    """
    return _margin_violation(y_true, y_pred).square().mean(dim=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Categorical hinge loss: `maximum(neg - pos + 1, 0)`.

    `pos = sum(y_true * y_pred, -1)` is the score of the true class and
    `neg = max((1 - y_true) * y_pred, -1)` the best score of the others.

    Args:
        y_true: One-hot labels, shape `(batch_size, ..., num_classes)`.
        y_pred: Scores, same shape.

    Returns:
        Losses with the last axis reduced.

    Example:
    >>> import torch
    >>> categorical_hinge(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.75, 0.5]]))
    tensor([1.2500])
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    pos = (y_true * y_pred).sum(dim=-1)
    neg = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return (neg - pos + 1.0).clamp_min(0.0)


class Hinge(_BuiltinLoss):
    """Hinge loss: `maximum(1 - y_true * y_pred, 0)`.

    Labels are expected in `{-1, 1}`; labels in `{0, 1}` are converted.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"hinge"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = Hinge()
    >>> float(loss(torch.tensor([[1.0, -1.0]]), torch.tensor([[2.0, -3.0]])))
    0.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "hinge",
        dtype: Any = None,
    ) -> None:
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(_BuiltinLoss):
    """Squared hinge loss: `maximum(1 - y_true * y_pred, 0)**2`.

    Labels are expected in `{-1, 1}`; labels in `{0, 1}` are converted.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"squared_hinge"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = SquaredHinge()
    >>> float(loss(torch.tensor([[1.0]]), torch.tensor([[0.5]])))
    0.25
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "squared_hinge",
        dtype: Any = None,
    ) -> None:
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(_BuiltinLoss):
    """Categorical hinge loss: `maximum(neg - pos + 1, 0)`.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"categorical_hinge"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = CategoricalHinge()
    >>> float(loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.75, 0.5]])))
    1.25
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_hinge",
        dtype: Any = None,
    ) -> None:
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)
