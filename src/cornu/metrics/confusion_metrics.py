"""Confusion-matrix metrics: counts, precision, recall, AUC and operating points.

Every metric here counts true/false positives/negatives at a list of
thresholds. A batch is counted for all thresholds at once: each prediction
is mapped to the number of thresholds it exceeds (a comparison for one
threshold, Keras's bucket formula for evenly spaced ones, `searchsorted`
otherwise); one `index_add_` builds the weighted histogram of those numbers
for positive and negative labels; a cumulative sum turns the histogram into
the counts at every threshold. The work is O(samples + thresholds), with no
Python loop and no host synchronisation (`torch.bincount` would read its
size back from the device, so `index_add_` into a fixed-size buffer is used).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.core.variable import Variable
from cornu.metrics.metric import Metric
from cornu.metrics.metrics_utils import (
    divide_no_nan,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)

NEG_INF = -1e10

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


def _to_list(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, (np.ndarray, torch.Tensor)):
        return [float(v) for v in np.asarray(x).reshape(-1)]
    return [x]


def _parse_thresholds(thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = _to_list(thresholds)
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in values]


def _evenly_spaced(num_thresholds: int) -> list[float]:
    """The `num_thresholds - 2` thresholds evenly spaced strictly inside (0, 1)."""
    return [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]


def _evenly_distributed(thresholds: Any) -> bool:
    """Whether thresholds are `i / (n - 1)` for `i < n` (n >= 3), as in Keras."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


class _Thresholds:
    """The thresholds of a metric, prepared once for the per-batch count."""

    def __init__(self, values: list[float], evenly: bool) -> None:
        self.values = list(values)
        self.num = len(values)
        self.evenly = evenly
        # AUC adds endpoints just outside [0, 1]: every prediction, even 0,
        # then exceeds the first one (Keras's `thresholds_with_epsilon`).
        self.with_epsilon = evenly and (values[0] < 0.0 or values[-1] > 1.0)
        order = sorted(range(self.num), key=lambda i: values[i])
        self._sorted = [values[i] for i in order]
        # Counts come out in sorted order; `_unsort` puts them back in the
        # order the user gave (None when already sorted).
        self._unsort = None
        if order != list(range(self.num)):
            self._unsort = torch.as_tensor(np.argsort(order))
        self._cache: dict[Any, torch.Tensor] = {}

    def sorted_tensor(self, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        key = (dtype, device)
        if key not in self._cache:
            self._cache[key] = torch.tensor(self._sorted, dtype=dtype, device=device)
        return self._cache[key]

    def num_exceeded(self, y_pred: torch.Tensor) -> torch.Tensor:
        """How many thresholds each prediction is strictly above (0..num)."""
        num = self.num
        if num == 1:
            return (y_pred > self._sorted[0]).long()
        if self.evenly:
            # Keras's bucket formula; it may differ from exact comparisons by
            # one ulp at bucket edges, and matching Keras matters more.
            count = torch.ceil(y_pred.clamp(0.0, 1.0) * (num - 1))
            if self.with_epsilon:
                count = count.clamp_min(1.0)
            # NaN survives the clamps; it exceeds no threshold (as a NaN
            # compares false). Casting NaN to an integer is platform-defined,
            # so it is replaced first.
            return torch.nan_to_num(count, nan=0.0).long()
        # NaN compares false with every threshold: map it below them all.
        y_pred = torch.nan_to_num(y_pred, nan=-float("inf"))
        thresholds = self.sorted_tensor(y_pred.dtype, y_pred.device)
        return torch.searchsorted(thresholds, y_pred.contiguous(), right=False)

    def unsort(self, counts: torch.Tensor, dim: int) -> torch.Tensor:
        if self._unsort is None:
            return counts
        key = ("unsort", counts.device)
        if key not in self._cache:  # one host-to-device copy, not one per step
            self._cache[key] = self._unsort.to(counts.device)
        return counts.index_select(dim, self._cache[key])


def _filter_top_k(x: torch.Tensor, k: int) -> torch.Tensor:
    """Keeps the `k` top scores of the last axis; the others become NEG_INF."""
    idx = x.topk(k, dim=-1).indices
    keep = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, idx, True)
    return torch.where(keep, x, torch.full_like(x, NEG_INF))


