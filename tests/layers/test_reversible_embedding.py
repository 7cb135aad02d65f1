"""ReversibleEmbedding: harness, numerics against Keras and NumPy, masks, files."""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu import saving
from cornu.layers.core.reversible_embedding import ReversibleEmbedding


def _set_random(layer: Any, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in layer.weights
    ]
    layer.set_weights(values)
    return values


@pytest.mark.parametrize("tie_weights", [True, False])
def test_harness_forward_and_reverse(layer_test: Any, tie_weights: bool) -> None:
    weights = 1 if tie_weights else 2
    layer_test(
        ReversibleEmbedding,
        {"input_dim": 10, "output_dim": 4, "tie_weights": tie_weights},
        input_data=torch.randint(0, 10, (3, 5)),
        input_dtype="int64",
        expected_output_shape=(3, 5, 4),
        expected_output_dtype="float32",
        expected_num_trainable_weights=weights,
    )
    layer_test(
        ReversibleEmbedding,
        {"input_dim": 10, "output_dim": 4, "tie_weights": tie_weights},
        input_shape=(3, 5, 4),
        call_kwargs={"reverse": True},
        expected_output_shape=(3, 5, 10),
        expected_output_dtype="float32",
        expected_num_trainable_weights=weights,
    )


def test_weights_names_and_shapes() -> None:
    tied = ReversibleEmbedding(7, 3)
    tied.build()
    assert [w.path for w in tied.weights] == [f"{tied.name}/embeddings"]
    untied = ReversibleEmbedding(7, 3, tie_weights=False)
    untied.build()
    assert [(w.name, tuple(w.shape)) for w in untied.weights] == [
        ("embeddings", (7, 3)),
        ("reverse_embeddings", (3, 7)),
    ]
    # The reverse matrix uses the embeddings' initializer, with no regularizer.
    values = untied.reverse_embeddings.detach().numpy()
    assert np.all(np.abs(values) <= 0.05) and untied.losses == []


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("soft_cap", [None, 2.5])
def test_reverse_matches_numpy(tie_weights: bool, soft_cap: float | None) -> None:
    layer = ReversibleEmbedding(9, 4, tie_weights=tie_weights, logit_soft_cap=soft_cap)
    layer.build()
    values = _set_random(layer)
    kernel = values[0].T if tie_weights else values[1]
    h = np.random.default_rng(1).standard_normal((2, 3, 4)).astype("float32")
    want = h @ kernel
    if soft_cap is not None:
        want = np.tanh(want / soft_cap) * soft_cap
    got = layer(torch.from_numpy(h), reverse=True)
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-5, atol=1e-5)
    # The forward call is still a plain lookup in `embeddings`.
    idx = np.array([[1, 8, 0]])
    np.testing.assert_array_equal(layer(idx).detach().numpy(), values[0][idx])


def test_reverse_gradients_reach_the_used_matrix() -> None:
    tied = ReversibleEmbedding(6, 3)
    h = torch.randn(4, 3)
    tied(h, reverse=True).sum().backward()
    # d(sum(h @ E^T))/dE[i, j] = sum_b h[b, j] for every row i.
    want = h.sum(0).expand(6, 3)
    torch.testing.assert_close(tied.embeddings.grad, want, atol=1e-6, rtol=1e-6)
    untied = ReversibleEmbedding(6, 3, tie_weights=False)
    untied(h, reverse=True).sum().backward()
    assert untied.embeddings.grad is None
    torch.testing.assert_close(
        untied.reverse_embeddings.grad, h.sum(0)[:, None].expand(3, 6)
    )


@pytest.mark.parametrize("tie_weights", [True, False])
def test_matches_keras(keras_oracle: Any, tie_weights: bool) -> None:
    kwargs = {"tie_weights": tie_weights, "logit_soft_cap": 3.0, "mask_zero": True}
    ours = ReversibleEmbedding(11, 5, **kwargs)
    ref = keras_oracle.layers.ReversibleEmbedding(11, 5, **kwargs)
    ours.build()
    ref.build()
    ref.set_weights(_set_random(ours))
    idx = np.array([[0, 4, 10], [3, 0, 1]])
    h = np.random.default_rng(2).standard_normal((2, 3, 5)).astype("float32")
    ref_forward = ref(idx)
    ours_forward = ours(idx)
    np.testing.assert_allclose(
        ours_forward.detach().numpy(), ref_forward.detach().cpu().numpy(), atol=0
    )
    np.testing.assert_array_equal(
        ours_forward._keras_mask.numpy(), ref_forward._keras_mask.cpu().numpy()
    )
    np.testing.assert_allclose(
        ours(torch.from_numpy(h), reverse=True).detach().numpy(),
        ref(h, reverse=True).detach().cpu().numpy(),
        rtol=1e-6,
        atol=1e-6,
    )
    assert getattr(ours(torch.from_numpy(h), reverse=True), "_keras_mask", None) is None
    config, ref_config = ours.get_config(), ref.get_config()
    config.pop("name")
    ref_config.pop("name")
    assert config == ref_config


