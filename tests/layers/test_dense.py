"""Dense: the generic harness, torch.nn.Linear numerics, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.core.dense import Dense


def test_harness_2d_and_3d(layer_test: Any) -> None:
    layer_test(
        Dense,
        {"units": 4},
        input_shape=(2, 3),
        expected_output_shape=(2, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )
    layer_test(
        Dense,
        {"units": 5, "activation": "relu", "use_bias": False},
        input_shape=(2, 7, 3),
        expected_output_shape=(2, 7, 5),
        expected_num_trainable_weights=1,
    )


def test_harness_regularizers_add_losses(layer_test: Any) -> None:
    layer_test(
        Dense,
        {"units": 2, "kernel_regularizer": "l2", "activity_regularizer": "l1"},
        input_shape=(3, 4),
        expected_output_shape=(3, 2),
        expected_num_losses=2,
    )


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3)])
def test_matches_torch_linear(shape: tuple[int, ...]) -> None:
    # Layout map: Dense.kernel (in, out) == nn.Linear.weight (out, in) transposed.
    layer = Dense(4, bias_initializer="glorot_uniform")
    x = torch.randn(shape, requires_grad=True)
    y = layer(x)
    ref = torch.nn.Linear(3, 4)
    with torch.no_grad():
        ref.weight.copy_(layer.kernel.T)
        ref.bias.copy_(layer.bias)
    x_ref = x.detach().clone().requires_grad_(True)
    y_ref = ref(x_ref)
    torch.testing.assert_close(y, y_ref, atol=1e-6, rtol=1e-5)

    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(
        layer.kernel.grad, ref.weight.grad.T, atol=1e-5, rtol=1e-5
    )
    torch.testing.assert_close(layer.bias.grad, ref.bias.grad, atol=1e-5, rtol=1e-5)


def test_weight_names_and_layout() -> None:
    layer = Dense(4)
    layer(np.ones((2, 3), "float32"))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [tuple(w.shape) for w in layer.weights] == [(3, 4), (4,)]


def test_wrong_last_dimension_names_layer_and_shapes() -> None:
    layer = Dense(4, name="dense_wrong")
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(
        ValueError,
        match=r'Layer "dense_wrong" \(Dense\) expects inputs with last dimension 3, '
        r"received shape \(2, 4\)",
    ):
        layer(np.ones((2, 4), "float32"))


def test_wrong_last_dimension_symbolic() -> None:
    layer = Dense(4, name="dense_sym")
    layer(keras.Input((3,)))
    with pytest.raises(
        ValueError, match=r"last dimension 3, received shape \(None, 5\)"
    ):
        layer(keras.Input((5,)))


@pytest.mark.parametrize("units", [0, -1, 2.5, "4"])
def test_bad_units(units: object) -> None:
    with pytest.raises(ValueError, match=r"Dense `units` must be a positive integer"):
        Dense(units)  # type: ignore[arg-type]
