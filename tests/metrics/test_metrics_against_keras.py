"""Every metric against real Keras: same batches, same results, same config.

One table drives it: (class name, constructor arguments, kind of data).
Each case runs three `update_state` calls without and with sample weights,
checks `reset_state`, and compares `get_config` with Keras's.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

import cornu.metrics as metrics


def to_numpy(x: Any) -> np.ndarray:
    # Keras Variables hold their torch tensor in `.value`.
    x = getattr(x, "value", x) if not isinstance(x, torch.Tensor) else x
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


CASES: list[tuple[str, dict[str, Any], str]] = [
    # reduction
    ("Mean", {}, "values"),
    ("Sum", {}, "values"),
    # accuracy
    ("Accuracy", {}, "labels"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary_col"),
    ("BinaryAccuracy", {}, "binary_flat"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_flat"),
    ("SparseCategoricalAccuracy", {}, "sequence"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("TopKCategoricalAccuracy", {}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse_flat"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sequence"),
    # probabilistic
    ("BinaryCrossentropy", {}, "binary"),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "logits_binary",
    ),
    ("CategoricalCrossentropy", {}, "categorical"),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "logits_cat",
    ),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, "sparse_flat"),
    ("KLDivergence", {}, "probs_pair"),
    ("Poisson", {}, "positive"),
    # regression
    ("MeanSquaredError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "positive"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": None}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("R2Score", {"num_regressors": 2}, "regression"),
    # hinge
    ("Hinge", {}, "hinge"),
    ("SquaredHinge", {}, "hinge"),
    ("CategoricalHinge", {}, "logits_cat"),
    # correlation
    ("PearsonCorrelation", {}, "regression"),
    ("ConcordanceCorrelation", {}, "regression"),
    # confusion counts
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {"thresholds": [0.15, 0.5, 0.85]}, "binary"),
    ("TrueNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
    ("FalseNegatives", {"thresholds": [0.9, 0.1, 0.4]}, "binary_flat"),
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.7, 0.2]}, "binary"),
    ("Precision", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary_col"),
    ("Precision", {"top_k": 2}, "multilabel"),
    ("Precision", {"class_id": 1}, "multilabel"),
    ("Precision", {"top_k": 2, "class_id": 3, "thresholds": 0.2}, "multilabel"),
    ("Recall", {}, "binary"),
    ("Recall", {"thresholds": [0.3, 0.6]}, "binary_flat"),
    ("Recall", {"top_k": 1}, "multilabel"),
    ("Recall", {"class_id": 2}, "multilabel"),
    # operating points
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.8, "num_thresholds": 1}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.6}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.6, "class_id": 2}, "multilabel"),
    ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 50}, "binary"),
    ("RecallAtPrecision", {"precision": 0.6}, "binary"),
    # AUC
    ("AUC", {}, "binary"),
    ("AUC", {"num_thresholds": 7}, "binary_flat"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "binary"),
    ("AUC", {"summation_method": "minoring"}, "binary"),
    ("AUC", {"curve": "PRGAIN"}, "binary"),
    ("AUC", {"thresholds": [0.1, 0.5, 0.8]}, "binary"),
    ("AUC", {"thresholds": [0.25, 0.5, 0.75]}, "binary"),
    ("AUC", {"multi_label": True}, "multilabel"),
    ("AUC", {"multi_label": True, "curve": "PR"}, "multilabel"),
    (
        "AUC",
        {"multi_label": True, "num_labels": 4, "label_weights": [1.0, 2.0, 0.5, 1.0]},
        "multilabel",
    ),
    ("AUC", {"label_weights": [1.0, 2.0, 0.5, 3.0]}, "multilabel"),
    ("AUC", {"from_logits": True}, "logits_binary"),
    # IoU
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "segmentation"),
    (
        "IoU",
        {"num_classes": 3, "target_class_ids": [1], "ignore_class": 2},
        "segmentation",
    ),
    ("MeanIoU", {"num_classes": 3}, "segmentation"),
    ("MeanIoU", {"num_classes": 3, "sparse_y_pred": False}, "segmentation_scores"),
    ("MeanIoU", {"num_classes": 3, "dtype": "float32"}, "segmentation"),
    ("BinaryIoU", {}, "binary_segmentation"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary_segmentation"),
    (
        "OneHotIoU",
        {"num_classes": 3, "target_class_ids": [1, 2]},
        "segmentation_onehot",
    ),
    ("OneHotMeanIoU", {"num_classes": 3}, "segmentation_onehot"),
    # F-scores
    ("F1Score", {}, "categorical"),
    ("F1Score", {"average": "micro", "threshold": 0.5}, "multilabel"),
    ("F1Score", {"average": "macro"}, "multilabel"),
    (
        "FBetaScore",
        {"beta": 2.0, "average": "weighted", "threshold": 0.3},
        "multilabel",
    ),
    ("FBetaScore", {"beta": 0.5}, "categorical"),
]

IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _normalize_config(config: dict[str, Any]) -> dict[str, Any]:
    """JSON-like values, and auto-generated names without their `_N` suffix."""
    out = {}
    for key, value in config.items():
        if isinstance(value, (np.ndarray, torch.Tensor)):
            value = to_numpy(value).tolist()
        elif isinstance(value, (list, tuple)):
            value = [v.item() if isinstance(v, np.generic) else v for v in value]
        out[key] = value
    out["name"] = re.sub(r"_\d+$", "", out["name"])
    return out


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted"])
@pytest.mark.parametrize(("name", "kwargs", "kind"), CASES, ids=IDS)
def test_matches_keras(
    keras: Any, compare: Any, name: str, kwargs: dict, kind: str, weighted: bool
):
    ours = getattr(metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    # Sums of float32 weights over a few batches: a few ulps apart at most.
    compare(ours, theirs, kind, weighted, rtol=2e-5, atol=2e-6)

    ours.reset_state()
    theirs.reset_state()
    compare(ours, theirs, kind, weighted, seed=1, steps=1, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize(("name", "kwargs", "kind"), CASES, ids=IDS)
def test_config_matches_keras(keras: Any, name: str, kwargs: dict, kind: str):
    ours = getattr(metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    got = _normalize_config(ours.get_config())
    want = _normalize_config(theirs.get_config())
    if name == "CosineSimilarity":
        # Kept by cornu so that a round trip keeps `axis`; Keras drops it.
        assert got.pop("axis") == -1
    assert got == want

    # Each side rebuilds from the other's config.
    rebuilt = getattr(metrics, name).from_config(theirs.get_config())
    assert _normalize_config(rebuilt.get_config()) == got | (
        {"axis": -1} if name == "CosineSimilarity" else {}
    )
    getattr(keras.metrics, name).from_config(ours.get_config())


@pytest.mark.parametrize(("name", "kwargs", "kind"), CASES, ids=IDS)
def test_round_trip_keeps_results(batch: Any, name: str, kwargs: dict, kind: str):
    ours = getattr(metrics, name)(**kwargs)
    copy = type(ours).from_config(ours.get_config())
    assert copy.get_config() == ours.get_config()
    rng = np.random.default_rng(3)
    y_true, y_pred, _ = batch(kind, rng)
    args = (y_pred,) if y_true is None else (y_true, y_pred)
    ours.update_state(*args)
    copy.update_state(*args)
    np.testing.assert_array_equal(to_numpy(ours.result()), to_numpy(copy.result()))


@pytest.mark.parametrize(("name", "kwargs", "kind"), CASES, ids=IDS)
def test_state_is_device_variables(batch: Any, name: str, kwargs: dict, kind: str):
    m = getattr(metrics, name)(**kwargs)
    rng = np.random.default_rng(4)
    y_true, y_pred, _ = batch(kind, rng)
    m.update_state(*((y_pred,) if y_true is None else (y_true, y_pred)))
    assert m.variables, name
    for v in m.variables:
        assert isinstance(v, torch.nn.Parameter)
        assert not v.requires_grad and not v.trainable
        assert v.path.startswith(m.name + "/")
    result = m.result()
    assert isinstance(result, torch.Tensor)
    # The result is a fresh tensor: later updates do not change it.
    before = to_numpy(result).copy()
    m.update_state(*((y_pred,) if y_true is None else (y_true, y_pred)))
    np.testing.assert_array_equal(to_numpy(result), before)


_HOST_READS = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__")


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted"])
@pytest.mark.parametrize(("name", "kwargs", "kind"), CASES, ids=IDS)
def test_update_state_never_reads_the_device(
    monkeypatch: Any, batch: Any, name: str, kwargs: dict, kind: str, weighted: bool
):
    """The hot-path rule: no host reads, no new Variables after the first batch."""
    m = getattr(metrics, name)(**kwargs)
    rng = np.random.default_rng(5)

    def tensors() -> tuple[tuple, dict]:
        y_true, y_pred, weights = (
            None if a is None else torch.from_numpy(np.asarray(a))
            for a in batch(kind, rng)
        )
        args = (y_pred,) if y_true is None else (y_true, y_pred)
        return args, ({"sample_weight": weights} if weighted else {})

    args, kw = tensors()
    m.update_state(*args, **kw)  # may build the state from the shapes
    count = len(m.variables)
    args, kw = tensors()

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError(f"{name}.update_state read a tensor back to the host")

    with monkeypatch.context() as patch:
        for attr in _HOST_READS:
            patch.setattr(torch.Tensor, attr, refuse)
        m.update_state(*args, **kw)
    assert len(m.variables) == count


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize(("name", "kwargs", "kind"), CASES, ids=IDS)
def test_update_state_does_not_synchronize_cuda(
    batch: Any, name: str, kwargs: dict, kind: str
):
    m = getattr(metrics, name)(**kwargs)
    rng = np.random.default_rng(6)
    for step in range(2):
        y_true, y_pred, _ = batch(kind, rng)
        device = torch.device("cuda")
        args = tuple(
            torch.from_numpy(np.asarray(a)).to(device)
            for a in (y_true, y_pred)
            if a is not None
        )
        if step == 0:
            m.update_state(*args)  # builds lazily created state
            continue
        torch.cuda.set_sync_debug_mode("error")
        try:
            m.update_state(*args)
        finally:
            torch.cuda.set_sync_debug_mode("default")
