"""F-scores: `FBetaScore` and `F1Score`, per class or averaged."""

from __future__ import annotations

from typing import Any

import torch

from cornu import config
from cornu.core.variable import Variable
from cornu.metrics.metric import Metric
from cornu.metrics.metrics_utils import to_tensor


class FBetaScore(Metric):
    """The F-beta score of multi-class or multi-label predictions.

    `F = (1 + beta^2) * precision * recall / (beta^2 * precision + recall)`,
    from true/false positives and false negatives accumulated per class.

    Args:
        average: `None` (one score per class), `"micro"` (counts pooled over
            classes), `"macro"` (mean of the class scores) or `"weighted"`
            (class scores weighted by each class's number of true labels).
        beta: how many times recall matters more than precision (> 0).
        threshold: predictions above it are positive; `None` marks the top
            score of each sample positive (unless it is 0).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Input shape:
        `y_true` and `y_pred` of shape `(batch_size, num_classes)`.

    Example:
    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(v, 4) for v in m.result().tolist()]
    [0.3846, 0.9091, 0.8333]
    """

    # Created from the first batch's shape (one entry per class).
    true_positives: Variable
    false_positives: Variable
    false_negatives: Variable
    intermediate_weights: Variable

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                "{None, 'micro', 'macro', 'weighted'}. "
                f"Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python "
                    f"float. Received: threshold={threshold} of type "
                    f"'{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify "
                    f"0 < threshold <= 1. Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        # Micro averaging pools every class, so the counts are scalars.
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: Any, y_pred_shape: Any) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape "
                "(batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={tuple(y_pred_shape)} and "
                f"y_true.shape={tuple(y_true_shape)}."
            )
        shape = () if self.average == "micro" else (int(y_pred_shape[-1]),)
        for name in (
            "true_positives",
            "false_positives",
            "false_negatives",
            "intermediate_weights",
        ):
            setattr(
                self, name, self.add_variable(shape, "zeros", self.dtype, name=name)
            )
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch's (weighted) counts per class."""
        with torch.no_grad():
            dtype = config.torch_dtype(self.dtype)
            device = self.true_positives.device if self._built else config.device()
            y_true = to_tensor(y_true, dtype, device)
            y_pred = to_tensor(y_pred, dtype, device)
            if not self._built:
                self._build(y_true.shape, y_pred.shape)
            if self.threshold is None:
                # The top score of each sample, unless it is (about) zero, so
                # that an all-zero row predicts nothing.
                top = y_pred.amax(dim=-1, keepdim=True)
                positive = (y_pred >= top) & (y_pred.abs() > 1e-9)
            else:
                positive = y_pred > self.threshold
            y_pred = positive.to(dtype)
            if sample_weight is not None:
                w = to_tensor(sample_weight, dtype, device)
                if w.dim() == 1:
                    w = w.unsqueeze(1)
                y_true_w = y_true * w
            else:
                y_true_w = y_true
            dims = (0, 1) if self.axis is None else (0,)
            # fp = sum(pred) - tp and fn = sum(true) - tp: three reductions
            # give all four counts.
            tp = (y_pred * y_true_w).sum(dim=dims)
            pred_total = (
                (y_pred * w).sum(dim=dims)
                if sample_weight is not None
                else y_pred.sum(dim=dims)
            )
            true_total = y_true_w.sum(dim=dims)
            torch._foreach_add_(
                [
                    self.true_positives,
                    self.false_positives,
                    self.false_negatives,
                    self.intermediate_weights,
                ],
                [tp, pred_total - tp, true_total - tp, true_total],
            )

    def result(self) -> torch.Tensor:
        """The F-beta score: one per class, or averaged as configured."""
        eps = config.epsilon()
        tp = self.true_positives.detach()
        fp, fn = self.false_positives.detach(), self.false_negatives.detach()
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        beta2 = self.beta**2
        score = (1 + beta2) * (precision * recall) / (beta2 * precision + recall + eps)
        if self.average == "weighted":
            weights = self.intermediate_weights.detach()
            return (score * (weights / (weights.sum() + eps))).sum()
        if self.average is not None:
            return score.mean()
        return score

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score (harmonic mean of precision and recall).

    Args:
        average: `None`, `"micro"`, `"macro"` or `"weighted"`, as in
            `FBetaScore`.
        threshold: predictions above it are positive; `None` marks the top
            score of each sample positive.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(v, 4) for v in m.result().tolist()]
    [0.5, 0.8, 0.6667]
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype
        )

    def get_config(self) -> dict[str, Any]:
        config_ = super().get_config()
        del config_["beta"]
        return config_
