"""Correlation metrics: Pearson's and Lin's concordance correlation."""

from __future__ import annotations

from typing import Any

import torch

from cornu import config
from cornu.metrics.metrics_utils import float_pair
from cornu.metrics.reduction_metrics import _FunctionMean


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Pearson's correlation coefficient between labels and predictions.

    Computed along `axis` (per sample, by default), with population
    standard deviations.

    Args:
        y_true: the labels.
        y_pred: the predictions.
        axis: the axis to correlate along.

    Returns:
        The coefficients, with `axis` reduced.

    Example:
    >>> round(pearson_correlation([[0.0, 1.0, 2.0]], [[1.0, 3.0, 5.0]]).item(), 4)
    1.0
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    t = y_true - y_true.mean(dim=axis, keepdim=True)
    p = y_pred - y_pred.mean(dim=axis, keepdim=True)
    t = t / t.std(dim=axis, keepdim=True, correction=0)
    p = p / p.std(dim=axis, keepdim=True, correction=0)
    return (t * p).mean(dim=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Lin's concordance correlation coefficient, as Keras computes it.

    `2 * cov / (var_true + var_pred + (mean_true - mean_pred)^2)` along
    `axis`. Like Keras, the covariance term centres `y_true` on the mean
    of the predictions (`(y_true - mean_pred) * (y_pred - mean_pred)`),
    which the textbook formula centres on `mean_true`; kept for identical
    results.

    Args:
        y_true: the labels.
        y_pred: the predictions.
        axis: the axis to correlate along.

    Returns:
        The coefficients, with `axis` reduced.

    Example:
    >>> round(concordance_correlation([[0.0, 1.0, 2.0]], [[0.0, 1.0, 2.0]]).item(), 4)
    1.0
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    mean_true = y_true.mean(dim=axis, keepdim=True)
    mean_pred = y_pred.mean(dim=axis, keepdim=True)
    var_true = (y_true - mean_true).var(dim=axis, keepdim=True, correction=0)
    var_pred = (y_pred - mean_pred).var(dim=axis, keepdim=True, correction=0)
    covar = (y_true - mean_pred) * (y_pred - mean_pred)
    norm = var_true + var_pred + (mean_true - mean_pred).square()
    return (2 * covar / (norm + config.epsilon())).mean(dim=axis)


class PearsonCorrelation(_FunctionMean):
    """The mean Pearson correlation between labels and predictions.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        axis: the axis to correlate along.

    Example:
    >>> m = PearsonCorrelation()
    >>> m.update_state([[0.0, 1.0, 2.0]], [[1.0, 3.0, 5.0]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(
        self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1
    ) -> None:
        super().__init__(pearson_correlation, name, dtype, "up", axis=axis)


class ConcordanceCorrelation(_FunctionMean):
    """The mean concordance correlation between labels and predictions.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        axis: the axis to correlate along.

    Example:
    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[0.0, 1.0, 2.0]], [[0.0, 1.0, 2.0]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(
        self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1
    ) -> None:
        super().__init__(concordance_correlation, name, dtype, "up", axis=axis)
