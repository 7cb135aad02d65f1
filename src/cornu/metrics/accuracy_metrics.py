"""Accuracy metrics: exact, binary, categorical, sparse and top-k accuracy.

Each public function returns, per sample, 1.0 for a match and 0.0 otherwise
(in `floatx`). The metric classes run boolean twins of these functions so
that a batch costs one comparison, one sum and two in-place adds.
"""

from __future__ import annotations

from typing import Any

import torch

from cornu.metrics.metrics_utils import (
    floatx,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)
from cornu.metrics.reduction_metrics import _FunctionMean


def _pair(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred = to_tensor(y_pred)
    return to_tensor(y_true, device=y_pred.device), y_pred


def _like_pred(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    # Keras casts the labels to the predictions' dtype. Comparing an integer
    # or boolean label with a float prediction promotes it the same way
    # inside the comparison kernel, so the cast is only needed otherwise.
    if y_pred.is_floating_point() and not y_true.is_floating_point():
        return y_true
    return y_true.to(y_pred.dtype)


def _in_top_k(targets: torch.Tensor, predictions: torch.Tensor, k: int) -> torch.Tensor:
    """Whether each target's score is at least the k-th largest score.

    Ties at the k-th score count as hits, as in Keras. `targets` may have
    any shape; `predictions` has that shape plus a class axis.
    """
    shape = targets.shape
    predictions = predictions.reshape(-1, predictions.shape[-1])
    targets = targets.reshape(-1, 1).long()
    k = min(int(k), predictions.shape[-1])
    kth = predictions.topk(k, dim=-1).values[:, -1:]  # (N, 1)
    return (predictions.gather(1, targets) >= kth).reshape(shape)


def _accuracy_matches(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_like_pred(y_true, y_pred), y_pred)
    return y_true == y_pred


def accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Whether `y_pred` equals `y_true`, elementwise, as 1.0 or 0.0.

    Args:
        y_true: the labels.
        y_pred: the predictions (same values as the labels when correct).

    Returns:
        A `floatx` tensor of the broadcast shape.

    Example:
    >>> accuracy([[1], [2], [3]], [[1], [2], [4]]).tolist()
    [[1.0], [1.0], [0.0]]
    """
    return _accuracy_matches(y_true, y_pred).to(floatx())


def _binary_matches(y_true: Any, y_pred: Any, threshold: float = 0.5) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    # The boolean prediction is promoted to the labels' dtype in the
    # comparison, which is Keras's cast without its kernel.
    return y_true == (y_pred > threshold)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> torch.Tensor:
    """Whether `y_pred > threshold` equals the binary label, as 1.0 or 0.0.

    Args:
        y_true: binary labels (0 or 1).
        y_pred: probabilities.
        threshold: the probability above which a prediction is positive.

    Returns:
        A `floatx` tensor of the labels' shape.

    Example:
    >>> binary_accuracy([[1], [0]], [[0.7], [0.6]]).tolist()
    [[1.0], [0.0]]
    """
    return _binary_matches(y_true, y_pred, threshold).to(floatx())


def _categorical_matches(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    labels = y_true.argmax(dim=-1)
    if labels.dim() == y_pred.dim():
        # The one-hot labels had an extra axis: compare without it, then
        # give the matches back the labels' shape (Keras's behaviour).
        shape = labels.shape
        return (labels.squeeze(-1) == y_pred.argmax(dim=-1)).reshape(shape)
    return labels == y_pred.argmax(dim=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Whether the top class of `y_pred` is the one-hot label's class.

    Args:
        y_true: one-hot labels, `(..., num_classes)`.
        y_pred: scores, `(..., num_classes)`.

    Returns:
        A `floatx` tensor of shape `(...)`.

    Example:
    >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                      [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]).tolist()
    [0.0, 1.0]
    """
    return _categorical_matches(y_true, y_pred).to(floatx())


def _sparse_categorical_matches(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    matches = y_true == y_pred.argmax(dim=-1)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Whether the top class of `y_pred` is the integer label.

    Args:
        y_true: class indices, `(...)` or `(..., 1)`.
        y_pred: scores, `(..., num_classes)`.

    Returns:
        A `floatx` tensor of shape `(...)`.

    Example:
    >>> sparse_categorical_accuracy([[2], [1]],
    ...                             [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]).tolist()
    [0.0, 1.0]
    """
    return _sparse_categorical_matches(y_true, y_pred).to(floatx())


def _top_k_matches(y_true: Any, y_pred: Any, k: int = 5) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    return _in_top_k(y_true.argmax(dim=-1), y_pred, k)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> torch.Tensor:
    """Whether the one-hot label's class is among the `k` top scores.

    Args:
        y_true: one-hot labels, `(..., num_classes)`.
        y_pred: scores, `(..., num_classes)`.
        k: how many top scores count as a hit.

    Returns:
        A `floatx` tensor of shape `(...)`.

    Example:
    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                            [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1).tolist()
    [0.0, 1.0]
    """
    return _top_k_matches(y_true, y_pred, k).to(floatx())


def _sparse_top_k_matches(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    if from_sorted_ids:
        # `y_pred` holds class ids sorted by score: a hit is the label among
        # the first k, counted once even if repeated.
        shape = y_true.shape
        ids = y_pred.reshape(-1, y_pred.shape[-1])[:, :k]
        labels = y_true.to(y_pred.dtype).reshape(-1, 1)
        return (labels == ids).any(dim=1).reshape(shape)
    # Keras reads the labels as int32, truncating float labels.
    return _in_top_k(y_true.to(torch.int32), y_pred, k)


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> torch.Tensor:
    """Whether the integer label is among the `k` top scores.

    Args:
        y_true: class indices, `(...)`.
        y_pred: scores, `(..., num_classes)`; or, with `from_sorted_ids`,
            class ids sorted by decreasing score.
        k: how many top scores count as a hit.
        from_sorted_ids: whether `y_pred` holds sorted class ids.

    Returns:
        A `floatx` tensor of the labels' shape.

    Example:
    >>> sparse_top_k_categorical_accuracy([2, 1],
    ...                                   [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1).tolist()
    [0.0, 1.0]
    """
    return _sparse_top_k_matches(y_true, y_pred, k, from_sorted_ids).to(floatx())


class Accuracy(_FunctionMean):
    """How often predictions equal labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(_accuracy_matches, name, dtype, "up")


class BinaryAccuracy(_FunctionMean):
    """How often thresholded probabilities equal binary labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        threshold: the probability above which a prediction is positive.

    Example:
    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    def __init__(
        self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5
    ) -> None:
        super().__init__(_binary_matches, name, dtype, "up", threshold=threshold)


class CategoricalAccuracy(_FunctionMean):
    """How often the top-scored class is the one-hot label's class.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(_categorical_matches, name, dtype, "up")


class SparseCategoricalAccuracy(_FunctionMean):
    """How often the top-scored class is the integer label.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self, name: str = "sparse_categorical_accuracy", dtype: Any = None
    ) -> None:
        super().__init__(_sparse_categorical_matches, name, dtype, "up")


class TopKCategoricalAccuracy(_FunctionMean):
    """How often the one-hot label's class is among the `k` top scores.

    Args:
        k: how many top scores count as a hit.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None
    ) -> None:
        super().__init__(_top_k_matches, name, dtype, "up", k=k)


class SparseTopKCategoricalAccuracy(_FunctionMean):
    """How often the integer label is among the `k` top scores.

    Args:
        k: how many top scores count as a hit.
        name: the metric's name.
        dtype: the dtype of the result.
        from_sorted_ids: whether `y_pred` holds class ids sorted by score
            instead of scores.

    Example:
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    from_sorted_ids: bool

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            _sparse_top_k_matches,
            name,
            dtype,
            "up",
            k=k,
            from_sorted_ids=from_sorted_ids,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if not self.from_sorted_ids:
            # As Keras does: the key is written only when it is set.
            del config["from_sorted_ids"]
        return config
