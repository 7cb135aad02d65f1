"""Shared pieces of the metric tests: the Keras oracle and random batches."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

NUM_CLASSES = 5
BATCH = 16


@pytest.fixture(scope="session")
def keras() -> Any:
    """Real Keras 3 on its torch backend, the reference for every metric."""
    # Keras reads the backend once, at import.
    os.environ.setdefault("KERAS_BACKEND", "torch")
    module = pytest.importorskip("keras")
    if module.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    return module


def _probs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    logits = rng.normal(size=shape)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype("float32")


def _one_hot(labels: np.ndarray, n: int) -> np.ndarray:
    return np.eye(n, dtype="float32")[labels]


def make_batch(
    kind: str, rng: np.random.Generator, batch: int = BATCH
) -> tuple[Any, Any, Any]:
    """`(y_true, y_pred, sample_weight)` numpy arrays of one kind of task."""
    b, c = batch, NUM_CLASSES
    uniform = rng.uniform
    w = uniform(0, 1, (b,)).astype("float32")
    if kind == "values":
        return None, rng.normal(size=(b, 3)).astype("float32"), w
    if kind == "labels":
        return rng.integers(0, 3, (b, 1)), rng.integers(0, 3, (b, 1)), w
    if kind in ("binary", "multilabel"):
        yt = rng.integers(0, 2, (b, 4)).astype("float32")
        return yt, uniform(0, 1, (b, 4)).astype("float32"), w
    if kind == "binary_col":
        yt = rng.integers(0, 2, (b, 1)).astype("float32")
        return yt, uniform(0, 1, (b, 1)).astype("float32"), w
    if kind == "binary_flat":
        yt = rng.integers(0, 2, (b,)).astype("float32")
        return yt, uniform(0, 1, (b,)).astype("float32"), w
    if kind == "logits_binary":
        yt = rng.integers(0, 2, (b, 4)).astype("float32")
        return yt, rng.normal(size=(b, 4)).astype("float32") * 3, w
    if kind == "categorical":
        return _one_hot(rng.integers(0, c, (b,)), c), _probs(rng, (b, c)), w
    if kind == "logits_cat":
        yt = _one_hot(rng.integers(0, c, (b,)), c)
        return yt, rng.normal(size=(b, c)).astype("float32") * 2, w
    if kind == "sparse":
        return rng.integers(0, c, (b, 1)), _probs(rng, (b, c)), w
    if kind == "sparse_flat":
        return rng.integers(0, c, (b,)), _probs(rng, (b, c)), w
    if kind == "sparse_logits":
        return rng.integers(0, c, (b,)), rng.normal(size=(b, c)).astype("float32"), w
    if kind == "sequence":
        yt = rng.integers(0, c, (b, 6))
        return yt, _probs(rng, (b, 6, c)), uniform(0, 1, (b, 6)).astype("float32")
    if kind == "regression":
        return (
            rng.normal(size=(b, 4)).astype("float32"),
            rng.normal(size=(b, 4)).astype("float32"),
            w,
        )
    if kind == "positive":
        return (
            uniform(0.1, 2.0, (b, 4)).astype("float32"),
            uniform(0.1, 2.0, (b, 4)).astype("float32"),
            w,
        )
    if kind == "probs_pair":
        return _probs(rng, (b, c)), _probs(rng, (b, c)), w
    if kind == "hinge":
        yt = rng.integers(0, 2, (b, 4)).astype("float32")
        return yt, rng.normal(size=(b, 4)).astype("float32"), w
    if kind == "segmentation":
        yt = rng.integers(0, 3, (b, 6))
        return yt, rng.integers(0, 3, (b, 6)), rng.integers(0, 3, (b, 6))
    if kind == "segmentation_onehot":
        yt = _one_hot(rng.integers(0, 3, (b, 6)), 3)
        return yt, _probs(rng, (b, 6, 3)), rng.integers(0, 3, (b, 6))
    if kind == "segmentation_scores":
        yt = rng.integers(0, 3, (b, 6))
        return yt, _probs(rng, (b, 6, 3)), rng.integers(0, 3, (b, 6))
    if kind == "binary_segmentation":
        yt = rng.integers(0, 2, (b, 6))
        return yt, uniform(0, 1, (b, 6)).astype("float32"), rng.integers(0, 3, (b, 6))
    raise ValueError(kind)


def to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def run_both(
    ours: Any,
    theirs: Any,
    kind: str,
    weighted: bool,
    seed: int = 0,
    steps: int = 3,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Feeds the same batches to both metrics; results agree after each one."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        y_true, y_pred, sample_weight = make_batch(kind, rng)
        kwargs = {"sample_weight": sample_weight} if weighted else {}
        args = (y_pred,) if y_true is None else (y_true, y_pred)
        ours.update_state(*args, **kwargs)
        theirs.update_state(*args, **kwargs)
        got, want = to_numpy(ours.result()), to_numpy(theirs.result())
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.fixture
def compare() -> Callable[..., None]:
    """`run_both(ours, theirs, kind, weighted, ...)`."""
    return run_both


@pytest.fixture
def batch() -> Callable[..., tuple[Any, Any, Any]]:
    """`make_batch(kind, rng)`."""
    return make_batch
