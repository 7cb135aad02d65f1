"""Embedding: harness, torch.nn.Embedding numerics, masks, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.core.embedding import Embedding


def _indices(*shape: int, high: int = 10) -> torch.Tensor:
    return torch.randint(0, high, shape)


def test_harness(layer_test: Any) -> None:
    layer_test(
        Embedding,
        {"input_dim": 10, "output_dim": 4},
        input_data=_indices(3, 5),
        input_dtype="int64",
        expected_output_shape=(3, 5, 4),
        expected_output_dtype="float32",
        expected_num_trainable_weights=1,
        supports_masking=False,
    )
    layer_test(
        Embedding,
        {"input_dim": 10, "output_dim": 2, "mask_zero": True},
        input_data=_indices(3, 2, 5).int(),
        input_dtype="int32",
        expected_output_shape=(3, 2, 5, 2),
        supports_masking=True,
    )


def test_matches_torch_embedding() -> None:
    # Layout map: Embedding.embeddings (input_dim, output_dim) == nn.Embedding.weight.
    layer = Embedding(10, 4)
    idx = _indices(3, 5)
    y = layer(idx)
    ref = torch.nn.Embedding(10, 4)
    with torch.no_grad():
        ref.weight.copy_(layer.embeddings)
    y_ref = ref(idx)
    torch.testing.assert_close(y, y_ref, atol=0, rtol=0)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(
        layer.embeddings.grad, ref.weight.grad, atol=1e-6, rtol=0
    )


def test_weight_name_shape_and_default_initializer() -> None:
    layer = Embedding(1000, 8)
    layer(_indices(2, 3))
    assert [w.name for w in layer.weights] == ["embeddings"]
    assert tuple(layer.embeddings.shape) == (1000, 8)
    # "uniform" is RandomUniform(-0.05, 0.05).
    values = layer.embeddings.detach()
    assert values.abs().max() <= 0.05 and values.std() > 0.02


def test_float_indices_are_truncated() -> None:
    layer = Embedding(5, 3)
    y = layer(torch.tensor([[1.0, 4.0]]))
    torch.testing.assert_close(y[0], layer.embeddings[[1, 4]].detach())


def test_mask_zero_mask_propagates() -> None:
    layer = Embedding(5, 3, mask_zero=True)
    y = layer(torch.tensor([[1, 0, 2]]))
    assert y._keras_mask.tolist() == [[True, False, True]]
    assert layer.compute_mask(torch.tensor([[0, 3]])).tolist() == [[False, True]]
    assert Embedding(5, 3).compute_mask(torch.tensor([[0, 3]])) is None


def test_initial_weights() -> None:
    weights = np.arange(12, dtype="float32").reshape(4, 3)
    layer = Embedding(4, 3, weights=weights)
    assert layer.built
    np.testing.assert_array_equal(layer(torch.tensor([[2]]))[0, 0].detach(), weights[2])


def test_symbolic_output_dtype_is_float() -> None:
    out = Embedding(10, 4)(keras.Input((5,), dtype="int32"))
    assert out.shape == (None, 5, 4) and out.dtype == "float32"


def test_config_matches_keras(keras_oracle: Any) -> None:
    ours = Embedding(7, 3, mask_zero=True).get_config()
    ref = keras_oracle.layers.Embedding(7, 3, mask_zero=True).get_config()
    ours.pop("name")
    ref.pop("name")
    ref.pop("activity_regularizer")
    assert ours == ref


@pytest.mark.parametrize("arg", ["input_dim", "output_dim"])
@pytest.mark.parametrize("value", [0, -3, 2.0, True])
def test_bad_dims(arg: str, value: Any) -> None:
    kwargs = {"input_dim": 4, "output_dim": 3, arg: value}
    with pytest.raises(
        ValueError, match=rf"Embedding `{arg}` must be a positive integer"
    ):
        Embedding(**kwargs)
