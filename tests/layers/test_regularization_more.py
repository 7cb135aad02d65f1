"""Spatial/Gaussian/alpha dropout, Gaussian noise and activity
regularization: harness, then statistics and formulas against references."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.regularization.activity_regularization import ActivityRegularization
from cornu.layers.regularization.alpha_dropout import AlphaDropout
from cornu.layers.regularization.dropout import Dropout
from cornu.layers.regularization.gaussian_dropout import GaussianDropout
from cornu.layers.regularization.gaussian_noise import GaussianNoise
from cornu.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)


@pytest.mark.parametrize(
    "cls,kwargs,shape,channel_axis",
    [
        (SpatialDropout1D, {"rate": 0.5, "seed": 1}, (4, 6, 32), 2),
        (SpatialDropout2D, {"rate": 0.5}, (4, 3, 5, 32), 3),
        (
            SpatialDropout2D,
            {"rate": 0.5, "data_format": "channels_first"},
            (4, 32, 3, 5),
            1,
        ),
        (SpatialDropout3D, {"rate": 0.5, "seed": 2}, (2, 2, 3, 2, 32), 4),
    ],
)
def test_spatial_dropout(
    layer_test: Any, cls: type, kwargs: dict, shape: tuple, channel_axis: int
) -> None:
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=shape)
    layer = cls(**kwargs)
    assert isinstance(layer, Dropout)
    x = torch.full(shape, 3.0)
    assert layer(x) is x
    y = layer(x, training=True)
    # Every (sample, channel) map is all zero or all 3 / (1 - rate).
    maps = y.movedim(channel_axis, 1).reshape(shape[0], shape[channel_axis], -1)
    assert torch.equal(maps, maps[..., :1].expand_as(maps))
    assert set(maps[..., 0].unique().tolist()) == {0.0, 6.0}


def test_spatial_dropout_rate_statistics() -> None:
    y = SpatialDropout1D(0.3, seed=3)(torch.ones(400, 2, 250), training=True)
    dropped = (y[:, 0] == 0).float().mean().item()
    assert abs(dropped - 0.3) < 0.01


def test_gaussian_dropout(layer_test: Any) -> None:
    layer_test(
        GaussianDropout, {"rate": 0.2}, input_shape=(2, 3), expected_output_shape=(2, 3)
    )
    layer_test(
        GaussianDropout,
        {"rate": 0.2, "seed": 4},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
    )
    rate = 0.2
    x = torch.full((200_000,), 2.0, requires_grad=True)
    y = GaussianDropout(rate, seed=5)(x, training=True)
    noise = y.detach() / 2.0
    assert abs(noise.mean().item() - 1.0) < 0.01
    assert abs(noise.std().item() - math.sqrt(rate / (1 - rate))) < 0.01
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, noise)
    assert torch.equal(GaussianDropout(rate)(x), x)


def test_gaussian_noise(layer_test: Any) -> None:
    layer_test(
        GaussianNoise, {"stddev": 0.3}, input_shape=(2, 3), expected_output_shape=(2, 3)
    )
    x = torch.full((200_000,), -1.0)
    y = GaussianNoise(0.3, seed=6)(x, training=True)
    assert abs((y + 1).mean().item()) < 0.01
    assert abs((y + 1).std().item() - 0.3) < 0.01
    assert GaussianNoise(0.3)(x) is x


def test_seeded_noise_is_reproducible() -> None:
    x = torch.zeros(16)
    for cls, arg in ((GaussianNoise, 0.5), (GaussianDropout, 0.5), (AlphaDropout, 0.5)):
        a, b = cls(arg, seed=9), cls(arg, seed=9)
        first = a(x + 1, training=True)
        assert torch.equal(first, b(x + 1, training=True))
        assert not torch.equal(first, a(x + 1, training=True))


def test_alpha_dropout(layer_test: Any) -> None:
    layer_test(
        AlphaDropout, {"rate": 0.2}, input_shape=(2, 3), expected_output_shape=(2, 3)
    )
    layer_test(
        AlphaDropout,
        {"rate": 0.2, "noise_shape": (None, 1), "seed": 1},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
    )
    rate = 0.1
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    x = torch.randn(200_000)
    y = AlphaDropout(rate, seed=7)(x, training=True)
    kept = torch.isclose(y, a * x + b, atol=1e-6)
    dropped = torch.isclose(y, torch.tensor(a * alpha_p + b), atol=1e-6)
    assert bool((kept | dropped).all())
    assert abs(dropped.float().mean().item() - rate) < 0.01
    # Keeps zero mean and unit variance of standard normal inputs.
    assert abs(y.mean().item()) < 0.02 and abs(y.var().item() - 1.0) < 0.02
    # noise_shape shares the mask along axis 1.
    z = AlphaDropout(0.5, noise_shape=(None, 1), seed=0)(
        torch.ones(64, 5), training=True
    )
    assert torch.equal(z, z[:, :1].expand_as(z))


def test_activity_regularization(layer_test: Any) -> None:
    layer_test(
        ActivityRegularization,
        {"l1": 0.01, "l2": 0.02},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_losses=1,
    )
    layer = ActivityRegularization(l1=0.1, l2=0.2)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    assert layer(x) is not None
    want = (0.1 * np.abs(x).sum() + 0.2 * (x**2).sum()) / 4
    np.testing.assert_allclose(float(layer.losses[0]), want, rtol=1e-5)
    assert set(layer.get_config()) >= {"l1", "l2"}
    assert "activity_regularizer" not in layer.get_config()
    # The penalty reaches a model's losses.
    inputs = keras.Input((5,))
    model = keras.Model(inputs, ActivityRegularization(l2=1.0)(inputs))
    model(x)
    np.testing.assert_allclose(float(sum(model.losses)), (x**2).sum() / 4, rtol=1e-5)


def test_matches_keras_configs(keras_oracle: Any) -> None:
    for ours, theirs in (
        (
            SpatialDropout1D(0.3, seed=2),
            keras_oracle.layers.SpatialDropout1D(0.3, seed=2),
        ),
        (SpatialDropout2D(0.3), keras_oracle.layers.SpatialDropout2D(0.3)),
        (GaussianDropout(0.3), keras_oracle.layers.GaussianDropout(0.3)),
        (GaussianNoise(0.3), keras_oracle.layers.GaussianNoise(0.3)),
        (AlphaDropout(0.3), keras_oracle.layers.AlphaDropout(0.3)),
        (
            ActivityRegularization(0.1, 0.2),
            keras_oracle.layers.ActivityRegularization(0.1, 0.2),
        ),
    ):
        skip = ("name", "dtype", "trainable")
        mine = {k: v for k, v in ours.get_config().items() if k not in skip}
        keras_config = {k: v for k, v in theirs.get_config().items() if k not in skip}
        assert mine == keras_config, type(ours).__name__


def test_errors() -> None:
    with pytest.raises(
        ValueError, match=r"GaussianDropout `rate` must be a number in \[0, 1\]"
    ):
        GaussianDropout(1.5)
    with pytest.raises(
        ValueError, match=r"GaussianNoise `stddev` must be a number in \[0, 1\]"
    ):
        GaussianNoise(-0.1)
    with pytest.raises(
        ValueError, match=r"AlphaDropout `rate` must be a number in \[0, 1\]"
    ):
        AlphaDropout("0.1")
    layer = SpatialDropout2D(0.5, name="sd_x")
    with pytest.raises(
        ValueError, match=r'"sd_x" \(SpatialDropout2D\) expects inputs with ndim=4'
    ):
        layer(np.zeros((2, 3, 4), "float32"))
