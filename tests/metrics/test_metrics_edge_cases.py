"""Edge cases, weights and masks, argument errors, and the hot-path rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu.metrics as metrics


def to_numpy(x: Any) -> np.ndarray:
    # Keras Variables hold their torch tensor in `.value`.
    x = getattr(x, "value", x) if not isinstance(x, torch.Tensor) else x
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def assert_same(ours: Any, theirs: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=rtol, atol=atol)


# -- empty state and degenerate data ---------------------------------------
EMPTY = [
    ("Mean", {}),
    ("Sum", {}),
    ("Accuracy", {}),
    ("RootMeanSquaredError", {}),
    ("Precision", {}),
    ("Recall", {"thresholds": [0.3, 0.6]}),
    ("AUC", {}),
    ("AUC", {"curve": "PR"}),
    ("SensitivityAtSpecificity", {"specificity": 0.5}),
    ("RecallAtPrecision", {"precision": 0.5}),
    ("MeanIoU", {"num_classes": 3}),
    ("TruePositives", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), EMPTY, ids=[n for n, _ in EMPTY])
def test_result_before_any_update(keras: Any, name: str, kwargs: dict) -> None:
    assert_same(
        getattr(metrics, name)(**kwargs).result(),
        getattr(keras.metrics, name)(**kwargs).result(),
    )


DEGENERATE = [
    # all-zero predictions: no predicted positives anywhere
    ("Precision", {}, [[0, 1], [1, 0]], [[0.0, 0.0], [0.0, 0.0]]),
    ("Recall", {}, [[0, 0], [0, 0]], [[0.2, 0.9], [0.7, 0.0]]),
    ("AUC", {}, [[0, 0], [0, 0]], [[0.2, 0.9], [0.7, 0.0]]),
    ("AUC", {"curve": "PR"}, [[1, 1], [1, 1]], [[0.2, 0.9], [0.7, 0.0]]),
    ("AUC", {"curve": "PRGAIN"}, [[0, 1], [1, 0]], [[0.0, 0.0], [0.0, 0.0]]),
    ("AUC", {}, [[0, 1], [1, 0]], [[0.0, 1.0], [1.0, 0.0]]),
    ("SpecificityAtSensitivity", {"sensitivity": 0.9}, [[0, 1]], [[0.0, 0.0]]),
    ("F1Score", {}, [[0, 1, 0], [1, 0, 0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    (
        "F1Score",
        {"average": "weighted"},
        [[0, 0, 0], [0, 0, 0]],
        [[0.1, 0.7, 0.2], [0.5, 0.4, 0.1]],
    ),
    ("R2Score", {}, [[1.0], [1.0], [1.0]], [[1.0], [2.0], [0.0]]),
    ("PearsonCorrelation", {}, [[1.0, 1.0, 1.0]], [[0.0, 1.0, 2.0]]),
    ("CosineSimilarity", {}, [[0.0, 0.0]], [[1.0, 2.0]]),
    ("MeanAbsolutePercentageError", {}, [[0.0, 1.0]], [[1.0, 1.0]]),
    ("TopKCategoricalAccuracy", {"k": 1}, [[0, 1, 0]], [[0.5, 0.5, 0.0]]),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "y_true", "y_pred"),
    DEGENERATE,
    ids=[f"{d[0]}-{i}" for i, d in enumerate(DEGENERATE)],
)
def test_degenerate_data(
    keras: Any, name: str, kwargs: dict, y_true: Any, y_pred: Any
) -> None:
    y_true = np.asarray(y_true, "float32")
    y_pred = np.asarray(y_pred, "float32")
    ours = getattr(metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    ours.update_state(y_true, y_pred)
    theirs.update_state(y_true, y_pred)
    assert_same(ours.result(), theirs.result())


def test_iou_ignores_absent_and_out_of_range_classes(keras: Any) -> None:
    y_true = np.array([0, 0, 1, 5, -1, 1])
    y_pred = np.array([0, 1, 1, 1, 0, 4])
    for name, kwargs in [
        ("MeanIoU", {"num_classes": 4}),
        ("IoU", {"num_classes": 4, "target_class_ids": [0, 3]}),
    ]:
        ours, theirs = (
            getattr(metrics, name)(**kwargs),
            getattr(keras.metrics, name)(**kwargs),
        )
        ours.update_state(y_true, y_pred)
        theirs.update_state(y_true, y_pred)
        assert_same(ours.result(), theirs.result())
        assert_same(ours.total_cm, theirs.total_cm)


def test_iou_float_weights_warn_with_integer_counts() -> None:
    m = metrics.MeanIoU(num_classes=2)
    with pytest.warns(
        UserWarning, match="passing weight as `float`, but dtype is `int`"
    ):
        m.update_state([0, 1], [0, 1], sample_weight=np.array([0.5, 1.5]))


def test_top_k_beyond_the_number_of_classes_counts_every_sample() -> None:
    # Keras fails inside `topk` here; every class is then among the top k.
    m = metrics.SparseTopKCategoricalAccuracy(k=10)
    m.update_state([0, 2], [[0.1, 0.2, 0.7], [0.5, 0.4, 0.1]])
    assert float(m.result()) == 1.0


def test_sorted_ids_top_k(keras: Any) -> None:
    y_true = np.array([3, 1, 4, 0])
    ids = np.array([[3, 2, 0], [0, 2, 1], [1, 2, 3], [0, 0, 4]])
    ours = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    theirs = keras.metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    ours.update_state(y_true, ids)
    theirs.update_state(y_true, ids)
    assert_same(ours.result(), theirs.result())
    assert ours.get_config()["from_sorted_ids"] is True


NAN_CASES = [
    ("AUC", {"num_thresholds": 5}),
    ("Precision", {"thresholds": [0.1, 0.5]}),
    ("Recall", {"thresholds": [0.0, 0.5, 1.0]}),
    ("TruePositives", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), NAN_CASES, ids=[n for n, _ in NAN_CASES])
def test_nan_predictions_count_as_negative(keras: Any, name: str, kwargs: dict) -> None:
    y_true = np.array([1, 0, 1])
    y_pred = np.array([np.nan, 0.2, 0.9], "float32")
    ours, theirs = (
        getattr(metrics, name)(**kwargs),
        getattr(keras.metrics, name)(**kwargs),
    )
    ours.update_state(y_true, y_pred)
    theirs.update_state(y_true, y_pred)
    for ours_v, theirs_v in zip(ours.variables, theirs.variables):
        assert_same(ours_v, theirs_v)


# -- sample weights and masks ----------------------------------------------
WEIGHTS = [
    ("scalar", (4, 3), ()),
    ("per_sample", (4, 3), (4,)),
    ("column", (4, 3), (4, 1)),
    ("full", (4, 3), (4, 3)),
    ("rank3_per_step", (4, 3, 2), (4, 3)),
    ("vector_values", (4,), (4, 1)),
]


@pytest.mark.parametrize("name", ["Mean", "Sum"])
@pytest.mark.parametrize(
    ("case", "values_shape", "weight_shape"), WEIGHTS, ids=[w[0] for w in WEIGHTS]
)
def test_reduction_weight_shapes(
    keras: Any, name: str, case: str, values_shape: tuple, weight_shape: tuple
) -> None:
    rng = np.random.default_rng(0)
    ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
    for _ in range(2):
        values = rng.normal(size=values_shape).astype("float32")
        weights = rng.uniform(size=weight_shape).astype("float32")
        ours.update_state(values, sample_weight=weights)
        theirs.update_state(values, sample_weight=weights)
        assert_same(ours.result(), theirs.result())


@pytest.mark.parametrize("weighted", [False, True])
def test_mask_on_predictions(keras: Any, weighted: bool) -> None:
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(4, 5, 2)).astype("float32")
    y_pred = torch.from_numpy(rng.normal(size=(4, 5, 2)).astype("float32"))
    y_pred._keras_mask = torch.from_numpy(rng.uniform(size=(4, 5)) > 0.3)
    weights = rng.uniform(size=(4, 5)).astype("float32") if weighted else None
    ours = metrics.MeanSquaredError()
    theirs = keras.metrics.MeanSquaredError()
    ours.update_state(y_true, y_pred, sample_weight=weights)
    theirs.update_state(y_true, y_pred, sample_weight=weights)
    assert_same(ours.result(), theirs.result())


@pytest.mark.parametrize("weighted", [False, True])
def test_mask_set_by_the_loss_function(keras: Any, weighted: bool) -> None:
    # `ignore_class` makes the loss mask its own output; Keras folds that
    # mask into the weights only when weights are given.
    y_true = np.array([0, 2, 1, 2, 0])
    y_pred = np.random.default_rng(1).dirichlet(np.ones(3), 5).astype("float32")
    weights = np.linspace(0.2, 1.0, 5).astype("float32") if weighted else None
    ours = metrics.SparseCategoricalCrossentropy(ignore_class=2)
    theirs = keras.metrics.SparseCategoricalCrossentropy(ignore_class=2)
    ours.update_state(y_true, y_pred, sample_weight=weights)
    theirs.update_state(y_true, y_pred, sample_weight=weights)
    assert_same(ours.result(), theirs.result())


@pytest.mark.parametrize("name", ["Precision", "AUC", "MeanIoU", "F1Score", "R2Score"])
def test_weighted_zero_weights_equal_fewer_samples(name: str) -> None:
    kwargs = {"num_classes": 3} if name == "MeanIoU" else {}
    rng = np.random.default_rng(2)
    if name == "MeanIoU":
        y_true, y_pred = rng.integers(0, 3, 8), rng.integers(0, 3, 8)
    elif name == "R2Score":
        y_true, y_pred = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
    else:
        y_true = rng.integers(0, 2, (8, 3)).astype("float32")
        y_pred = rng.uniform(size=(8, 3)).astype("float32")
    weights = np.array(
        [1, 1, 1, 1, 0, 0, 0, 0], dtype="int32" if name == "MeanIoU" else "float32"
    )
    a, b = getattr(metrics, name)(**kwargs), getattr(metrics, name)(**kwargs)
    a.update_state(y_true, y_pred, sample_weight=weights)
    b.update_state(y_true[:4], y_pred[:4])
    assert_same(a.result(), b.result())


# -- argument errors ---------------------------------------------------------
ERRORS = [
    (
        lambda: metrics.Precision(thresholds=[0.5, 1.5]),
        r"Threshold values must be in \[0, 1\]",
    ),
    (
        lambda: metrics.TruePositives(thresholds=-0.1),
        r"Threshold values must be in \[0, 1\]",
    ),
    (lambda: metrics.AUC(curve="XY"), r'Invalid AUC curve value: "XY"'),
    (
        lambda: metrics.AUC(summation_method="sum"),
        r'Invalid AUC summation method value: "sum"',
    ),
    (lambda: metrics.AUC(num_thresholds=1), r"`num_thresholds` must be an integer > 1"),
    (
        lambda: metrics.AUC(num_labels=3),
        r"`num_labels` is needed only when `multi_label` is True",
    ),
    (
        lambda: metrics.SensitivityAtSpecificity(1.5),
        r"`specificity` must be in the range \[0, 1\]",
    ),
    (
        lambda: metrics.SpecificityAtSensitivity(-1),
        r"`sensitivity` must be in the range \[0, 1\]",
    ),
    (lambda: metrics.PrecisionAtRecall(2), r"`recall` must be in the range \[0, 1\]"),
    (
        lambda: metrics.RecallAtPrecision(2),
        r"`precision` must be in the range \[0, 1\]",
    ),
    (
        lambda: metrics.PrecisionAtRecall(0.5, num_thresholds=0),
        r"`num_thresholds` must be an integer > 0",
    ),
    (lambda: metrics.FBetaScore(average="median"), r"Invalid `average` argument value"),
    (
        lambda: metrics.FBetaScore(beta=2),
        r"`beta` argument value. It should be a Python float",
    ),
    (lambda: metrics.FBetaScore(beta=-1.0), r"It should be > 0. Received: beta=-1.0"),
    (
        lambda: metrics.F1Score(threshold=1),
        r"`threshold` argument value. It should be a Python float",
    ),
    (lambda: metrics.F1Score(threshold=1.5), r"0 < threshold <= 1"),
    (
        lambda: metrics.R2Score(class_aggregation="max"),
        r"Invalid value for argument `class_aggregation`",
    ),
    (lambda: metrics.R2Score(num_regressors=-1), r"Expected a value >= 0"),
    (
        lambda: metrics.IoU(3, target_class_ids=[0, 3]),
        r"Target class id 3 is out of range, which is \[0, 3\)",
    ),
]


@pytest.mark.parametrize(
    ("make", "match"), ERRORS, ids=[str(i) for i in range(len(ERRORS))]
)
def test_argument_errors(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_input_errors() -> None:
    with pytest.raises(
        ValueError, match=r"When class_id is provided, y_pred must be a 2D array"
    ):
        metrics.Precision(class_id=1).update_state([1, 0], [0.4, 0.7])
    with pytest.raises(
        ValueError, match=r"`y_pred` must have rank 2 when `multi_label=True`"
    ):
        metrics.AUC(multi_label=True).update_state(
            np.zeros((2, 3, 4)), np.zeros((2, 3, 4))
        )
    with pytest.raises(
        ValueError, match=r"F1Score expects 2D inputs .* y_pred.shape=\(4,\)"
    ):
        metrics.F1Score().update_state(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"R2Score expects 2D inputs"):
        metrics.R2Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))


def test_adjusted_r2_falls_back_with_a_warning() -> None:
    m = metrics.R2Score(num_regressors=5)
    m.update_state([[1.0], [2.0], [4.0]], [[1.5], [2.0], [3.0]])
    with pytest.warns(UserWarning, match="More independent predictors than datapoints"):
        value = m.result()
    assert_same(
        value, metrics.R2Score().__call__([[1.0], [2.0], [4.0]], [[1.5], [2.0], [3.0]])
    )
    m = metrics.R2Score(num_regressors=2)
    m.update_state([[1.0], [2.0], [4.0]], [[1.5], [2.0], [3.0]])
    with pytest.warns(UserWarning, match="Division by zero in Adjusted R2 score"):
        m.result()
