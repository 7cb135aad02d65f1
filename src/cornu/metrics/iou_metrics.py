"""Intersection-over-union metrics for segmentation and classification.

They share one state: a `(num_classes, num_classes)` confusion matrix of
(true class, predicted class) counts. A batch is added with one
`index_add_` of `true * num_classes + predicted` into the flattened matrix;
`torch.bincount` would do the same but reads its output size back from the
device, a host synchronisation per step.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from cornu import config
from cornu.metrics.metric import Metric
from cornu.metrics.metrics_utils import to_tensor


class _IoUBase(Metric):
    """Accumulates the confusion matrix of class predictions.

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the matrix's dtype; integer by default (`"int32"`).
        ignore_class: a label whose samples are not counted.
        sparse_y_true: whether labels are class indices (else one-hot or
            scores, reduced by argmax over `axis`).
        sparse_y_pred: whether predictions are class indices (else scores).
        axis: the class axis of non-sparse inputs.
    """

    # The keys of `get_config`, in Keras's order; each names an attribute.
    _config_keys: tuple[str, ...] = ("name", "dtype")

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        # Integer counts by default: exact, as in Keras.
        super().__init__(name=name, dtype=dtype or "int32")
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            (num_classes, num_classes),
            "zeros",
            dtype=self.dtype,
            name="total_confusion_matrix",
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch of (true, predicted) class pairs to the matrix.

        Pairs with a class outside `[0, num_classes)`, or labelled
        `ignore_class`, are not counted.
        """
        cm = self.total_cm
        dtype, device = cm.dtype, cm.device
        if (
            sample_weight is not None
            and "float" in str(getattr(sample_weight, "dtype", ""))
            and not dtype.is_floating_point
        ):
            warnings.warn(
                "You are passing weight as `float`, but dtype is `int`. This "
                "may result in an incorrect weight due to type casting. "
                "Consider using integer weights.",
                stacklevel=2,
            )
        with torch.no_grad():
            y_true = to_tensor(y_true, device=device)
            y_pred = to_tensor(y_pred, device=device)
            if not self.sparse_y_true:
                y_true = y_true.argmax(dim=self.axis)
            if not self.sparse_y_pred:
                y_pred = y_pred.argmax(dim=self.axis)
            # Keras converts to the metric's dtype first (truncating float
            # class ids), then indexes.
            y_true = y_true.to(dtype).reshape(-1).long()
            y_pred = y_pred.to(dtype).reshape(-1).long()
            n = self.num_classes
            valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
            if self.ignore_class is not None:
                valid &= y_true != self.ignore_class
            if sample_weight is None:
                weights = valid.to(dtype)
            else:
                weights = to_tensor(sample_weight, dtype, device).reshape(-1)
                weights = torch.where(
                    valid, weights.expand(y_true.shape), torch.zeros_like(weights)
                )
            index = torch.where(valid, y_true * n + y_pred, torch.zeros_like(y_true))
            cm.view(-1).index_add_(0, index, weights)

    def reset_state(self) -> None:
        with torch.no_grad():
            self.total_cm.zero_()

    def get_config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._config_keys}


class IoU(_IoUBase):
    """Intersection over union, averaged over chosen classes.

    For each class, `IoU = tp / (tp + fp + fn)` from the accumulated
    confusion matrix; the result is the mean over `target_class_ids` of
    the classes seen at least once (absent classes are left out).

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes to average over.
        name: the metric's name.
        dtype: the confusion matrix's dtype (default `"int32"`).
        ignore_class: a label whose samples are not counted.
        sparse_y_true: whether labels are class indices.
        sparse_y_pred: whether predictions are class indices.
        axis: the class axis of non-sparse inputs.

    Example:
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    _config_keys: tuple[str, ...] = (
        "name",
        "dtype",
        "num_classes",
        "target_class_ids",
        "ignore_class",
        "sparse_y_true",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, "
                f"which is [0, {num_classes})."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self) -> torch.Tensor:
        """The mean IoU of the target classes seen so far, in float32."""
        cm = self.total_cm.detach()
        predicted = cm.sum(dim=0).float()  # tp + fp, per class
        actual = cm.sum(dim=1).float()  # tp + fn, per class
        tp = torch.diagonal(cm).float()
        union = predicted + actual - tp
        ids = torch.as_tensor(self.target_class_ids, device=cm.device)
        tp, union = tp[ids], union[ids]
        present = union > 1e-9
        iou = torch.where(
            present, tp / (union + config.epsilon()), torch.zeros_like(tp)
        )
        return iou.sum() / (present.sum() + config.epsilon())


class BinaryIoU(IoU):
    """IoU of binary predictions thresholded at `threshold`.

    Predictions at or above `threshold` are class 1, others class 0.

    Args:
        target_class_ids: the classes to average over: `[0]`, `[1]` or
            `[0, 1]`.
        threshold: the score from which a prediction is class 1.
        name: the metric's name.
        dtype: the confusion matrix's dtype (default `"int32"`).

    Example:
    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(float(m.result()), 4)
    0.3333
    """

    _config_keys: tuple[str, ...] = ("target_class_ids", "threshold", "name", "dtype")

    def __init__(
        self,
        target_class_ids: Any = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype
        )
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Thresholds the scores, then counts as `IoU` does."""
        with torch.no_grad():
            y_pred = to_tensor(y_pred, torch.float32, self.total_cm.device)
            y_pred = (y_pred >= self.threshold).to(self.total_cm.dtype)
        super().update_state(y_true, y_pred, sample_weight)


class MeanIoU(IoU):
    """IoU averaged over all classes.

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the confusion matrix's dtype (default `"int32"`).
        ignore_class: a label whose samples are not counted.
        sparse_y_true: whether labels are class indices.
        sparse_y_pred: whether predictions are class indices.
        axis: the class axis of non-sparse inputs.

    Example:
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    _config_keys: tuple[str, ...] = (
        "num_classes",
        "name",
        "dtype",
        "ignore_class",
        "sparse_y_true",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotIoU(IoU):
    """IoU of chosen classes, for one-hot labels and score predictions.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes to average over.
        name: the metric's name.
        dtype: the confusion matrix's dtype (default `"int32"`).
        ignore_class: a label whose samples are not counted.
        sparse_y_pred: whether predictions are class indices.
        axis: the class axis.

    Example:
    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
    ...                 [0.1, 0.4, 0.5]])
    >>> round(float(m.result()), 4)
    0.1667
    """

    _config_keys: tuple[str, ...] = (
        "num_classes",
        "target_class_ids",
        "name",
        "dtype",
        "ignore_class",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotMeanIoU(MeanIoU):
    """IoU averaged over all classes, for one-hot labels and scores.

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the confusion matrix's dtype (default `"int32"`).
        ignore_class: a label whose samples are not counted.
        sparse_y_pred: whether predictions are class indices.
        axis: the class axis.

    Example:
    >>> m = OneHotMeanIoU(num_classes=3)
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
    ...                 [0.1, 0.4, 0.5]])
    >>> round(float(m.result()), 4)
    0.1111
    """

    _config_keys: tuple[str, ...] = (
        "num_classes",
        "name",
        "dtype",
        "ignore_class",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
