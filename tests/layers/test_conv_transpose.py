"""Transposed convolutions: harness, then numerics against an explicit
reference (the definition via input dilation), torch.nn.ConvTranspose and
real Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cornu.layers.convolutional.conv1d_transpose import Conv1DTranspose
from cornu.layers.convolutional.conv2d_transpose import Conv2DTranspose
from cornu.layers.convolutional.conv3d_transpose import Conv3DTranspose

CLASSES = {1: Conv1DTranspose, 2: Conv2DTranspose, 3: Conv3DTranspose}
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}

CASES = [
    (1, dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 5, 3)),
    (1, dict(filters=4, kernel_size=4, strides=3, output_padding=1), (2, 5, 3)),
    (2, dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 5, 4, 3)),
    (2, dict(filters=4, kernel_size=(2, 3), strides=(2, 1)), (2, 5, 4, 3)),
    (2, dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"), (2, 5, 4, 3)),
    (
        2,
        dict(filters=4, kernel_size=4, strides=2, padding="same", output_padding=1),
        (2, 5, 4, 3),
    ),
    (
        2,
        dict(filters=4, kernel_size=3, strides=2, data_format="channels_first"),
        (2, 3, 5, 4),
    ),
    (3, dict(filters=2, kernel_size=2, strides=2, padding="same"), (1, 3, 4, 2, 3)),
]


def _reference(layer: Any, x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """TensorFlow's definition: dilate the input by the strides, pad, and
    correlate with the spatially flipped kernel."""
    n = layer.rank
    t = x.movedim(-1, 1) if layer.data_format == "channels_last" else x
    b, c, *spatial = t.shape
    dilated = t.new_zeros(
        b, c, *[(s - 1) * st + 1 for s, st in zip(spatial, layer.strides)]
    )
    dilated[
        (slice(None), slice(None), *[slice(None, None, st) for st in layer.strides])
    ] = t
    pads = []
    for i in reversed(range(n)):
        k, s, d = layer.kernel_size[i], layer.strides[i], layer.dilation_rate[i]
        extent = (k - 1) * d + 1
        op = None if layer.output_padding is None else layer.output_padding[i]
        if layer.padding == "valid":
            op = max(extent, s) - extent if op is None else op
            left, right = extent - 1, extent - 1 + op
        else:
            total = s + extent - 2 if op is None else extent + extent % 2 - 2 + op
            left = min(total // 2 + total % 2, extent - 1)
            right = total - left
        pads += [left, right]
    padded = F.pad(dilated, pads)
    # (*k, out, in) -> (out, in, *k), flipped in space.
    weight = kernel.permute(n, n + 1, *range(n)).flip(list(range(2, n + 2)))
    y = _CONV[n](padded, weight, layer.bias, 1, 0, layer.dilation_rate)
    return y.movedim(1, -1) if layer.data_format == "channels_last" else y


@pytest.mark.parametrize("rank,kwargs,shape", CASES)
def test_harness_and_reference(
    layer_test: Any, rank: int, kwargs: dict, shape: tuple
) -> None:
    cls = CLASSES[rank]
    layer = cls(**kwargs)
    expected = layer.compute_output_shape(shape)
    layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=expected,
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )
    x = torch.from_numpy(
        np.random.default_rng(1).standard_normal(shape).astype("float32")
    ).requires_grad_(True)
    layer = cls(**kwargs, bias_initializer="random_normal")
    y = layer(x)
    assert tuple(y.shape) == expected
    kernel = layer.kernel.detach().clone().requires_grad_(True)
    ref = _reference(layer, x, kernel)
    torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-5)
    got = torch.autograd.grad(y.square().sum(), [x, layer.kernel])
    want = torch.autograd.grad(ref.square().sum(), [x, kernel])
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


def test_matches_torch_conv_transpose() -> None:
    # Valid padding, kernel >= stride: exactly nn.ConvTranspose2d(padding=0).
    layer = Conv2DTranspose(5, (3, 4), strides=(2, 3), bias_initializer="ones")
    x = torch.randn(2, 6, 7, 4)
    y = layer(x)
    ref = torch.nn.ConvTranspose2d(4, 5, (3, 4), stride=(2, 3))
    with torch.no_grad():
        # Keras (kh, kw, out, in) -> torch (in, out, kh, kw)
        ref.weight.copy_(layer.kernel.permute(3, 2, 0, 1))
        ref.bias.copy_(layer.bias)
    torch.testing.assert_close(
        y, ref(x.movedim(-1, 1)).movedim(1, -1), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "rank,kwargs",
    [
        (1, dict(kernel_size=3, strides=2, padding="same")),
        (2, dict(kernel_size=3, strides=3, padding="same", output_padding=2)),
        (2, dict(kernel_size=4, strides=2, padding="valid", output_padding=1)),
        (2, dict(kernel_size=2, dilation_rate=2, padding="same")),
    ],
)
def test_matches_keras(keras_oracle: Any, rank: int, kwargs: dict) -> None:
    shape = (2,) + (5,) * rank + (3,)
    x = np.random.default_rng(3).standard_normal(shape).astype("float32")
    ours = CLASSES[rank](4, **kwargs, bias_initializer="random_normal")
    y = ours(x)
    theirs = getattr(keras_oracle.layers, f"Conv{rank}DTranspose")(4, **kwargs)
    theirs.build(shape)
    theirs.set_weights(ours.get_weights())
    want = np.asarray(theirs(x).detach().cpu())
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-5, atol=1e-5)
    assert [w.shape for w in ours.get_weights()] == [
        tuple(w.shape) for w in theirs.weights
    ]


def test_kernel_layout_and_name() -> None:
    layer = Conv2DTranspose(8, (3, 5), name="up")
    layer(np.zeros((1, 4, 4, 6), "float32"))
    assert tuple(layer.kernel.shape) == (3, 5, 8, 6)
    assert layer.kernel.path == "up/kernel"


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"`output_padding` must be strictly less"):
        Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(
        ValueError, match=r"Conv1DTranspose `filters` must be a positive"
    ):
        Conv1DTranspose(0, 3)
    with pytest.raises(ValueError, match=r"`padding` must be one of"):
        Conv1DTranspose(4, 3, padding="causal")
    with pytest.raises(ValueError, match=r"not compatible with `dilation_rate > 1`"):
        Conv2DTranspose(4, 3, strides=2, dilation_rate=2)
    layer = Conv2DTranspose(4, 3, name="deconv_x")
    layer(np.zeros((1, 4, 4, 3), "float32"))
    with pytest.raises(
        ValueError, match=r'"deconv_x" \(Conv2DTranspose\) expects inputs'
    ):
        layer(np.zeros((1, 4, 4, 5), "float32"))
