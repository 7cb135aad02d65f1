"""EinsumDense: harness, shapes and numerics against Keras, errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.core.einsum_dense import EinsumDense

CASES = [
    # equation, output_shape, bias_axes, input shape
    ("ab,bc->ac", 5, "c", (3, 4)),
    ("abc,cd->abd", (None, 6), "d", (2, 3, 4)),
    ("abc,cde->abde", (None, 2, 5), "de", (2, 3, 4)),
    ("...b,bc->...c", 6, "c", (2, 3, 7, 4)),
    ("abc...,cd->abd...", (3, 6), "d", (2, 3, 4, 5)),
    ("abc,dc->abd", (3, 6), None, (2, 3, 4)),
]


@pytest.mark.parametrize(("equation", "output_shape", "bias_axes", "shape"), CASES)
def test_harness(
    layer_test: Any,
    equation: str,
    output_shape: Any,
    bias_axes: str | None,
    shape: tuple[int, ...],
) -> None:
    layer_test(
        EinsumDense,
        {"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes},
        input_shape=shape,
        expected_num_trainable_weights=1 if bias_axes is None else 2,
    )


@pytest.mark.parametrize(("equation", "output_shape", "bias_axes", "shape"), CASES)
def test_matches_keras(
    keras_oracle: Any,
    equation: str,
    output_shape: Any,
    bias_axes: str | None,
    shape: tuple[int, ...],
) -> None:
    kwargs = {"output_shape": output_shape, "bias_axes": bias_axes}
    if bias_axes is not None:
        kwargs["bias_initializer"] = "random_normal"
    ours = EinsumDense(equation, activation="tanh", **kwargs)
    ref = keras_oracle.layers.EinsumDense(equation, activation="tanh", **kwargs)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    y = ours(torch.from_numpy(x))
    ref(x)
    assert [tuple(w.shape) for w in ours.weights] == [
        tuple(w.shape) for w in ref.weights
    ]
    assert [w.name for w in ours.weights] == [w.name for w in ref.weights]
    ref.set_weights(ours.get_weights())
    expected = np.asarray(ref(x).detach().cpu())
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-5, rtol=1e-5)


def test_gradients_match_torch_einsum() -> None:
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 5), bias_axes="e")
    x = torch.randn(2, 3, 4, requires_grad=True)
    layer(x).square().sum().backward()
    kernel = layer.kernel.detach().clone().requires_grad_(True)
    bias = layer.bias.detach().clone().requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    (torch.einsum("abc,cde->abde", x_ref, kernel) + bias).square().sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer.kernel.grad, kernel.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer.bias.grad, bias.grad, atol=1e-5, rtol=1e-5)


def test_symbolic_shape_fills_shared_axes_from_input() -> None:
    # Keras leaves the shared axis unknown here; the input knows it.
    layer = EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    assert layer(keras.Input((32, 128))).shape == (None, 32, 64)
    layer = EinsumDense("...b,bc->...c", output_shape=64)
    assert layer(keras.Input((7, 32, 128))).shape == (None, 7, 32, 64)


def test_kernel_fans_follow_the_equation() -> None:
    # Kernel (c, d, e) = (40, 2, 5): fan_in = 40, fan_out = 2 * 5.
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 5))
    layer(torch.zeros(1, 3, 40))
    limit = math.sqrt(6 / (40 + 10))
    values = layer.kernel.detach().abs()
    assert values.max() <= limit
    assert values.max() > 0.9 * limit


def test_bad_equation() -> None:
    with pytest.raises(ValueError, match=r"EinsumDense `equation` must look like"):
        EinsumDense("ab->b", output_shape=3)


def test_bias_axis_not_in_output() -> None:
    layer = EinsumDense("ab,bc->ac", output_shape=3, bias_axes="x")
    with pytest.raises(ValueError, match=r"`bias_axes` 'x' names axis 'x'"):
        layer(torch.zeros(2, 4))


def test_output_shape_contradicts_input() -> None:
    layer = EinsumDense("abc,cd->abd", output_shape=(5, 6))
    with pytest.raises(
        ValueError, match=r"shared axis 'b'.*input size 3, output size 5"
    ):
        layer(torch.zeros(2, 3, 4))


def test_wrong_rank_after_build() -> None:
    layer = EinsumDense("ab,bc->ac", output_shape=3, name="ed")
    layer(torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r'Layer "ed" \(EinsumDense\) expects inputs '):
        layer(torch.zeros(2, 4, 4))


def test_config_matches_keras_keys(keras_oracle: Any) -> None:
    ours = EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c").get_config()
    ref = keras_oracle.layers.EinsumDense("ab,bc->ac", 4, bias_axes="c").get_config()
    assert set(ours) <= set(ref)
    loaded = EinsumDense.from_config({**ref, "dtype": "float32"})
    assert loaded.partial_output_shape == (4,)
