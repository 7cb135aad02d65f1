"""Every loss against real Keras 3 (torch backend): values and gradients.

One table of loss configurations and one of input kinds drive the tests:
each reduction with and without sample weights, masks, `from_logits`, label
smoothing, and inputs at the edges (probabilities of exactly 0 and 1,
all-zero predictions).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu import losses

B, D, C = 6, 5, 4  # batch, features, classes
F32 = np.float32
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]
RTOL, ATOL = 2e-5, 2e-6


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def make_data(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`(y_true, y_pred)` for an input kind."""
    normal = lambda *s: rng.normal(size=s).astype(F32)  # noqa: E731
    uniform = lambda lo, hi, *s: rng.uniform(lo, hi, size=s).astype(F32)  # noqa: E731
    if kind == "regression":
        return normal(B, D), normal(B, D)
    if kind == "positive":
        return uniform(0.0, 3.0, B, D), uniform(0.1, 3.0, B, D)
    if kind == "distribution":
        return _softmax(normal(B, C)), _softmax(normal(B, C))
    if kind == "binary":
        return rng.integers(0, 2, (B, D)).astype(F32), uniform(0.01, 0.99, B, D)
    if kind == "binary_logits":
        return rng.integers(0, 2, (B, D)).astype(F32), 3 * normal(B, D)
    if kind == "categorical":
        return np.eye(C, dtype=F32)[rng.integers(0, C, B)], uniform(0.05, 1.0, B, C)
    if kind == "categorical_logits":
        return np.eye(C, dtype=F32)[rng.integers(0, C, B)], 2 * normal(B, C)
    if kind == "sparse":
        return rng.integers(0, C, B), uniform(0.05, 1.0, B, C)
    if kind == "sparse_logits":
        return rng.integers(0, C, B), 2 * normal(B, C)
    if kind == "sparse_3d":  # classes on axis 1
        return rng.integers(0, C, (B, 3)), uniform(0.05, 1.0, B, C, 3)
    if kind == "sparse_3d_logits":
        return rng.integers(0, C, (B, 3)), 2 * normal(B, C, 3)
    if kind == "hinge_binary":
        return rng.integers(0, 2, (B, D)).astype(F32), normal(B, D)
    if kind == "hinge_signed":
        return (2 * rng.integers(0, 2, (B, D)) - 1).astype(F32), normal(B, D)
    if kind == "segmentation":
        return rng.integers(0, 2, (B, 8, 8)).astype(F32), uniform(0.0, 1.0, B, 8, 8)
    if kind == "circle":
        emb = normal(B, 8)
        return rng.integers(0, 3, B), emb / np.linalg.norm(emb, axis=-1, keepdims=True)
    if kind == "ctc":
        labels = rng.integers(1, C, (B, 3))
        labels[::2, 2] = 0  # padding at the end of every other sequence
        return labels, normal(B, 10, C)
    raise AssertionError(kind)


def as_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def assert_close(
    actual: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL
) -> None:
    actual, expected = as_numpy(actual), as_numpy(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


# (class name, constructor arguments, input kind)
CLASS_CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "binary"),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "binary_logits",
    ),
    ("BinaryFocalCrossentropy", {}, "binary"),
    (
        "BinaryFocalCrossentropy",
        {
            "apply_class_balancing": True,
            "alpha": 0.4,
            "gamma": 1.5,
            "from_logits": True,
            "label_smoothing": 0.1,
        },
        "binary_logits",
    ),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "categorical_logits",
    ),
    ("CategoricalFocalCrossentropy", {}, "categorical"),
    (
        "CategoricalFocalCrossentropy",
        {
            "alpha": [0.1, 0.2, 0.3, 0.4],
            "gamma": 1.0,
            "from_logits": True,
            "label_smoothing": 0.1,
        },
        "categorical_logits",
    ),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True, "ignore_class": 1},
        "sparse_logits",
    ),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse"),
    ("CategoricalGeneralizedCrossEntropy", {}, "sparse"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, "sparse"),
    ("Hinge", {}, "hinge_binary"),
    ("Hinge", {}, "hinge_signed"),
    ("SquaredHinge", {}, "hinge_binary"),
    ("SquaredHinge", {}, "hinge_signed"),
    ("CategoricalHinge", {}, "categorical_logits"),
    ("Dice", {}, "segmentation"),
    ("Dice", {"axis": (1, 2)}, "segmentation"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}, "segmentation"),
    ("Tversky", {"axis": (1, 2)}, "segmentation"),
    ("Circle", {}, "circle"),
    ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, "circle"),
    ("CTC", {}, "ctc"),
]
CASE_IDS = [f"{n}-{k}-{i}" for i, (n, _, k) in enumerate(CLASS_CASES)]
# Circle scales similarities by gamma=80 inside a log-sum-exp.
TOLERANCES = {"Circle": (1e-4, 1e-5)}