def update_confusion_matrix(
    variables: dict[str, Variable],
    y_true: Any,
    y_pred: Any,
    thresholds: _Thresholds,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: torch.Tensor | None = None,
) -> None:
    """Adds one batch's weighted counts at every threshold to `variables`.

    Args:
        variables: Variables to update, keyed by `"tp"`, `"fp"`, `"tn"`,
            `"fn"`; shape `(num_thresholds,)`, or `(num_thresholds,
            num_labels)` with `multi_label`.
        y_true: labels; nonzero is positive.
        y_pred: scores; a prediction is positive at threshold `t` when it is
            strictly above `t`.
        thresholds: the prepared thresholds.
        top_k: keep only the `k` top scores of each sample as candidates.
        class_id: count only this class (index of the last axis).
        sample_weight: weights broadcastable to the predictions.
        multi_label: count each label (column) separately.
        label_weights: per-class weights (not with `multi_label`).
    """
    first = next(iter(variables.values()))
    dtype, device = first.dtype, first.device
    y_pred = to_tensor(y_pred, dtype, device)
    y_true = to_tensor(y_true, dtype, device)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype, device).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with "
                "shape (num_samples, num_classes), found shape: "
                f"{tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    weights = None
    if sample_weight is not None:
        weights = torch.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None:
        lw = torch.broadcast_to(label_weights.to(dtype).unsqueeze(0), y_pred.shape)
        weights = lw if weights is None else weights * lw

    num = thresholds.num
    bins = num + 1
    # Bin `num - exceeded` so that a cumulative sum reads "exceeds at least
    # j + 1 thresholds", i.e. "positive at threshold j", in reversed order.
    index = num - thresholds.num_exceeded(y_pred)
    positive = (y_true != 0).long()
    if multi_label:
        labels = y_pred.shape[-1]
        index = index + torch.arange(labels, device=device) * bins
        size = labels * bins
    else:
        size = bins
    index = (index + positive * size).reshape(-1)
    if weights is None:
        src = torch.ones((), dtype=dtype, device=device).expand(index.shape[0])
    else:
        src = weights.reshape(-1)
    hist = torch.zeros(2 * size, dtype=dtype, device=device).index_add_(0, index, src)
    cumulative = hist.view(2, -1, bins).cumsum(-1)  # (neg/pos, labels, bins)
    above = cumulative[..., :num].flip(-1)  # weight positive at each threshold
    totals = cumulative[..., num:]  # all weight, per label
    wanted: dict[str, torch.Tensor] = {"tp": above[1], "fp": above[0]}
    if "tn" in variables or "fn" in variables:
        below = totals - above  # weight negative at each threshold
        wanted["fn"], wanted["tn"] = below[1], below[0]
    targets: list[torch.Tensor] = []
    deltas: list[torch.Tensor] = []
    for key, var in variables.items():
        delta = thresholds.unsort(wanted[key], dim=-1)
        # (labels, thresholds) -> the Variable's (thresholds[, labels]).
        deltas.append(delta.t() if multi_label else delta.reshape(num))
        targets.append(var)
    with torch.no_grad():
        torch._foreach_add_(targets, deltas)


_COUNT_NAMES = {
    "tp": "true_positives",
    "fp": "false_positives",
    "tn": "true_negatives",
    "fn": "false_negatives",
}


class _ConfusionCounts(Metric):
    """The base of metrics that count confusion-matrix cells at thresholds.

    A subclass names the cells it counts in `_count_keys`, creates their
    Variables with `_add_counts` and sets `_spec`, its prepared thresholds.
    """

    _count_keys: tuple[str, ...] = ("tp", "fp", "tn", "fn")
    _spec: _Thresholds
    true_positives: Variable
    false_positives: Variable
    true_negatives: Variable
    false_negatives: Variable

    def _add_counts(self, shape: tuple[int, ...]) -> None:
        for key in self._count_keys:
            name = _COUNT_NAMES[key]
            setattr(self, name, self.add_variable(shape, "zeros", name=name))

    def _counts(self) -> dict[str, Variable]:
        return {key: getattr(self, _COUNT_NAMES[key]) for key in self._count_keys}

    def _update_counts(
        self, y_true: Any, y_pred: Any, sample_weight: Any, **options: Any
    ) -> None:
        with torch.no_grad():
            update_confusion_matrix(
                self._counts(),
                y_true,
                y_pred,
                self._spec,
                sample_weight=sample_weight,
                **options,
            )


