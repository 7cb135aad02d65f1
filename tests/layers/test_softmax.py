"""Softmax: harness, torch.nn.Softmax numerics, masks against Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.activations.softmax import Softmax
from cornu.layers.core.embedding import Embedding


def test_harness(layer_test: Any) -> None:
    layer_test(
        Softmax,
        {"axis": 1},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        supports_masking=True,
    )


@pytest.mark.parametrize("axis", [-1, 1])
def test_matches_torch_softmax(axis: int) -> None:
    x = torch.randn(2, 3, 4, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    y, y_ref = Softmax(axis=axis)(x), torch.nn.Softmax(dim=axis)(x_ref)
    torch.testing.assert_close(y, y_ref, atol=1e-6, rtol=1e-6)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-6, rtol=1e-6)


def test_several_axes() -> None:
    x = torch.randn(2, 3, 4)
    y = Softmax(axis=[1, 2])(x)
    expected = torch.softmax(x.reshape(2, 12), -1).reshape(2, 3, 4)
    torch.testing.assert_close(y, expected, atol=1e-6, rtol=1e-6)


def test_mask_against_numpy() -> None:
    x = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    mask = np.array([[True, True, False, True], [False, False, False, False]])
    y = Softmax()(torch.from_numpy(x), mask=torch.from_numpy(mask)).numpy()
    e = np.exp(x[0][mask[0]] - x[0][mask[0]].max())
    np.testing.assert_allclose(y[0][mask[0]], e / e.sum(), atol=1e-6)
    assert (y[0][~mask[0]] == 0).all()
    assert (y[1] == 0).all()  # fully masked: zeros, not a uniform row


def test_mask_matches_keras(keras_oracle: Any) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5)).astype("float32")
    mask = (rng.random((3, 5)) > 0.4).astype("float32")  # float, broadcast
    ours = Softmax()(torch.from_numpy(x), mask=torch.from_numpy(mask))
    ref = keras_oracle.layers.Softmax()(x, mask=mask)
    np.testing.assert_allclose(ours.numpy(), np.asarray(ref.cpu()), atol=1e-6)


def test_mask_from_previous_layer() -> None:
    logits = Embedding(5, 1, mask_zero=True)(torch.tensor([[1, 2, 0]]))[..., 0]
    logits._keras_mask = torch.tensor([[True, True, False]])
    y = Softmax()(logits)
    assert y[0, 2] == 0 and torch.isclose(y.sum(), torch.tensor(1.0))