def _tensors(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[torch.Tensor, ...]:
    return torch.from_numpy(y_true), torch.from_numpy(y_pred)


# The reductions are shared code: every loss runs with a few of them, and the
# losses with their own fused kernels (and Circle, which masks, and Dice, whose
# loss is a scalar) with all of them.
FEW_REDUCTIONS = [("sum_over_batch_size", True), (None, False), ("sum", False)]
ALL_REDUCTIONS = [(r, w) for r in REDUCTIONS for w in (False, True)]
FULL_MATRIX = {
    "MeanSquaredError",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "Circle",
    "Dice",
}
REDUCTION_CASES = [
    pytest.param(*case, reduction, weighted, id=f"{CASE_IDS[i]}-{reduction}-{weighted}")
    for i, case in enumerate(CLASS_CASES)
    for reduction, weighted in (
        ALL_REDUCTIONS if case[0] in FULL_MATRIX else FEW_REDUCTIONS
    )
]


@pytest.mark.parametrize(
    ("name", "kwargs", "kind", "reduction", "weighted"), REDUCTION_CASES
)
def test_loss_matches_keras(keras, name, kwargs, kind, reduction, weighted):
    rng = np.random.default_rng(0)
    y_true, y_pred = make_data(kind, rng)
    sw = rng.uniform(0.0, 2.0, B).astype(F32) if weighted else None
    expected = getattr(keras.losses, name)(reduction=reduction, **kwargs)(
        y_true, y_pred, sample_weight=sw
    )
    loss = getattr(losses, name)(reduction=reduction, **kwargs)
    actual = loss(*_tensors(y_true, y_pred), sample_weight=sw)
    assert isinstance(actual, torch.Tensor)
    assert actual.dtype == torch.float32
    assert_close(actual, expected, *TOLERANCES.get(name, (RTOL, ATOL)))


@pytest.mark.parametrize(("name", "kwargs", "kind"), CLASS_CASES, ids=CASE_IDS)
def test_gradients_match_keras(keras, name, kwargs, kind):
    rng = np.random.default_rng(1)
    y_true, y_pred = make_data(kind, rng)
    sw = torch.from_numpy(rng.uniform(0.5, 2.0, B).astype(F32))
    grads = []
    for loss in (
        getattr(keras.losses, name)(**kwargs),
        getattr(losses, name)(**kwargs),
    ):
        pred = torch.from_numpy(y_pred).requires_grad_()
        # A copy each: Keras multiplies the weights by the mask in place.
        loss(torch.from_numpy(y_true), pred, sample_weight=sw.clone()).backward()
        grads.append(pred.grad)
    expected, actual = grads
    assert torch.isfinite(actual).all()
    rtol, atol = TOLERANCES.get(name, (1e-4, 1e-6))
    assert_close(actual, expected, rtol, atol)


@pytest.mark.parametrize(
    "sample_weight",
    [0.5, [[1.0], [0.0], [2.0], [1.0], [0.5], [3.0]], np.arange(B, dtype=np.float64)],
    ids=["scalar", "column", "float64-vector"],
)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("name", "kwargs", "kind"),
    [
        ("MeanSquaredError", {}, "regression"),
        ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
        ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ],
)
def test_sample_weight_shapes_match_keras(
    keras, name, kwargs, kind, reduction, sample_weight
):
    y_true, y_pred = make_data(kind, np.random.default_rng(2))
    expected = getattr(keras.losses, name)(reduction=reduction, **kwargs)(
        y_true, y_pred, sample_weight=sample_weight
    )
    actual = getattr(losses, name)(reduction=reduction, **kwargs)(
        *_tensors(y_true, y_pred), sample_weight=sample_weight
    )
    assert_close(actual, expected)


def test_numpy_and_list_inputs_match_tensor_inputs():
    y_true, y_pred = make_data("categorical", np.random.default_rng(3))
    loss = losses.CategoricalCrossentropy()
    from_tensors = loss(*_tensors(y_true, y_pred))
    assert_close(loss(y_true, y_pred), from_tensors)
    assert_close(loss(y_true.tolist(), y_pred.astype(np.float64)), from_tensors)


# --- per-sample functions -----------------------------------------------------

