"""Convolution and pooling: the generic harness, then numerics against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cornu as keras
from cornu.testing import run_layer_test

CONV_CASES = [
    (
        "Conv1D",
        dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2),
        (2, 9, 3),
    ),
    ("Conv1D", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 9, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, padding="same", strides=2), (2, 9, 8, 3)),
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), dilation_rate=2), (2, 9, 8, 3)),
    (
        "Conv2D",
        dict(filters=4, kernel_size=3, groups=2, data_format="channels_first"),
        (2, 4, 7, 7),
    ),
    (
        "Conv3D",
        dict(filters=4, kernel_size=2, padding="same", strides=2),
        (2, 5, 6, 7, 3),
    ),
]


def _reference_conv(layer, x, kernel=None):
    """Cross-correlation with TF 'same'/'causal' padding, via torch on explicit pads."""
    n = layer.rank
    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(x)
    kernel = layer.kernel.detach() if kernel is None else kernel
    if layer.data_format == "channels_last":
        t = t.movedim(-1, 1)
    if layer.padding == "causal":
        t = F.pad(t, ((layer.kernel_size[0] - 1) * layer.dilation_rate[0], 0))
    elif layer.padding == "same":
        pads = []
        for i in reversed(range(n)):
            size = t.shape[2 + i]
            out = -(-size // layer.strides[i])
            extent = (layer.kernel_size[i] - 1) * layer.dilation_rate[i] + 1
            total = max((out - 1) * layer.strides[i] + extent - size, 0)
            pads += [total // 2, total - total // 2]
        t = F.pad(t, pads)
    weight = kernel.permute(n + 1, n, *range(n)).contiguous()
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[n]
    y = conv(
        t,
        weight,
        layer.bias.detach(),
        layer.strides,
        0,
        layer.dilation_rate,
        layer.groups,
    )
    return y.movedim(1, -1) if layer.data_format == "channels_last" else y


@pytest.mark.parametrize("cls,kwargs,shape", CONV_CASES)
def test_conv_harness_and_numerics(cls, kwargs, shape):
    layer_cls = getattr(keras.layers, cls)
    out = run_layer_test(
        layer_cls,
        kwargs,
        input_shape=shape,
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )
    assert out.shape[0] == shape[0]
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype("float32")
    layer = layer_cls(**kwargs)
    y = layer(x)
    torch.testing.assert_close(y, _reference_conv(layer, x), rtol=1e-5, atol=1e-5)
    # Gradients (input and kernel) match the reference too.
    xt = torch.from_numpy(x).requires_grad_(True)
    got = torch.autograd.grad(layer(xt).square().sum(), [xt, layer.kernel])
    kernel = layer.kernel.detach().clone().requires_grad_(True)
    ref = _reference_conv(layer, xt, kernel).square().sum()
    want = torch.autograd.grad(ref, [xt, kernel])
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


def test_conv_kernel_layout_is_keras():
    layer = keras.layers.Conv2D(8, (3, 5))
    layer(np.zeros((1, 10, 10, 4), "float32"))
    assert tuple(layer.kernel.shape) == (3, 5, 4, 8)


def test_conv_errors():
    with pytest.raises(ValueError, match="must be divisible by `groups`"):
        keras.layers.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="`padding` must be one of"):
        keras.layers.Conv2D(4, 3, padding="causal")
    layer = keras.layers.Conv2D(4, 3, name="conv_x")
    layer(np.zeros((1, 8, 8, 3), "float32"))
    with pytest.raises(
        ValueError, match=r'"conv_x" \(Conv2D\) expects inputs with last dimension 3'
    ):
        layer(np.zeros((1, 8, 8, 5), "float32"))


def _reference_pool(x, mode, k, s, padding):
    """A loop over windows in numpy: TF semantics, padding excluded from averages."""
    n = x.ndim - 2
    spatial = x.shape[1:-1]
    outs, befores = [], []
    for i in range(n):
        if padding == "same":
            out = -(-spatial[i] // s[i])
            total = max((out - 1) * s[i] + k[i] - spatial[i], 0)
            befores.append(total // 2)
        else:
            out = (spatial[i] - k[i]) // s[i] + 1
            befores.append(0)
        outs.append(out)
    y = np.zeros((x.shape[0], *outs, x.shape[-1]), x.dtype)
    for idx in np.ndindex(*outs):
        sl = tuple(
            slice(
                max(o * s[i] - befores[i], 0),
                min(o * s[i] - befores[i] + k[i], spatial[i]),
            )
            for i, o in enumerate(idx)
        )
        window = x[(slice(None), *sl, slice(None))]
        axes = tuple(range(1, n + 1))
        y[(slice(None), *idx, slice(None))] = (
            window.max(axes) if mode == "max" else window.mean(axes)
        )
    return y


POOL_CASES = [
    ("MaxPooling1D", 1, dict(pool_size=2, padding="same"), (2, 7, 3)),
    ("AveragePooling1D", 1, dict(pool_size=3, strides=2, padding="same"), (2, 8, 3)),
    ("MaxPooling2D", 2, dict(pool_size=3, strides=2, padding="same"), (2, 8, 8, 3)),
    ("AveragePooling2D", 2, dict(pool_size=3, strides=2, padding="same"), (2, 8, 8, 3)),
    ("AveragePooling2D", 2, dict(pool_size=3, strides=1, padding="same"), (2, 6, 6, 3)),
    ("MaxPooling2D", 2, dict(pool_size=2), (2, 6, 7, 3)),
    (
        "AveragePooling3D",
        3,
        dict(pool_size=2, strides=2, padding="same"),
        (1, 5, 5, 5, 2),
    ),
    ("MaxPooling3D", 3, dict(pool_size=2), (1, 4, 5, 6, 2)),
]


@pytest.mark.parametrize("cls,rank,kwargs,shape", POOL_CASES)
def test_pooling_against_numpy(cls, rank, kwargs, shape):
    layer_cls = getattr(keras.layers, cls)
    run_layer_test(
        layer_cls, kwargs, input_shape=shape, expected_num_trainable_weights=0
    )
    x = np.random.default_rng(2).standard_normal(shape).astype("float32")
    layer = layer_cls(**kwargs)
    k, s = layer.pool_size, layer.strides
    mode = "max" if cls.startswith("Max") else "avg"
    np.testing.assert_allclose(
        layer(x).numpy(),
        _reference_pool(x, mode, k, s, layer.padding),
        rtol=1e-5,
        atol=1e-6,
    )


def test_aliases():
    assert keras.layers.MaxPool2D is keras.layers.MaxPooling2D
    assert keras.layers.Convolution2D is keras.layers.Conv2D