class _ConfusionMatrixConditionCount(_ConfusionCounts):
    """Counts one cell of the confusion matrix at each threshold."""

    _cond = ""

    def __init__(
        self, thresholds: Any = None, name: str | None = None, dtype: Any = None
    ):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, default=0.5)
        self._spec = _Thresholds(self.thresholds, _evenly_distributed(self.thresholds))
        self.accumulator = self.add_variable(
            (len(self.thresholds),), "zeros", name="accumulator"
        )

    def _counts(self) -> dict[str, Variable]:
        return {self._cond: self.accumulator}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch's (weighted) count at each threshold."""
        self._update_counts(y_true, y_pred, sample_weight)

    def result(self) -> torch.Tensor:
        """The count: a scalar for one threshold, else one per threshold."""
        acc = self.accumulator.detach()
        return (acc[0] if len(self.thresholds) == 1 else acc).clone()

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


_COUNT_DOC = """Counts {what}, weighted, at each threshold.

    A prediction is positive at threshold `t` when it is above `t`; labels
    are positive when nonzero.

    Args:
        thresholds: a float or list of floats in `[0, 1]`; default 0.5.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = {cls}()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(m.result())
    {value}
    """


class TruePositives(_ConfusionMatrixConditionCount):
    __doc__ = _COUNT_DOC.format(what="true positives", cls="TruePositives", value="2.0")
    _cond = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    __doc__ = _COUNT_DOC.format(
        what="false positives", cls="FalsePositives", value="1.0"
    )
    _cond = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    __doc__ = _COUNT_DOC.format(what="true negatives", cls="TrueNegatives", value="0.0")
    _cond = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    __doc__ = _COUNT_DOC.format(
        what="false negatives", cls="FalseNegatives", value="1.0"
    )
    _cond = "fn"


class _PrecisionRecallBase(_ConfusionCounts):
    _other = ""  # the second cell counted: "fp" (precision) or "fn" (recall)

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default=default)
        self._spec = _Thresholds(self.thresholds, _evenly_distributed(self.thresholds))
        self._count_keys = ("tp", self._other)
        self._add_counts((len(self.thresholds),))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch's (weighted) counts at each threshold."""
        self._update_counts(
            y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id
        )

    def result(self) -> torch.Tensor:
        """`tp / (tp + other)`: a scalar for one threshold, else one each."""
        counts = self._counts()
        tp = counts["tp"].detach()
        value = divide_no_nan(tp, tp + counts[self._other].detach())
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecallBase):
    """The precision `tp / (tp + fp)` of predictions, at each threshold.

    Args:
        thresholds: a float or list of floats in `[0, 1]`; a prediction
            above a threshold is positive. Default 0.5 (or, with `top_k`,
            any score).
        top_k: count only the `k` top-scored classes of each sample.
        class_id: count only this class.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _other = "fp"


class Recall(_PrecisionRecallBase):
    """The recall `tp / (tp + fn)` of predictions, at each threshold.

    Args:
        thresholds: a float or list of floats in `[0, 1]`; a prediction
            above a threshold is positive. Default 0.5 (or, with `top_k`,
            any score).
        top_k: count only the `k` top-scored classes of each sample.
        class_id: count only this class.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _other = "fn"


