"""Normalization, CategoryEncoding and Discretization: harness, then numpy
references and real Keras (adapt included)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.preprocessing.category_encoding import CategoryEncoding
from cornu.layers.preprocessing.discretization import Discretization
from cornu.layers.preprocessing.normalization import Normalization

RNG = np.random.default_rng(0)


def _np(x: Any) -> np.ndarray:
    return (
        np.asarray(x.detach().cpu()) if isinstance(x, torch.Tensor) else np.asarray(x)
    )


# -- Normalization ------------------------------------------------------------


def test_normalization_harness(layer_test: Any) -> None:
    layer_test(
        Normalization,
        {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )
    layer_test(
        Normalization,
        {"axis": (1, 2)},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=3,
    )


@pytest.mark.parametrize("axis", [-1, (1, 2), None, 1])
def test_normalization_adapt_matches_numpy_and_keras(
    keras_oracle: Any, axis: Any
) -> None:
    data = (RNG.standard_normal((50, 3, 4)) * 3 + 2).astype("float32")
    ours = Normalization(axis=axis)
    ours.adapt(data)
    theirs = keras_oracle.layers.Normalization(axis=axis)
    theirs.adapt(data)
    keep = () if axis is None else ((axis,) if isinstance(axis, int) else axis)
    keep = tuple(a % 3 for a in keep)
    reduce = tuple(d for d in range(3) if d not in keep)
    want = (data - data.mean(axis=reduce, keepdims=True)) / data.std(
        axis=reduce, keepdims=True
    )
    x = data[:5]
    np.testing.assert_allclose(_np(ours(x)), want[:5], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_np(ours(x)), _np(theirs(x)), rtol=1e-4, atol=1e-5)
    assert [w.path.split("/")[-1] for w in ours.weights] == [
        "mean",
        "variance",
        "count",
    ]
    for a, b in zip(ours.get_weights()[:2], [_np(w.value) for w in theirs.weights[:2]]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_normalization_adapt_over_batches_is_exact() -> None:
    data = RNG.standard_normal((60, 4)).astype("float32") * 5
    whole, batched = Normalization(), Normalization()
    whole.adapt(data)
    batched.adapt([data[:10], torch.from_numpy(data[10:35]), data[35:]])
    for a, b in zip(whole.get_weights(), batched.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(batched.count) == 60


def test_normalization_given_stats_invert_and_gradient() -> None:
    layer = Normalization(mean=2.0, variance=4.0)
    x = torch.tensor([[0.0, 2.0, 6.0]], requires_grad=True)
    y = layer(x)
    torch.testing.assert_close(y, torch.tensor([[-1.0, 0.0, 2.0]]))
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, torch.full_like(x, 0.5))
    inverse = Normalization(mean=2.0, variance=4.0, invert=True)
    torch.testing.assert_close(inverse(y.detach()), x.detach())
    # Zero variance divides by epsilon, not 0.
    flat = Normalization(mean=[1.0], variance=[0.0])
    assert torch.isfinite(flat(torch.tensor([[3.0]]))).all()


def test_normalization_errors() -> None:
    with pytest.raises(ValueError, match=r"needs both `mean` and `variance`"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"must have the same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    layer = Normalization(axis=3, name="norm_x")
    with pytest.raises(
        ValueError, match=r'"norm_x" \(Normalization\) has axis=\(3,\), out of range'
    ):
        layer.adapt(np.zeros((4, 3), "float32"))


# -- CategoryEncoding ---------------------------------------------------------


@pytest.mark.parametrize(
    "mode,shape",
    [("multi_hot", (3, 4)), ("count", (3, 4)), ("one_hot", (5,)), ("one_hot", (5, 1))],
)
def test_category_encoding(
    layer_test: Any, keras_oracle: Any, mode: str, shape: tuple
) -> None:
    kwargs = {"num_tokens": 6, "output_mode": mode}
    layer = CategoryEncoding(**kwargs)
    layer_test(
        CategoryEncoding,
        kwargs,
        input_shape=shape,
        input_dtype="int64",
        expected_output_shape=layer.compute_output_shape(shape),
        run_training_check=False,
    )
    x = RNG.integers(0, 6, shape)
    ours = _np(layer(x))
    ids = x.reshape(len(x), -1) if mode != "one_hot" else x.reshape(-1)
    if mode == "one_hot":
        want = np.eye(6, dtype="float32")[ids]
    else:
        counts = np.stack([np.bincount(row, minlength=6) for row in ids]).astype(
            "float32"
        )
        want = counts if mode == "count" else (counts > 0).astype("float32")
    np.testing.assert_array_equal(ours, want)
    np.testing.assert_array_equal(
        ours, _np(keras_oracle.layers.CategoryEncoding(**kwargs)(x))
    )


def test_category_encoding_count_weights_and_rank1() -> None:
    layer = CategoryEncoding(4, output_mode="count")
    y = layer(
        np.array([[0, 1, 1], [3, 3, 3]]),
        count_weights=np.array([[1.0, 2.0, 0.5], [1.0, 1.0, 1.0]]),
    )
    np.testing.assert_allclose(_np(y), [[1.0, 2.5, 0.0, 0.0], [0.0, 0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(
        _np(CategoryEncoding(3)(np.array([0, 2]))), [1.0, 0.0, 1.0]
    )
    with pytest.raises(
        ValueError, match=r"uses `count_weights` only with output_mode='count'"
    ):
        CategoryEncoding(4)(np.array([[0]]), count_weights=np.array([[1.0]]))
    with pytest.raises(
        ValueError, match=r"CategoryEncoding `num_tokens` must be a positive"
    ):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match=r"CategoryEncoding `output_mode` must be"):
        CategoryEncoding(3, output_mode="tf_idf")


# -- Discretization -----------------------------------------------------------


def test_discretization_harness(layer_test: Any) -> None:
    layer_test(
        Discretization,
        {"bin_boundaries": [-1.0, 0.0, 1.0]},
        input_shape=(2, 5),
        expected_output_shape=(2, 5),
        expected_output_dtype="int64",
    )
    layer_test(
        Discretization,
        {"bin_boundaries": [-1.0, 0.0, 1.0], "output_mode": "multi_hot"},
        input_shape=(2, 5),
        expected_output_shape=(2, 4),
    )


def test_discretization_matches_numpy_digitize() -> None:
    bounds = [-1.0, 0.0, 0.5, 2.0]
    x = np.array([[-3.0, -1.0, -0.5, 0.0], [0.5, 1.0, 2.0, 9.0]], "float32")
    y = Discretization(bin_boundaries=bounds)(x)
    np.testing.assert_array_equal(_np(y), np.digitize(x, bounds))
    one_hot = Discretization(bin_boundaries=bounds, output_mode="one_hot")(x[0])
    np.testing.assert_array_equal(_np(one_hot), np.eye(5)[np.digitize(x[0], bounds)])


def _keras_boundaries(keras_oracle: Any, batches: list, num_bins: int) -> list:
    """Keras's quantile summaries (pure numpy; its layer's adapt needs TF)."""
    import importlib

    del keras_oracle  # loaded for the environment check only
    ref = importlib.import_module("keras.src.layers.preprocessing.discretization")
    summary = np.array([[], []], dtype="float32")
    for batch in batches:
        new = ref.summarize(np.array(batch).astype("float32"), 0.01)
        summary = ref.merge_summaries(new, summary, 0.01)
    return ref.get_bin_boundaries(summary, num_bins).tolist()


@pytest.mark.parametrize("num_bins,n", [(4, 1000), (5, 37), (3, 2500)])
def test_discretization_adapt_matches_keras(
    keras_oracle: Any, num_bins: int, n: int
) -> None:
    data = RNG.standard_normal((n, 1)).astype("float32")
    ours = Discretization(num_bins=num_bins)
    ours.adapt(data)
    want = _keras_boundaries(keras_oracle, [data], num_bins)
    np.testing.assert_allclose(ours.bin_boundaries, want, rtol=1e-6)
    # Each bin gets about n / num_bins values.
    counts = np.bincount(_np(ours(data)).ravel(), minlength=num_bins)
    assert counts.min() > 0.8 * n / num_bins
    # The adapted config rebuilds the same layer.
    clone = Discretization.from_config(ours.get_config())
    assert clone.bin_boundaries == ours.bin_boundaries


def test_discretization_adapt_over_batches_matches_keras(keras_oracle: Any) -> None:
    data = RNG.standard_normal((300,)).astype("float32")
    batches = [data[:100], data[100:250], data[250:]]
    ours = Discretization(num_bins=4)
    ours.adapt(batches)
    want = _keras_boundaries(keras_oracle, batches, 4)
    np.testing.assert_allclose(ours.bin_boundaries, want, rtol=1e-6)


def test_discretization_errors() -> None:
    with pytest.raises(
        ValueError, match=r"needs exactly one of `bin_boundaries` and `num_bins`"
    ):
        Discretization()
    with pytest.raises(ValueError, match=r"`bin_boundaries` must be sorted"):
        Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(
        ValueError, match=r"Discretization.adapt needs a layer made with `num_bins`"
    ):
        Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))
    with pytest.raises(
        ValueError, match=r'"disc_x" \(Discretization\) has no bins yet'
    ):
        Discretization(num_bins=3, name="disc_x")(np.zeros(3))
