"""PReLU: harness, torch.nn.PReLU numerics through the layout map, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.activations.prelu import PReLU


def test_harness(layer_test: Any) -> None:
    layer_test(
        PReLU,
        {"alpha_initializer": "random_uniform"},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=1,
        supports_masking=True,
    )
    layer_test(
        PReLU,
        {"shared_axes": [1, 2], "alpha_initializer": "ones"},
        input_shape=(2, 3, 4, 5),
        expected_output_shape=(2, 3, 4, 5),
        expected_num_trainable_weights=1,
    )


def test_alpha_shape_and_name() -> None:
    layer = PReLU(shared_axes=[1, 2])
    layer(torch.zeros(2, 3, 4, 5))
    assert [w.name for w in layer.weights] == ["alpha"]
    assert tuple(layer.alpha.shape) == (1, 1, 5)
    full = PReLU()
    full(torch.zeros(2, 3, 4))
    assert tuple(full.alpha.shape) == (3, 4)


def test_matches_torch_prelu_per_channel() -> None:
    # Layout map: channels-last PReLU(shared_axes=[1, 2]) on (B, H, W, C) with
    # alpha (1, 1, C) == nn.PReLU(C) on (B, C, H, W) with weight = alpha.reshape(C).
    layer = PReLU(alpha_initializer="random_uniform", shared_axes=[1, 2])
    x = torch.randn(2, 3, 4, 5, requires_grad=True)
    y = layer(x)
    ref = torch.nn.PReLU(5)
    with torch.no_grad():
        ref.weight.copy_(layer.alpha.reshape(5))
    x_ref = x.detach().permute(0, 3, 1, 2).clone().requires_grad_(True)
    y_ref = ref(x_ref)
    torch.testing.assert_close(y, y_ref.permute(0, 2, 3, 1), atol=1e-6, rtol=1e-6)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g.permute(0, 3, 1, 2))
    torch.testing.assert_close(
        x.grad, x_ref.grad.permute(0, 2, 3, 1), atol=1e-6, rtol=1e-6
    )
    torch.testing.assert_close(
        layer.alpha.grad.reshape(5), ref.weight.grad, atol=1e-5, rtol=1e-5
    )


def test_matches_keras(keras_oracle: Any) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    ours = PReLU(alpha_initializer="random_uniform", shared_axes=1)
    ref = keras_oracle.layers.PReLU(shared_axes=1)
    y = ours(torch.from_numpy(x))
    ref(x)
    ref.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        y.detach().numpy(), np.asarray(ref(x).detach().cpu()), atol=1e-6
    )


def test_bad_shared_axes() -> None:
    with pytest.raises(ValueError, match=r"PReLU `shared_axes` must be axes >= 1"):
        PReLU(shared_axes=[0])
    layer = PReLU(shared_axes=[3], name="pr")
    with pytest.raises(
        ValueError, match=r'Layer "pr" \(PReLU\) has shared_axes=\[3\], out of'
    ):
        layer(torch.zeros(2, 3))


def test_wrong_shape_after_build() -> None:
    layer = PReLU(name="pr2")
    layer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r'Layer "pr2" \(PReLU\) expects inputs with '):
        layer(torch.zeros(2, 4))
