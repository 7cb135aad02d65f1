"""LayerNormalization: harness, torch.nn.LayerNorm numerics, several axes
against Keras, rms_scaling, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.normalization.layer_normalization import LayerNormalization


def test_harness(layer_test: Any) -> None:
    # Torch inputs: the engine does not convert numpy for layers that do not
    # autocast (reported).
    layer_test(
        LayerNormalization,
        {"beta_initializer": "ones"},
        input_data=torch.randn(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=2,
        supports_masking=True,
    )
    layer_test(
        LayerNormalization,
        {"axis": [1, 3], "center": False},
        input_data=torch.randn(2, 3, 4, 5),
        expected_output_shape=(2, 3, 4, 5),
        expected_num_trainable_weights=1,
    )


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 6)])
def test_matches_torch_layer_norm(shape: tuple[int, ...]) -> None:
    # Layout map: gamma == LayerNorm.weight, beta == LayerNorm.bias.
    layer = LayerNormalization(
        gamma_initializer="random_uniform", beta_initializer="random_normal"
    )
    x = (torch.randn(shape) * 2 + 1).requires_grad_(True)
    y = layer(x)
    ref = torch.nn.LayerNorm(6, eps=1e-3)
    with torch.no_grad():
        ref.weight.copy_(layer.gamma)
        ref.bias.copy_(layer.beta)
    x_ref = x.detach().clone().requires_grad_(True)
    y_ref = ref(x_ref)
    torch.testing.assert_close(y, y_ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer.gamma.grad, ref.weight.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer.beta.grad, ref.bias.grad, atol=1e-5, rtol=1e-5)


def test_trailing_axes_match_torch_layer_norm() -> None:
    layer = LayerNormalization(axis=[-2, -1], gamma_initializer="random_uniform")
    x = torch.randn(2, 3, 4, 5)
    y = layer(x)
    assert tuple(layer.gamma.shape) == (4, 5)
    ref = torch.nn.functional.layer_norm(x, (4, 5), layer.gamma, layer.beta, 1e-3)
    torch.testing.assert_close(y, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    ("axis", "shape"),
    [
        (1, (2, 3, 4)),
        ([1, 3], (2, 3, 4, 5)),
        ([1, 2], (2, 3, 4, 5)),
        ([-1, 1], (2, 3, 4)),
    ],
)
def test_matches_numpy(axis: Any, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal(shape) * 3 + 1
    layer = LayerNormalization(
        axis=axis, gamma_initializer="random_uniform", beta_initializer="random_normal"
    )
    y = layer(torch.from_numpy(x.astype("float32")))
    axes = tuple(sorted(a % len(shape) for a in np.atleast_1d(axis)))
    param_shape = [shape[a] if a in axes else 1 for a in range(len(shape))]
    gamma = layer.gamma.detach().numpy().astype("float64").reshape(param_shape)
    beta = layer.beta.detach().numpy().astype("float64").reshape(param_shape)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-5, rtol=1e-5)


# Keras's torch backend mishandles non-trailing axes (it calls torch's
# layer_norm on the last axes), so it is the reference for trailing ones only.
@pytest.mark.parametrize(("axis", "shape"), [(-1, (2, 3, 4)), ([2, 3], (2, 3, 4, 5))])
def test_matches_keras(keras_oracle: Any, axis: Any, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal(shape).astype("float32") * 3
    kwargs = {
        "axis": axis,
        "gamma_initializer": "random_uniform",
        "beta_initializer": "random_normal",
    }
    ours = LayerNormalization(**kwargs)
    ref = keras_oracle.layers.LayerNormalization(**kwargs)
    y = ours(torch.from_numpy(x))
    ref(x)
    assert [tuple(w.shape) for w in ours.weights] == [
        tuple(w.shape) for w in ref.weights
    ]
    assert [w.name for w in ours.weights] == [w.name for w in ref.weights]
    ref.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        y.detach().numpy(), np.asarray(ref(x).detach().cpu()), atol=1e-5, rtol=1e-5
    )


def test_rms_scaling_matches_keras_and_warns(keras_oracle: Any) -> None:
    x = np.random.default_rng(1).standard_normal((2, 5)).astype("float32") + 2
    with pytest.warns(UserWarning, match=r"rms_scaling=True\) is deprecated"):
        ours = LayerNormalization(rms_scaling=True)
    with pytest.warns(UserWarning):
        ref = keras_oracle.layers.LayerNormalization(rms_scaling=True)
    y = ours(torch.from_numpy(x))
    assert [w.name for w in ours.weights] == ["gamma"]
    with pytest.warns(UserWarning):  # Keras warns again at each call
        expected = np.asarray(ref(x).detach().cpu())
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-5, rtol=1e-5)


def test_half_precision_inputs_normalize_in_float32() -> None:
    layer = LayerNormalization(dtype="mixed_bfloat16")
    x = torch.randn(4, 8) * 100
    y = layer(x.bfloat16())
    assert y.dtype == torch.bfloat16
    expected = torch.nn.functional.layer_norm(x.bfloat16().float(), (8,), eps=1e-3)
    torch.testing.assert_close(y.float(), expected, atol=2e-2, rtol=2e-2)


def test_mask_passes_through() -> None:
    x = torch.randn(1, 3, 2)
    x._keras_mask = torch.tensor([[True, False, True]])
    assert LayerNormalization()(x)._keras_mask.tolist() == [[True, False, True]]


def test_bad_axis() -> None:
    with pytest.raises(TypeError, match=r"LayerNormalization `axis` must be an int"):
        LayerNormalization(axis="last")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r'"ln" \(LayerNormalization\) has axis=3, out of range'
    ):
        LayerNormalization(axis=3, name="ln")(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"needs known sizes on axis=-1"):
        LayerNormalization()(keras.Input((None,)))


def test_config_matches_keras(keras_oracle: Any) -> None:
    ours = LayerNormalization(axis=[1, 2], epsilon=1e-5).get_config()
    ref = keras_oracle.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5).get_config()
    ours.pop("name")
    ref.pop("name")
    assert ours == ref
