"""Regression metrics: running means of errors, cosine similarity and R^2."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from cornu import config
from cornu.metrics.metric import Metric
from cornu.metrics.metrics_utils import (
    float_pair,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)
from cornu.metrics.reduction_metrics import Mean, _FunctionMean, _LossMean


class MeanSquaredError(_LossMean):
    """The mean of `square(y_true - y_pred)` over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = MeanSquaredError()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    >>> float(m.result())
    0.25
    """

    _loss = "mean_squared_error"

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(_LossMean):
    """The mean of `abs(y_true - y_pred)` over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    >>> float(m.result())
    0.25
    """

    _loss = "mean_absolute_error"

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_LossMean):
    """The mean of `100 * abs((y_true - y_pred) / y_true)` over all samples.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[1.0, 2.0]], [[1.5, 2.0]])
    >>> float(m.result())
    25.0
    """

    _loss = "mean_absolute_percentage_error"

    def __init__(
        self, name: str = "mean_absolute_percentage_error", dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMean):
    """The mean of `square(log(y_true + 1) - log(y_pred + 1))`.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = MeanSquaredLogarithmicError()
    >>> m.update_state([[0.0, 1.0]], [[0.0, 1.0]])
    >>> float(m.result())
    0.0
    """

    _loss = "mean_squared_logarithmic_error"

    def __init__(
        self, name: str = "mean_squared_logarithmic_error", dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)


class LogCoshError(_LossMean):
    """The mean of `log(cosh(y_pred - y_true))` over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = LogCoshError()
    >>> m.update_state([[0.0, 1.0]], [[0.0, 1.0]])
    >>> float(m.result())
    0.0
    """

    _loss = "log_cosh"

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """The square root of the mean of `square(y_true - y_pred)`.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0.0, 2.0], [0.0, 0.0]], [[2.0, 2.0], [0.0, 0.0]])
    >>> float(m.result())
    1.0
    """

    def __init__(
        self, name: str = "root_mean_squared_error", dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(  # type: ignore[override]
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> None:
        """Adds one batch's squared errors to the running mean."""
        with torch.no_grad():
            dtype, device = self.total.dtype, self.total.device
            y_true = to_tensor(y_true, dtype, device)
            y_pred = to_tensor(y_pred, dtype, device)
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
            self._accumulate((y_pred - y_true).square(), sample_weight, None)

    def result(self) -> torch.Tensor:
        return super().result().sqrt()


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """The cosine of the angle between labels and predictions along `axis`.

    Both are L2-normalised as Keras does (`x * min(rsqrt(sum(x^2)),
    1 / epsilon)`), so all-zero vectors give 0, not NaN.

    Args:
        y_true: the labels.
        y_pred: the predictions.
        axis: the axis of the vectors.

    Returns:
        The similarities, with `axis` reduced.

    Example:
    >>> sims = cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> [round(v, 4) for v in sims.tolist()]
    [0.0, 1.0]
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    return (_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


def _l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    inv_norm = torch.rsqrt(x.square().sum(dim=axis, keepdim=True))
    return x * inv_norm.clamp_max(1.0 / config.epsilon())


class CosineSimilarity(_FunctionMean):
    """The mean cosine similarity between labels and predictions.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        axis: the axis of the vectors.

    Example:
    >>> m = CosineSimilarity(axis=1)
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(
        self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1
    ) -> None:
        # Keras leaves `axis` out of its config; it is kept here so that a
        # round trip keeps it (Keras reads it back, as its constructor
        # accepts it).
        super().__init__(cosine_similarity, name, dtype, "up", axis=axis)


class R2Score(Metric):
    """The coefficient of determination R^2, per output or aggregated.

    `R^2 = 1 - sum((y - y_hat)^2) / sum((y - mean(y))^2)`, from running
    (weighted) sums per output column; with `num_regressors = p`, the
    adjusted score `1 - (1 - R^2) (n - 1) / (n - p - 1)`.

    Args:
        class_aggregation: `"uniform_average"` (mean over outputs),
            `"variance_weighted_average"` (weighted by each output's
            variance) or `None` (one score per output).
        num_regressors: the number of independent variables, for the
            adjusted score (0: plain R^2).
        name: the metric's name.
        dtype: the dtype of the result.

    Input shape:
        `y_true` and `y_pred` of shape `(batch_size, num_outputs)`.

    Example:
    >>> m = R2Score()
    >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
    >>> round(float(m.result()), 4)
    0.5714
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one "
                f"of {valid}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a "
                f"value >= 0. Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape: Any, y_pred_shape: Any) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                f"y_true.shape={tuple(y_true_shape)}."
            )
        shape = (int(y_pred_shape[-1]),)
        self.squared_sum = self.add_variable(shape, "zeros", name="squared_sum")
        self.sum = self.add_variable(shape, "zeros", name="sum")
        self.total_mse = self.add_variable(shape, "zeros", name="residual")
        self.count = self.add_variable(shape, "zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch's (weighted) sums per output."""
        with torch.no_grad():
            dtype = config.torch_dtype(self.dtype)
            device = self.num_samples.device
            y_true = to_tensor(y_true, dtype, device)
            y_pred = to_tensor(y_pred, dtype, device)
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
            if not self._built:
                self._build(y_true.shape, y_pred.shape)
            if sample_weight is None:
                weight = torch.ones((), dtype=dtype, device=device)
            else:
                weight = to_tensor(sample_weight, dtype, device)
                if weight.dim() == 1:
                    weight = weight.unsqueeze(1)  # one weight per sample row
            weight = torch.broadcast_to(weight, y_true.shape)
            weighted = y_true * weight
            torch._foreach_add_(
                [self.sum, self.squared_sum, self.total_mse, self.count],
                [
                    weighted.sum(dim=0),
                    (y_true * weighted).sum(dim=0),
                    ((y_true - y_pred).square() * weight).sum(dim=0),
                    weight.sum(dim=0),
                ],
            )
            self.num_samples.add_(y_true.numel())

    def result(self) -> torch.Tensor:
        """The R^2 score (adjusted when `num_regressors` is set)."""
        total_sum, count = self.sum.detach(), self.count.detach()
        mean = total_sum / count
        total = self.squared_sum.detach() - total_sum * mean
        raw = 1 - self.total_mse.detach() / total
        raw = torch.where(torch.isinf(raw), torch.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors != 0:
            # Reading the sample count here is fine: `result` is off the hot
            # path, and the adjusted score needs it on the host.
            n = float(self.num_samples)
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn(
                    "More independent predictors than datapoints in adjusted "
                    "R2 score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            elif p == n - 1:
                warnings.warn(
                    "Division by zero in Adjusted R2 score. Falling back to "
                    "standard R2 score.",
                    stacklevel=2,
                )
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
