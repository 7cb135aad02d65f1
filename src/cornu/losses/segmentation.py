"""Overlap losses for image segmentation: Dice and Tversky."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from cornu import config
from cornu.losses._utils import float_pair
from cornu.losses.loss import _BuiltinLoss

Tensor = torch.Tensor
Axis = int | Sequence[int] | None


def _dims(axis: Axis) -> int | tuple[int, ...] | None:
    # Configs read back from JSON hold lists; torch wants an int or a tuple.
    return tuple(axis) if isinstance(axis, Sequence) else axis


def dice(y_true: Any, y_pred: Any, axis: Axis = None) -> Tensor:
    """Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))`.

    Args:
        y_true: Target masks.
        y_pred: Predicted masks, same shape.
        axis: The axes the sums run over; `None` (default) sums everything
            and returns one value.

    Returns:
        Losses with `axis` reduced.

    Example:
    >>> import torch
    >>> y = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    >>> out = dice(y, torch.tensor([[1.0, 0.0, 1.0, 0.0]]), axis=(1,))
    >>> round(float(out[0]), 4)
    0.5
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    dims = _dims(axis)
    intersection = (y_true * y_pred).sum(dim=dims)
    union = y_true.sum(dim=dims) + y_pred.sum(dim=dims) + config.epsilon()
    return 1.0 - 2.0 * intersection / union


def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Axis = None
) -> Tensor:
    """Tversky loss: `1 - TP / (TP + alpha * FP + beta * FN)` (Salehi et al., 2017).

    With `alpha = beta = 0.5` it equals the Dice loss.

    Args:
        y_true: Target masks.
        y_pred: Predicted masks, same shape.
        alpha: Weight of false positives. Defaults to `0.5`.
        beta: Weight of false negatives. Defaults to `0.5`.
        axis: The axes the sums run over; `None` (default) sums everything.

    Returns:
        Losses with `axis` reduced.

    Example:
    >>> import torch
    >>> y = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    >>> out = tversky(y, torch.tensor([[1.0, 0.0, 1.0, 0.0]]), axis=(1,))
    >>> round(float(out[0]), 4)
    0.5
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    dims = _dims(axis)
    # As in Keras, "positives" count through y_true's mass: `fp` weighs
    # y_true where y_pred is off, `fn` weighs y_pred where y_true is off.
    tp = (y_true * y_pred).sum(dim=dims)
    fp = ((1.0 - y_pred) * y_true).sum(dim=dims)
    fn = (y_pred * (1.0 - y_true)).sum(dim=dims)
    return 1.0 - tp / (tp + alpha * fp + beta * fn + config.epsilon())


class Dice(_BuiltinLoss):
    """Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))`.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"dice"`.
        axis: The axes the sums run over; `None` (default) sums everything.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> y = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    >>> round(float(Dice()(y, y)), 4)
    0.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "dice",
        axis: Axis = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(_BuiltinLoss):
    """Tversky loss, weighing false positives by `alpha`, false negatives by `beta`.

    Args:
        alpha: Weight of false positives. Defaults to `0.5`.
        beta: Weight of false negatives. Defaults to `0.5`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"tversky"`.
        axis: The axes the sums run over; `None` (default) sums everything.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> y = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    >>> round(float(Tversky(alpha=0.3, beta=0.7)(y, y)), 4)
    0.0
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "tversky",
        axis: Axis = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            tversky,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            beta=beta,
            axis=axis,
        )