FUNCTION_CASES = [
    ("mean_squared_error", {}, "regression"),
    ("mean_absolute_error", {}, "regression"),
    ("mean_absolute_percentage_error", {}, "regression"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("cosine_similarity", {}, "regression"),
    ("cosine_similarity", {"axis": 0}, "regression"),
    ("huber", {"delta": 0.7}, "regression"),
    ("huber", {"delta": 0.0}, "regression"),
    ("huber", {"delta": -1.0}, "regression"),
    ("log_cosh", {}, "regression"),
    ("kl_divergence", {}, "distribution"),
    ("poisson", {}, "positive"),
    ("binary_crossentropy", {}, "binary"),
    (
        "binary_crossentropy",
        {"from_logits": True, "label_smoothing": 0.1, "axis": 0},
        "binary_logits",
    ),
    ("binary_focal_crossentropy", {"apply_class_balancing": True, "axis": 0}, "binary"),
    ("binary_focal_crossentropy", {"from_logits": True, "gamma": 3.0}, "binary_logits"),
    ("categorical_crossentropy", {}, "categorical"),
    (
        "categorical_crossentropy",
        {"from_logits": True, "axis": 0},
        "categorical_logits",
    ),
    ("categorical_crossentropy", {"label_smoothing": 0.1, "axis": 0}, "categorical"),
    ("categorical_focal_crossentropy", {"alpha": [0.1, 0.2, 0.3, 0.4]}, "categorical"),
    (
        "categorical_focal_crossentropy",
        {"from_logits": True, "axis": 0},
        "categorical_logits",
    ),
    ("sparse_categorical_crossentropy", {}, "sparse"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_logits"),
    (
        "sparse_categorical_crossentropy",
        {"from_logits": True, "ignore_class": 2},
        "sparse_logits",
    ),
    ("sparse_categorical_crossentropy", {"axis": 1}, "sparse_3d"),
    (
        "sparse_categorical_crossentropy",
        {"from_logits": True, "axis": 1},
        "sparse_3d_logits",
    ),
    (
        "sparse_categorical_crossentropy",
        {"axis": 1, "ignore_class": 0},
        "sparse_3d_logits",
    ),
    ("categorical_generalized_cross_entropy", {"q": 0.5}, "sparse"),
    ("hinge", {}, "hinge_binary"),
    ("squared_hinge", {}, "hinge_signed"),
    ("categorical_hinge", {}, "categorical_logits"),
    ("dice", {}, "segmentation"),
    ("dice", {"axis": (1, 2)}, "segmentation"),
    ("tversky", {"alpha": 0.7, "beta": 0.3, "axis": (1, 2)}, "segmentation"),
    ("circle", {}, "circle"),
    ("circle", {"remove_diagonal": False, "gamma": 4.0}, "circle"),
    ("ctc", {}, "ctc"),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "kind"),
    FUNCTION_CASES,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(FUNCTION_CASES)],
)
def test_function_matches_keras(keras, name, kwargs, kind):
    y_true, y_pred = make_data(kind, np.random.default_rng(4))
    args = _tensors(y_true, y_pred)
    expected = getattr(keras.losses, name)(*args, **kwargs)
    actual = getattr(losses, name)(*args, **kwargs)
    rtol, atol = TOLERANCES.get(name.capitalize(), (RTOL, ATOL))
    assert_close(actual, expected, rtol, atol)
    keras_mask = getattr(expected, "_keras_mask", None)
    if keras_mask is not None:
        assert torch.equal(actual._keras_mask, keras_mask)


def test_circle_with_reference_set_matches_keras(keras):
    rng = np.random.default_rng(5)
    labels, emb = make_data("circle", rng)
    ref_labels, ref_emb = make_data("circle", rng)
    kwargs = {
        "ref_labels": torch.from_numpy(ref_labels),
        "ref_embeddings": torch.from_numpy(ref_emb),
    }
    args = _tensors(labels, emb)
    expected = keras.losses.circle(*args, **kwargs)
    assert_close(losses.circle(*args, **kwargs), expected, 1e-4, 1e-5)


# --- masks --------------------------------------------------------------------

MASK_CASES = [
    ("MeanSquaredError", {}),
    ("BinaryCrossentropy", {"from_logits": True}),
    ("SparseCategoricalCrossentropy", {"from_logits": True}),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 0}),
]


def _sequence_data(name: str, rng: np.random.Generator):
    T = 7
    if name == "SparseCategoricalCrossentropy":
        return rng.integers(0, C, (B, T)), rng.normal(size=(B, T, C)).astype(F32)
    if name == "BinaryCrossentropy":
        return (
            rng.integers(0, 2, (B, T, D)).astype(F32),
            rng.normal(size=(B, T, D)).astype(F32),
        )
    return rng.normal(size=(B, T, D)).astype(F32), rng.normal(size=(B, T, D)).astype(
        F32
    )


