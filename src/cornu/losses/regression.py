"""Regression losses: squared, absolute, percentage and logarithmic errors,
cosine similarity, Huber and log-cosh.

Each function returns one value per sample (the mean over the last axis, as in
Keras); each class wraps its function with a reduction.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from cornu import config
from cornu.losses._utils import float_pair
from cornu.losses.loss import _BuiltinLoss, squeeze_or_expand_to_same_rank

Tensor = torch.Tensor
_LOG2 = math.log(2.0)


def _pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_true, y_pred = float_pair(y_true, y_pred)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean of squared errors over the last axis: `mean((y_true - y_pred)**2, -1)`.

    Args:
        y_true: Targets, shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> mean_squared_error(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
    tensor([0.5000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_true - y_pred).square().mean(dim=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean of absolute errors over the last axis: `mean(abs(y_true - y_pred), -1)`.

    Args:
        y_true: Targets, shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> mean_absolute_error(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 3.0]]))
    tensor([1.5000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_true - y_pred).abs().mean(dim=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """`100 * mean(abs((y_true - y_pred) / y_true), -1)`.

    `abs(y_true)` is floored at `keras.config.epsilon()` so zeros do not
    divide by zero.

    Args:
        y_true: Targets, shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> mean_absolute_percentage_error(
    ...     torch.tensor([[2.0, 4.0]]), torch.tensor([[1.0, 5.0]]))
    tensor([37.5000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    diff = (y_true - y_pred) / y_true.abs().clamp_min(config.epsilon())
    return 100.0 * diff.abs().mean(dim=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """`mean((log(y_true + 1) - log(y_pred + 1))**2, -1)`.

    Values below `keras.config.epsilon()` are raised to it first.

    Args:
        y_true: Targets, shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch, math
    >>> out = mean_squared_logarithmic_error(
    ...     torch.tensor([[math.e - 1]]), torch.tensor([[0.0]]))
    >>> round(float(out[0]), 4)
    1.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    eps = config.epsilon()
    first = torch.log1p(y_pred.clamp_min(eps))
    second = torch.log1p(y_true.clamp_min(eps))
    return (first - second).square().mean(dim=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Negative cosine similarity: `-sum(l2_norm(y_true) * l2_norm(y_pred), axis)`.

    Values lie in `[-1, 1]`; -1 means same direction. A zero vector gives 0.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: The axis along which similarity is computed. Defaults to `-1`.

    Returns:
        Losses with `axis` reduced.

    Example:
    >>> import torch
    >>> cosine_similarity(torch.tensor([[1.0, 0.0], [0.0, 1.0]]),
    ...                   torch.tensor([[2.0, 0.0], [1.0, 0.0]]))
    tensor([-1., -0.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    eps = config.epsilon()
    # x / max(||x||, eps): Keras's normalization, with a finite gradient at 0.
    y_true = F.normalize(y_true, dim=axis, eps=eps)
    y_pred = F.normalize(y_pred, dim=axis, eps=eps)
    return -(y_true * y_pred).sum(dim=axis)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Huber loss, the mean over the last axis of, per error `x = y_pred - y_true`:

    `0.5 * x**2` where `abs(x) <= delta`, else `delta * abs(x) - 0.5 * delta**2`.

    Args:
        y_true: Targets, shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, same shape.
        delta: Where the loss turns from quadratic to linear. Defaults to `1.0`.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> huber(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.5, 3.0]]))
    tensor([1.3125])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if isinstance(delta, (int, float)) and delta > 0 and y_true.shape == y_pred.shape:
        return F.huber_loss(y_pred, y_true, reduction="none", delta=delta).mean(dim=-1)
    # Quadratic part up to delta, linear beyond: equal to Keras's two branches
    # for every delta, including zero and negative ones.
    abs_error = (y_pred - y_true).abs()
    quadratic = torch.minimum(abs_error, torch.as_tensor(delta, dtype=abs_error.dtype))
    linear = abs_error - quadratic
    return (0.5 * quadratic.square() + delta * linear).mean(dim=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """Mean over the last axis of `log(cosh(y_pred - y_true))`.

    Computed as `x + softplus(-2x) - log(2)`, which does not overflow for
    large errors. It behaves like `x**2 / 2` for small errors and like
    `abs(x) - log(2)` for large ones.

    Args:
        y_true: Targets, shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> out = log_cosh(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, 1.0]]))
    >>> round(float(out[0]), 4)
    0.2169
    """
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - _LOG2).mean(dim=-1)


class MeanSquaredError(_BuiltinLoss):
    """Mean of squares of errors: `mean((y_true - y_pred)**2)`.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"mean_squared_error"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = MeanSquaredError()
    >>> round(float(loss(torch.tensor([1.0, 0.0, 1.0]),
    ...                  torch.tensor([0.9, 0.1, 0.8]))), 4)
    0.02
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            mean_squared_error, name=name, reduction=reduction, dtype=dtype
        )

    def _fused(self, y_true: Tensor, y_pred: Tensor) -> Tensor | None:
        if self.reduction == "sum":
            return None
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if y_true.shape != y_pred.shape or y_pred.numel() == 0 or y_pred.ndim == 0:
            return None
        # The mean of per-row means over equal rows is the overall mean.
        return F.mse_loss(y_pred, y_true)


