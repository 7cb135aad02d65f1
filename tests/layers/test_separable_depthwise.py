"""Depthwise and separable convolutions: harness, then numerics against
torch's grouped convolution (through the layout map) and real Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cornu.layers.convolutional.depthwise_conv1d import DepthwiseConv1D
from cornu.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
from cornu.layers.convolutional.separable_conv1d import SeparableConv1D
from cornu.layers.convolutional.separable_conv2d import SeparableConv2D

_CONV = {1: F.conv1d, 2: F.conv2d}


def _same_pads(layer: Any, spatial: tuple[int, ...]) -> list[int]:
    pads: list[int] = []
    for i in reversed(range(layer.rank)):
        out = -(-spatial[i] // layer.strides[i])
        extent = (layer.kernel_size[i] - 1) * layer.dilation_rate[i] + 1
        total = max((out - 1) * layer.strides[i] + extent - spatial[i], 0)
        pads += [total // 2, total - total // 2]
    return pads


def _reference_depthwise(
    layer: Any, x: torch.Tensor, kernel: torch.Tensor
) -> torch.Tensor:
    """Grouped conv with weights copied through the layout map:
    Keras `(*k, in, mult)` -> torch `(in * mult, 1, *k)`."""
    n = layer.rank
    t = x.movedim(-1, 1) if layer.data_format == "channels_last" else x
    if layer.padding == "same":
        t = F.pad(t, _same_pads(layer, tuple(t.shape[2:])))
    c = t.shape[1]
    weight = kernel.reshape(*kernel.shape[:n], -1).movedim(-1, 0).unsqueeze(1)
    return _CONV[n](t, weight, None, layer.strides, 0, layer.dilation_rate, c)


DEPTHWISE_CASES = [
    (
        DepthwiseConv1D,
        dict(kernel_size=3, depth_multiplier=2, padding="same"),
        (2, 7, 3),
    ),
    (DepthwiseConv1D, dict(kernel_size=2, strides=2), (2, 7, 3)),
    (
        DepthwiseConv2D,
        dict(kernel_size=3, depth_multiplier=3, strides=2, padding="same"),
        (2, 6, 5, 2),
    ),
    (DepthwiseConv2D, dict(kernel_size=(2, 3), dilation_rate=2), (2, 6, 7, 3)),
    (
        DepthwiseConv2D,
        dict(kernel_size=3, depth_multiplier=2, data_format="channels_first"),
        (2, 3, 6, 5),
    ),
]


@pytest.mark.parametrize("cls,kwargs,shape", DEPTHWISE_CASES)
def test_depthwise(layer_test: Any, cls: type, kwargs: dict, shape: tuple) -> None:
    expected = cls(**kwargs).compute_output_shape(shape)
    layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=expected,
        expected_num_trainable_weights=2,
    )
    layer = cls(**kwargs, bias_initializer="random_normal")
    x = torch.randn(shape, requires_grad=True)
    y = layer(x)
    assert tuple(y.shape) == expected
    kernel = layer.kernel.detach().clone().requires_grad_(True)
    ref = _reference_depthwise(layer, x, kernel)
    bias = layer.bias.detach().reshape(-1, *(1,) * layer.rank)
    ref = ref + bias
    ref = ref.movedim(1, -1) if layer.data_format == "channels_last" else ref
    torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-5)
    got = torch.autograd.grad(y.square().sum(), [x, layer.kernel])
    want = torch.autograd.grad(ref.square().sum(), [x, kernel])
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


SEPARABLE_CASES = [
    (
        SeparableConv1D,
        dict(filters=4, kernel_size=3, depth_multiplier=2, padding="same"),
        (2, 7, 3),
    ),
    (
        SeparableConv2D,
        dict(filters=5, kernel_size=3, strides=2, padding="same"),
        (2, 6, 5, 3),
    ),
    (
        SeparableConv2D,
        dict(
            filters=2, kernel_size=2, depth_multiplier=2, data_format="channels_first"
        ),
        (2, 3, 5, 4),
    ),
]


@pytest.mark.parametrize("cls,kwargs,shape", SEPARABLE_CASES)
def test_separable(layer_test: Any, cls: type, kwargs: dict, shape: tuple) -> None:
    expected = cls(**kwargs).compute_output_shape(shape)
    layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=expected,
        expected_num_trainable_weights=3,
    )
    layer = cls(**kwargs, bias_initializer="random_normal")
    x = torch.randn(shape, requires_grad=True)
    y = layer(x)
    n = layer.rank
    dw = layer.depthwise_kernel.detach().clone().requires_grad_(True)
    pw = layer.pointwise_kernel.detach().clone().requires_grad_(True)
    mid = _reference_depthwise(layer, x, dw)
    # Keras (*ones, in*mult, filters) -> torch (filters, in*mult, *ones)
    ref = _CONV[n](mid, pw.movedim(-1, 0).movedim(-1, 1), layer.bias.detach())
    ref = ref.movedim(1, -1) if layer.data_format == "channels_last" else ref
    torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-5)
    got = torch.autograd.grad(
        y.square().sum(), [x, layer.depthwise_kernel, layer.pointwise_kernel]
    )
    want = torch.autograd.grad(ref.square().sum(), [x, dw, pw])
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "name,args,kwargs",
    [
        ("DepthwiseConv2D", (3,), dict(depth_multiplier=2, strides=2, padding="same")),
        ("DepthwiseConv1D", (3,), dict(padding="same", dilation_rate=2)),
        ("SeparableConv2D", (4, 3), dict(depth_multiplier=2, padding="same")),
        ("SeparableConv1D", (4, 2), dict(strides=2)),
    ],
)
def test_matches_keras(keras_oracle: Any, name: str, args: tuple, kwargs: dict) -> None:
    cls = {
        "DepthwiseConv1D": DepthwiseConv1D,
        "DepthwiseConv2D": DepthwiseConv2D,
        "SeparableConv1D": SeparableConv1D,
        "SeparableConv2D": SeparableConv2D,
    }[name]
    rank = int(name[-2])
    shape = (2,) + (6,) * rank + (3,)
    x = np.random.default_rng(4).standard_normal(shape).astype("float32")
    ours = cls(*args, **kwargs, bias_initializer="random_normal")
    y = ours(x)
    theirs = getattr(keras_oracle.layers, name)(*args, **kwargs)
    theirs.build(shape)
    assert [tuple(w.shape) for w in theirs.weights] == [
        w.shape for w in ours.get_weights()
    ]
    assert [w.path.split("/")[-1] for w in theirs.weights] == [
        w.path.split("/")[-1] for w in ours.weights
    ]
    theirs.set_weights(ours.get_weights())
    want = np.asarray(theirs(x).detach().cpu())
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-5, atol=1e-5)


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"DepthwiseConv2D `depth_multiplier` must be"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match=r"SeparableConv1D `filters` must be"):
        SeparableConv1D(-1, 3)
    with pytest.raises(ValueError, match=r"`padding` must be one of"):
        DepthwiseConv1D(3, padding="causal")
    layer = SeparableConv2D(4, 3, name="sep_x")
    layer(np.zeros((1, 6, 6, 3), "float32"))
    with pytest.raises(ValueError, match=r'"sep_x" \(SeparableConv2D\) expects inputs'):
        layer(np.zeros((1, 6, 6, 2), "float32"))
