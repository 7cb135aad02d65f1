"""The metric functions of `keras.metrics`, elementwise against Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu.metrics as metrics

FUNCTIONS = [
    ("binary_accuracy", {}, "binary"),
    ("binary_accuracy", {"threshold": 0.3}, "binary_col"),
    ("categorical_accuracy", {}, "categorical"),
    ("sparse_categorical_accuracy", {}, "sparse"),
    ("sparse_categorical_accuracy", {}, "sequence"),
    ("top_k_categorical_accuracy", {"k": 2}, "categorical"),
    ("sparse_top_k_categorical_accuracy", {"k": 3}, "sparse_flat"),
    ("pearson_correlation", {}, "regression"),
    ("pearson_correlation", {"axis": 0}, "regression"),
    ("concordance_correlation", {}, "regression"),
    ("concordance_correlation", {"axis": 0}, "regression"),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "kind"),
    FUNCTIONS,
    ids=[f"{f[0]}-{i}" for i, f in enumerate(FUNCTIONS)],
)
def test_function_matches_keras(
    keras: Any, batch: Any, name: str, kwargs: dict, kind: str
):
    y_true, y_pred, _ = batch(kind, np.random.default_rng(0))
    ours = getattr(metrics, name)(y_true, y_pred, **kwargs)
    theirs = getattr(keras.metrics, name)(y_true, y_pred, **kwargs)
    assert isinstance(ours, torch.Tensor) and ours.dtype == torch.float32
    theirs = theirs.detach().cpu().numpy()
    assert tuple(ours.shape) == theirs.shape
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-5, atol=1e-6)


def test_accuracy_functions_accept_tensors_and_lists() -> None:
    y_pred = torch.tensor([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])
    assert metrics.sparse_categorical_accuracy(
        torch.tensor([1, 1]), y_pred
    ).tolist() == [1.0, 0.0]
    assert metrics.categorical_accuracy([[0, 1, 0], [1, 0, 0]], y_pred).tolist() == [
        1.0,
        1.0,
    ]
    assert metrics.binary_accuracy([1, 0], [0.9, 0.4]).tolist() == [1.0, 1.0]


def test_accuracy_metric_counts_booleans_exactly() -> None:
    # Integer counting of matches: no float rounding in the total.
    m = metrics.BinaryAccuracy()
    y_true = torch.ones(1 << 12)
    for _ in range(8):
        m.update_state(y_true, torch.ones(1 << 12))
    assert float(m.total) == 8 * (1 << 12)
    assert float(m.result()) == 1.0