class MeanAbsoluteError(_BuiltinLoss):
    """Mean of absolute errors: `mean(abs(y_true - y_pred))`.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"mean_absolute_error"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = MeanAbsoluteError()
    >>> round(float(loss(torch.tensor([1.0, 0.3, 1.0]),
    ...                  torch.tensor([1.9, 0.3, 1.8]))), 4)
    0.5667
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            mean_absolute_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanAbsolutePercentageError(_BuiltinLoss):
    """Mean absolute percentage error: `100 * mean(abs((y_true - y_pred) / y_true))`.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to
            `"mean_absolute_percentage_error"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = MeanAbsolutePercentageError()
    >>> round(float(loss(torch.tensor([100.0, 200.0, 300.0]),
    ...                  torch.tensor([90.0, 210.0, 310.0]))), 4)
    6.1111
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanSquaredLogarithmicError(_BuiltinLoss):
    """Mean squared logarithmic error: `mean((log(y_true + 1) - log(y_pred + 1))**2)`.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to
            `"mean_squared_logarithmic_error"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = MeanSquaredLogarithmicError()
    >>> float(loss(torch.tensor([[1.0]]), torch.tensor([[1.0]])))
    0.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_logarithmic_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype
        )


class CosineSimilarity(_BuiltinLoss):
    """Negative cosine similarity between targets and predictions.

    Args:
        axis: The axis along which similarity is computed. Defaults to `-1`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"cosine_similarity"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = CosineSimilarity()
    >>> float(loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 3.0]])))
    -1.0
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: Any = None,
    ) -> None:
        # Keras 3 leaves `axis` out of its config, losing it on reload; its
        # `__init__` accepts the key, so files with it still load there.
        super().__init__(
            cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis
        )


class Huber(_BuiltinLoss):
    """Huber loss: quadratic for errors up to `delta`, linear beyond.

    Args:
        delta: Where the loss turns from quadratic to linear. Defaults to `1.0`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"huber_loss"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = Huber(delta=1.0)
    >>> float(loss(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.5, 3.0]])))
    1.3125
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: Any = None,
    ) -> None:
        # Keras 3 leaves `delta` out of its config, losing it on reload; its
        # `__init__` accepts the key, so files with it still load there.
        super().__init__(
            huber, name=name, reduction=reduction, dtype=dtype, delta=delta
        )


class LogCosh(_BuiltinLoss):
    """Logarithm of the hyperbolic cosine of the prediction error.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"log_cosh"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = LogCosh()
    >>> float(loss(torch.tensor([[1.0]]), torch.tensor([[1.0]])))
    0.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "log_cosh",
        dtype: Any = None,
    ) -> None:
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)