@pytest.mark.parametrize("mask_kind", ["random", "none-valid"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "kwargs"), MASK_CASES)
def test_masked_loss_matches_keras(keras, name, kwargs, reduction, weighted, mask_kind):
    rng = np.random.default_rng(6)
    y_true, y_pred = _sequence_data(name, rng)
    mask = rng.uniform(size=y_true.shape[:2]) > 0.4
    if mask_kind == "none-valid":
        mask[:] = False
    sw = rng.uniform(0.0, 2.0, mask.shape).astype(F32) if weighted else None
    results = []
    for module in (keras.losses, losses):
        pred = torch.from_numpy(y_pred)
        pred._keras_mask = torch.from_numpy(mask)
        loss = getattr(module, name)(reduction=reduction, **kwargs)
        results.append(loss(torch.from_numpy(y_true), pred, sample_weight=sw))
    expected, actual = results
    assert_close(actual, expected)


# --- labels for sparse cross-entropy ------------------------------------------


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize(
    "label_form", ["int64", "int32", "column", "float"], ids=lambda s: s
)
def test_sparse_labels_forms_agree(keras, label_form, from_logits):
    labels, y_pred = make_data(
        "sparse_logits" if from_logits else "sparse", np.random.default_rng(7)
    )
    y_true = torch.from_numpy(labels)
    if label_form == "int32":
        y_true = y_true.int()
    elif label_form == "column":
        y_true = y_true[:, None]
    elif label_form == "float":
        y_true = y_true.float()
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(
        labels, y_pred
    )
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    assert_close(loss(y_true, torch.from_numpy(y_pred)), expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sparse_all_ignored_is_zero_like_keras(keras, reduction):
    labels = np.full((B,), 3)
    y_pred = np.random.default_rng(8).normal(size=(B, C)).astype(F32)
    expected = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=3, reduction=reduction
    )(labels, y_pred)
    actual = losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=3, reduction=reduction
    )(torch.from_numpy(labels), torch.from_numpy(y_pred))
    assert_close(actual, expected)
    if reduction in ("sum_over_batch_size", "mean", "sum"):
        assert float(actual) == 0.0


def test_ignore_class_gradient_is_zero_on_ignored_rows():
    labels = torch.tensor([0, -1, 2, -1])
    logits = torch.randn(4, 3, requires_grad=True)
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(
        labels, logits
    ).backward()
    assert torch.all(logits.grad[[1, 3]] == 0)
    assert torch.all(logits.grad[[0, 2]] != 0)


# --- edge values --------------------------------------------------------------

P01 = np.array([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]], F32)  # exact 0 and 1
ONE_HOT = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]], F32)
ZEROS = np.zeros((2, 4), F32)
LABELS = np.array([1, 2])

