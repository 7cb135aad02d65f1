"""Cropping, zero padding and upsampling: harness, then numpy references
(slicing, `np.pad`, `np.repeat`), torch for interpolation and real Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cornu.layers.reshaping.cropping1d import Cropping1D
from cornu.layers.reshaping.cropping2d import Cropping2D
from cornu.layers.reshaping.cropping3d import Cropping3D
from cornu.layers.reshaping.up_sampling1d import UpSampling1D
from cornu.layers.reshaping.up_sampling2d import UpSampling2D
from cornu.layers.reshaping.up_sampling3d import UpSampling3D
from cornu.layers.reshaping.zero_padding1d import ZeroPadding1D
from cornu.layers.reshaping.zero_padding2d import ZeroPadding2D
from cornu.layers.reshaping.zero_padding3d import ZeroPadding3D

RNG = np.random.default_rng(0)


def _spatial(ndim: int, rank: int, data_format: str) -> list[int]:
    first = 1 if data_format == "channels_last" else 2
    return list(range(first, first + rank))


CROP_CASES = [
    (Cropping1D, {"cropping": (1, 2)}, (2, 6, 3)),
    (Cropping1D, {"cropping": 2}, (2, 6, 3)),
    (Cropping2D, {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 3)),
    (Cropping2D, {"cropping": (1, 2), "data_format": "channels_first"}, (2, 3, 5, 6)),
    (Cropping3D, {"cropping": 1}, (1, 4, 5, 6, 2)),
    (Cropping3D, {"cropping": ((0, 1), (1, 1), (2, 0))}, (1, 4, 5, 6, 2)),
]


@pytest.mark.parametrize("cls,kwargs,shape", CROP_CASES)
def test_cropping(layer_test: Any, cls: type, kwargs: dict, shape: tuple) -> None:
    layer = cls(**kwargs)
    expected = layer.compute_output_shape(shape)
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=expected)
    x = RNG.standard_normal(shape).astype("float32")
    index = [slice(None)] * len(shape)
    for axis, (b, a) in zip(
        _spatial(len(shape), cls.rank, layer.data_format), layer.cropping
    ):
        index[axis] = slice(b, shape[axis] - a)
    xt = torch.from_numpy(x)
    y = layer(xt)
    np.testing.assert_array_equal(y.numpy(), x[tuple(index)])
    # A view: the input's storage, no copy.
    assert y.untyped_storage().data_ptr() == xt.untyped_storage().data_ptr()


PAD_CASES = [
    (ZeroPadding1D, {"padding": (1, 2)}, (2, 4, 3)),
    (ZeroPadding1D, {"padding": 2, "data_format": "channels_first"}, (2, 3, 4)),
    (ZeroPadding2D, {"padding": ((1, 0), (2, 1))}, (2, 3, 4, 2)),
    (ZeroPadding2D, {"padding": (1, 2), "data_format": "channels_first"}, (2, 2, 3, 4)),
    (ZeroPadding3D, {"padding": 1}, (1, 2, 3, 2, 2)),
    (ZeroPadding3D, {"padding": ((0, 1), (1, 1), (2, 0))}, (1, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("cls,kwargs,shape", PAD_CASES)
def test_zero_padding(layer_test: Any, cls: type, kwargs: dict, shape: tuple) -> None:
    layer = cls(**kwargs)
    expected = layer.compute_output_shape(shape)
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=expected)
    x = torch.randn(shape, requires_grad=True)
    widths = [(0, 0)] * len(shape)
    for axis, pair in zip(
        _spatial(len(shape), cls.rank, layer.data_format), layer.padding
    ):
        widths[axis] = pair
    y = layer(x)
    np.testing.assert_array_equal(
        y.detach().numpy(), np.pad(x.detach().numpy(), widths)
    )
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, torch.ones_like(x))


UP_CASES = [
    (UpSampling1D, {"size": 3}, (2, 4, 3)),
    (UpSampling2D, {"size": (2, 3)}, (2, 3, 4, 2)),
    (UpSampling2D, {"size": 2, "data_format": "channels_first"}, (2, 2, 3, 4)),
    (UpSampling3D, {"size": (1, 2, 3)}, (1, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("cls,kwargs,shape", UP_CASES)
def test_up_sampling_nearest(
    layer_test: Any, cls: type, kwargs: dict, shape: tuple
) -> None:
    layer = cls(**kwargs)
    expected = layer.compute_output_shape(shape)
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=expected)
    x = torch.randn(shape, requires_grad=True)
    want = x.detach().numpy()
    for axis, s in zip(_spatial(len(shape), cls.rank, layer.data_format), layer.size):
        want = np.repeat(want, s, axis=axis)
    y = layer(x)
    np.testing.assert_array_equal(y.detach().numpy(), want)
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, torch.full_like(x, float(np.prod(layer.size))))


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_up_sampling_2d_interpolation(layer_test: Any, interpolation: str) -> None:
    kwargs = {"size": (2, 3), "interpolation": interpolation}
    layer_test(
        UpSampling2D,
        kwargs,
        input_shape=(2, 3, 4, 2),
        expected_output_shape=(2, 6, 12, 2),
    )
    x = torch.randn(2, 3, 4, 2)
    want = F.interpolate(
        x.movedim(-1, 1), size=(6, 12), mode=interpolation, align_corners=False
    )
    torch.testing.assert_close(UpSampling2D(**kwargs)(x), want.movedim(1, -1))


@pytest.mark.parametrize(
    "name,kwargs,shape",
    [
        ("Cropping1D", {"cropping": (2, 1)}, (2, 6, 3)),
        ("Cropping2D", {"cropping": ((1, 2), (0, 1))}, (2, 5, 6, 3)),
        ("ZeroPadding2D", {"padding": ((1, 2), (0, 1))}, (2, 5, 6, 3)),
        (
            "ZeroPadding3D",
            {"padding": 1, "data_format": "channels_first"},
            (1, 2, 3, 2, 2),
        ),
        ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2)),
        ("UpSampling3D", {"size": 2}, (1, 2, 3, 2, 2)),
    ],
)
def test_matches_keras(
    keras_oracle: Any, name: str, kwargs: dict, shape: tuple
) -> None:
    modules = {
        "Cropping1D": Cropping1D,
        "Cropping2D": Cropping2D,
        "ZeroPadding2D": ZeroPadding2D,
        "ZeroPadding3D": ZeroPadding3D,
        "UpSampling2D": UpSampling2D,
        "UpSampling3D": UpSampling3D,
    }
    x = RNG.standard_normal(shape).astype("float32")
    ours = modules[name](**kwargs)
    theirs = getattr(keras_oracle.layers, name)(**kwargs)
    np.testing.assert_allclose(
        ours(x).numpy(), np.asarray(theirs(x).cpu()), rtol=1e-5, atol=1e-6
    )
    # Same configuration keys and values as Keras.
    mine = {k: v for k, v in ours.get_config().items() if k not in ("name", "dtype")}
    keras_config = {
        k: v for k, v in theirs.get_config().items() if k not in ("name", "dtype")
    }
    assert mine == keras_config


def test_errors() -> None:
    with pytest.raises(
        ValueError, match=r"Cropping2D `cropping` must be an int, a tuple of 2 ints"
    ):
        Cropping2D(((1, 2, 3), (0, 1)))
    with pytest.raises(
        ValueError, match=r"ZeroPadding1D `padding` must be .* non-negative"
    ):
        ZeroPadding1D(-1)
    with pytest.raises(
        ValueError, match=r"UpSampling2D `interpolation` must be one of"
    ):
        UpSampling2D(interpolation="lanczos7")
    with pytest.raises(ValueError, match=r"`size` argument must be a tuple of 3"):
        UpSampling3D((2, 2))
    layer = Cropping2D(((2, 2), (0, 0)), name="crop_x")
    with pytest.raises(
        ValueError,
        match=r'"crop_x" \(Cropping2D\) crops .* inputs of shape \(1, 4, 4, 1\)',
    ):
        layer(np.zeros((1, 4, 4, 1), "float32"))