class SensitivitySpecificityBase(_ConfusionCounts):
    """The base of metrics that read one rate where another meets a bound.

    Args:
        value: the bound on the constrained rate, in `[0, 1]`.
        num_thresholds: how many thresholds, evenly spaced over `[0, 1]`.
        class_id: count only this class.
        name: the metric's name.
        dtype: the dtype of the result.
    """

    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        bound = getattr(self, "_bound", None)
        if bound is not None:
            # The subclass's own argument, validated and kept under its name.
            _check_rate(bound, value)
            setattr(self, bound, value)
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            evenly = False
        else:
            self.thresholds = [0.0] + _evenly_spaced(num_thresholds) + [1.0]
            evenly = True
        self._spec = _Thresholds(self.thresholds, evenly)
        self._add_counts((len(self.thresholds),))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch's (weighted) confusion counts at each threshold."""
        self._update_counts(y_true, y_pred, sample_weight, class_id=self.class_id)

    def _rates(self) -> dict[str, torch.Tensor]:
        tp, fp = self.true_positives.detach(), self.false_positives.detach()
        tn, fn = self.true_negatives.detach(), self.false_negatives.detach()
        return {
            "sensitivity": divide_no_nan(tp, tp + fn),  # = recall
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _find_max_under_constraint(
        self, constrained: torch.Tensor, dependent: torch.Tensor
    ) -> torch.Tensor:
        # The best `dependent` over thresholds where `constrained >= value`;
        # 0 when none qualifies.
        feasible = constrained >= self.value
        return (
            torch.where(feasible, dependent, torch.zeros_like(dependent))
            .max()
            .clamp_min(0)
        )

    # Set by each subclass: the constructor argument that bounds a rate (and
    # the rate it bounds), and the rate the metric maximises under it.
    _bound: str
    _bounded_rate: str
    _objective: str

    def result(self) -> torch.Tensor:
        rates = self._rates()
        return self._find_max_under_constraint(
            rates[self._bounded_rate], rates[self._objective]
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._bound: self.value,
        }


def _check_rate(name: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(
            f"Argument `{name}` must be in the range [0, 1]. Received: {name}={value}"
        )


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) where specificity is at least a bound.

    Args:
        specificity: the bound, in `[0, 1]`.
        num_thresholds: how many thresholds, evenly spaced over `[0, 1]`.
        class_id: count only this class.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _bound = "specificity"
    _bounded_rate = "specificity"
    _objective = "sensitivity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity where sensitivity (recall) is at least a bound.

    Args:
        sensitivity: the bound, in `[0, 1]`.
        num_thresholds: how many thresholds, evenly spaced over `[0, 1]`.
        class_id: count only this class.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _bound = "sensitivity"
    _bounded_rate = "sensitivity"
    _objective = "specificity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision where recall is at least a bound.

    Args:
        recall: the bound, in `[0, 1]`.
        num_thresholds: how many thresholds, evenly spaced over `[0, 1]`.
        class_id: count only this class.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _bound = "recall"
    _bounded_rate = "sensitivity"
    _objective = "precision"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall where precision is at least a bound.

    Args:
        precision: the bound, in `[0, 1]`.
        num_thresholds: how many thresholds, evenly spaced over `[0, 1]`.
        class_id: count only this class.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.5
    """

    _bound = "precision"
    _bounded_rate = "precision"
    _objective = "sensitivity"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class AUC(_ConfusionCounts):
    """The area under the ROC or precision-recall curve, by Riemann sum.

    The curve is sampled at `num_thresholds` thresholds (or the given
    `thresholds` plus two endpoints just outside `[0, 1]`); its area is
    summed by trapezoids (`"interpolation"`; for PR, the interpolation of
    Davis & Goadrich), or by lower (`"minoring"`) or upper (`"majoring"`)
    rectangles.

    Args:
        num_thresholds: how many thresholds, evenly spaced (> 1).
        curve: `"ROC"`, `"PR"` or `"PRGAIN"` (precision-recall gain).
        summation_method: `"interpolation"`, `"majoring"` or `"minoring"`.
        name: the metric's name.
        dtype: the dtype of the result.
        thresholds: explicit thresholds in `[0, 1]`, replacing
            `num_thresholds`.
        multi_label: compute one AUC per label (column) and average them,
            instead of flattening all labels into one curve.
        num_labels: the number of labels with `multi_label` (else found at
            the first update).
        label_weights: per-label weights: of the average with
            `multi_label`, else of the counts.
        from_logits: whether predictions are logits (a sigmoid is applied).

    Example:
    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.75
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        self._direction = "up"
        key = str(getattr(curve, "value", curve))
        if key.lower() not in _CURVES or key not in (key.lower(), key.upper()):
            raise ValueError(
                f'Invalid AUC curve value: "{curve}". '
                'Expected values are ["PR", "ROC", "PRGAIN"]'
            )
        method = str(getattr(summation_method, "value", summation_method))
        if method.lower() not in _SUMMATIONS or method not in (
            method.lower(),
            method.capitalize(),
        ):
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". '
                'Expected values are ["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in _to_list(thresholds))
            self.num_thresholds = len(inner) + 2
            evenly = _evenly_distributed(np.array([0.0] + inner + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            inner = _evenly_spaced(num_thresholds)
            evenly = True
        eps = config.epsilon()
        self._thresholds = [0.0 - eps] + inner + [1.0 + eps]
        self._spec = _Thresholds(self._thresholds, evenly)
        self.curve = _CURVES[key.lower()]
        self.summation_method = method.lower()
        super().__init__(name=name, dtype=dtype)

        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights: torch.Tensor | None = None
        if label_weights is not None:
            self.label_weights = to_tensor(
                label_weights, config.torch_dtype(self.dtype), config.device()
            )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError(
                    "`num_labels` is needed only when `multi_label` is True."
                )
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, endpoints included."""
        return list(self._thresholds)

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. "
                    f"Found rank {len(shape)}. "
                    f"Full shape received for `y_pred`: {tuple(shape)}"
                )
            self._num_labels = int(shape[1])
            var_shape: tuple[int, ...] = (self.num_thresholds, self._num_labels)
        else:
            var_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self._add_counts(var_shape)
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch's (weighted) confusion counts at each threshold."""
        if not self._built:
            shape = y_pred.shape if hasattr(y_pred, "shape") else np.shape(y_pred)
            self._build(tuple(shape))
        if self._from_logits:
            with torch.no_grad():
                y_pred = torch.sigmoid(
                    to_tensor(y_pred, device=self.true_positives.device)
                )
        self._update_counts(
            y_true,
            y_pred,
            sample_weight,
            multi_label=self.multi_label,
            # With `multi_label`, label weights weigh the average in `result`
            # instead of the counts.
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average(self, per_threshold: torch.Tensor) -> torch.Tensor:
        if not self.multi_label:
            return per_threshold.sum()
        by_label = per_threshold.sum(dim=0)
        if self.label_weights is None:
            return by_label.mean()
        weights = self.label_weights.to(by_label.device, by_label.dtype)
        return divide_no_nan((by_label * weights).sum(), weights.sum())

    def interpolate_pr_auc(self) -> torch.Tensor:
        """PR AUC with Davis & Goadrich's interpolation between thresholds.

        Precision is interpolated linearly in the number of predicted
        positives between two thresholds, and integrated in closed form.
        """
        tp, fp = self.true_positives.detach(), self.false_positives.detach()
        fn = self.false_negatives.detach()
        n = self.num_thresholds
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = divide_no_nan(dtp, dp.clamp_min(0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where(
            (p[: n - 1] > 0) & (p[1:] > 0),
            divide_no_nan(p[: n - 1], p[1:].clamp_min(0)),
            torch.ones_like(p[1:]),
        )
        increment = divide_no_nan(
            prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
            (tp[1:] + fn[1:]).clamp_min(0),
        )
        return self._average(increment)

    def result(self) -> torch.Tensor:
        """The area under the curve (averaged over labels with `multi_label`)."""
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives.detach(), self.false_positives.detach()
        tn, fn = self.true_negatives.detach(), self.false_negatives.detach()
        n = self.num_thresholds
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            # Precision-recall gain (Flach & Kull): gains are rescaled by
            # P / N. Without true positives, recall gain is 0 and precision
            # gain 1; negative recall gains are clipped to 0 (as in Keras).
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
            no_tp = tp == 0
            recall_gain = torch.where(no_tp, torch.zeros_like(tp), recall_gain)
            precision_gain = torch.where(no_tp, torch.ones_like(tp), precision_gain)
            x, y = recall_gain.clamp_min(0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[: n - 1], y[1:])
        else:
            heights = torch.maximum(y[: n - 1], y[1:])
        return self._average((x[: n - 1] - x[1:]) * heights)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict[str, Any]:
        label_weights = self.label_weights
        config_ = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": (
                None if label_weights is None else label_weights.detach().cpu().tolist()
            ),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            # Without the endpoints, so that the config rebuilds the same list.
            config_["thresholds"] = self.thresholds[1:-1]
        return config_