# (class name, kwargs, y_true, y_pred, whether its gradient must be finite)
EDGE_CASES = [
    ("BinaryCrossentropy", {}, ONE_HOT, P01, True),
    ("BinaryCrossentropy", {}, P01, P01, True),
    ("BinaryCrossentropy", {"from_logits": True}, ONE_HOT, 200.0 * (P01 - 0.5), True),
    ("BinaryFocalCrossentropy", {}, ONE_HOT, P01, True),
    ("CategoricalCrossentropy", {}, ONE_HOT, P01, True),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, 500.0 * P01, True),
    ("CategoricalFocalCrossentropy", {}, ONE_HOT, P01, True),
    ("SparseCategoricalCrossentropy", {}, LABELS, P01, True),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS, 500.0 * P01, True),
    ("KLDivergence", {}, ONE_HOT, P01, True),
    ("Poisson", {}, ONE_HOT, P01, True),
    ("CategoricalGeneralizedCrossEntropy", {}, LABELS, P01 + 0.5, True),
    # All-zero predictions: cross-entropies that renormalize are NaN in Keras
    # too (0 / 0); the others stay finite.
    ("CategoricalCrossentropy", {}, ONE_HOT, ZEROS, False),
    ("SparseCategoricalCrossentropy", {}, LABELS, ZEROS, False),
    ("CategoricalFocalCrossentropy", {}, ONE_HOT, ZEROS, False),
    ("CategoricalGeneralizedCrossEntropy", {}, LABELS, ZEROS, False),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, ZEROS, True),
    ("BinaryCrossentropy", {}, ONE_HOT, ZEROS, True),
    ("BinaryFocalCrossentropy", {}, ONE_HOT, ZEROS, True),
    ("KLDivergence", {}, ONE_HOT, ZEROS, True),
    ("Poisson", {}, ONE_HOT, ZEROS, True),
    ("MeanSquaredError", {}, ONE_HOT, ZEROS, True),
    ("MeanAbsoluteError", {}, ONE_HOT, ZEROS, True),
    ("MeanAbsolutePercentageError", {}, ZEROS, ZEROS, True),
    ("MeanSquaredLogarithmicError", {}, ONE_HOT, ZEROS, True),
    ("CosineSimilarity", {}, ONE_HOT, ZEROS, True),
    ("Huber", {}, ONE_HOT, ZEROS, True),
    ("LogCosh", {}, ONE_HOT, ZEROS, True),
    ("Hinge", {}, ONE_HOT, ZEROS, True),
    ("SquaredHinge", {}, ONE_HOT, ZEROS, True),
    ("CategoricalHinge", {}, ONE_HOT, ZEROS, True),
    ("Dice", {}, ZEROS, ZEROS, True),
    ("Tversky", {}, ZEROS, ZEROS, True),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "y_true", "y_pred", "finite_grad"),
    EDGE_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(EDGE_CASES)],
)
def test_edge_values_match_keras(keras, name, kwargs, y_true, y_pred, finite_grad):
    values, grads = [], []
    for module in (keras.losses, losses):
        pred = torch.from_numpy(y_pred.copy()).requires_grad_()
        value = getattr(module, name)(reduction=None, **kwargs)(
            torch.from_numpy(y_true), pred
        )
        value.sum().backward()
        values.append(value)
        grads.append(pred.grad)
    assert_close(values[1], values[0], 1e-5, 1e-5)
    if finite_grad:
        assert torch.isfinite(values[1]).all()
        assert torch.isfinite(grads[1]).all()
    if torch.isfinite(grads[0]).all():
        assert_close(grads[1], grads[0], 1e-4, 1e-5)


def test_cosine_similarity_gradient_finite_at_zero_vector():
    # Keras's rsqrt-based normalization gives NaN here; ours does not.
    pred = torch.zeros(2, 3, requires_grad=True)
    losses.CosineSimilarity()(torch.ones(2, 3), pred).backward()
    assert torch.isfinite(pred.grad).all()


def test_categorical_generalized_accepts_column_labels():
    # Keras documents `(batch_size, 1)` labels but broadcasts them into a
    # (B, B) matrix; cornu reads them as `(batch_size,)`.
    labels, y_pred = make_data("sparse", np.random.default_rng(9))
    loss = losses.CategoricalGeneralizedCrossEntropy(reduction=None)
    flat = loss(torch.from_numpy(labels), torch.from_numpy(y_pred))
    column = loss(torch.from_numpy(labels[:, None]), torch.from_numpy(y_pred))
    assert_close(column, flat)
    p = y_pred[np.arange(B), labels]
    assert_close(flat, (1 - np.sqrt(p)) / 0.5)


# --- NumPy reference of the reductions ----------------------------------------


def _reference_reduce(values, sample_weight, mask, reduction):
    """Keras's reduction written out in NumPy, for rank-2 losses."""
    weight = np.ones_like(values) if sample_weight is None else sample_weight
    if mask is not None:
        if reduction in ("mean", "sum_over_batch_size"):
            valid = mask.sum()
            weight = weight * np.where(mask, mask.size / valid if valid else 0.0, 0.0)
        else:
            weight = weight * mask
    weighted = values * weight
    if reduction is None:
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight" and (
        sample_weight is not None or mask is not None
    ):
        total = weight.sum()
        return weighted.sum() / total if total else 0.0
    return weighted.sum() / weighted.size


@pytest.mark.parametrize("use_mask", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_reduce_weighted_values_matches_numpy_reference(reduction, weighted, use_mask):
    rng = np.random.default_rng(10)
    values = rng.uniform(size=(4, 3)).astype(np.float64)
    sw = rng.uniform(size=(4, 3)) if weighted else None
    mask = rng.uniform(size=(4, 3)) > 0.5 if use_mask else None
    actual = losses.loss.reduce_weighted_values(
        torch.from_numpy(values),
        None if sw is None else torch.from_numpy(sw),
        None if mask is None else torch.from_numpy(mask),
        reduction,
    )
    expected = _reference_reduce(values, sw, mask, reduction)
    np.testing.assert_allclose(as_numpy(actual), expected, rtol=1e-12)