def test_reverse_dtype_under_mixed_precision() -> None:
    layer = ReversibleEmbedding(8, 4, dtype="mixed_bfloat16", reverse_dtype="float32")
    h = layer(torch.tensor([[1, 2]]))
    assert h.dtype is torch.bfloat16
    logits = layer(h, reverse=True)
    assert logits.dtype is torch.float32
    want = h.float() @ layer.embeddings.detach().T
    torch.testing.assert_close(logits, want, atol=1e-6, rtol=1e-6)
    low = ReversibleEmbedding(8, 4, dtype="mixed_bfloat16")
    assert low(low(torch.tensor([[1, 2]])), reverse=True).dtype is torch.bfloat16
    spec = layer(cornu.Input((2, 4)), reverse=True)
    assert spec.dtype == "float32" and spec.shape == (None, 2, 8)


def test_initial_weights_argument() -> None:
    emb = np.arange(12, dtype="float32").reshape(4, 3)
    rev = np.ones((3, 4), "float32")
    tied = ReversibleEmbedding(4, 3, weights=emb)
    np.testing.assert_array_equal(tied.embeddings.detach().numpy(), emb)
    untied = ReversibleEmbedding(4, 3, tie_weights=False, weights=[emb, rev])
    np.testing.assert_array_equal(untied.reverse_embeddings.detach().numpy(), rev)


def test_functional_model_and_config_round_trip() -> None:
    tokens = cornu.Input((5,), dtype="int32")
    shared = ReversibleEmbedding(12, 6, tie_weights=False, logit_soft_cap=10.0)
    logits = shared(cornu.layers.Dense(6)(shared(tokens)), reverse=True)
    assert logits.shape == (None, 5, 12)
    model = cornu.Model(tokens, logits)
    out = model(np.array([[1, 2, 3, 4, 5]], "int32"))
    assert tuple(out.shape) == (1, 5, 12)
    clone = ReversibleEmbedding.from_config(shared.get_config())
    assert clone.get_config() == {**shared.get_config(), "name": clone.name}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"`logit_soft_cap` must be a positive number"):
        ReversibleEmbedding(4, 2, logit_soft_cap=0.0)
    with pytest.raises(ValueError, match=r"`input_dim` must be a positive integer"):
        ReversibleEmbedding(0, 2)


def test_docstring_example() -> None:
    from cornu.layers.core import reversible_embedding

    result = doctest.testmod(
        reversible_embedding, extraglobs={"np": np, "torch": torch}
    )
    assert result.attempted > 0 and result.failed == 0


# Keras's own saving code trips numpy's `__array__` deprecation on torch.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
@pytest.mark.parametrize("tie_weights", [True, False])
def test_keras_file_round_trip(
    keras_oracle: Any, tmp_path: Path, tie_weights: bool
) -> None:
    tokens = cornu.Input((4,), dtype="int32")
    layer = ReversibleEmbedding(9, 3, tie_weights=tie_weights, logit_soft_cap=4.0)
    model = cornu.Model(tokens, layer(layer(tokens), reverse=True))
    _set_random(layer, seed=3)
    idx = np.array([[1, 2, 8, 0], [5, 5, 4, 3]], "int32")
    expected = model(idx).detach().numpy()
    saving.save_model(model, tmp_path / "cornu.keras")

    ref = keras_oracle.saving.load_model(tmp_path / "cornu.keras")
    np.testing.assert_allclose(
        np.asarray(ref(idx).detach().cpu()), expected, rtol=1e-6, atol=1e-6
    )
    ref.save(tmp_path / "keras.keras")
    back = saving.load_model(
        tmp_path / "keras.keras",
        custom_objects={"ReversibleEmbedding": ReversibleEmbedding},
    )
    np.testing.assert_allclose(back(idx).detach().numpy(), expected, atol=1e-6)
