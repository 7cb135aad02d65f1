"""Image preprocessing layers: harness, then numerics against numpy, torch
and real Keras (random layers: Keras's `transform_images` on our draw)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cornu as keras
from cornu.layers.preprocessing.center_crop import CenterCrop
from cornu.layers.preprocessing.random_flip import RandomFlip
from cornu.layers.preprocessing.random_rotation import RandomRotation
from cornu.layers.preprocessing.random_zoom import RandomZoom
from cornu.layers.preprocessing.rescaling import Rescaling
from cornu.layers.preprocessing.resizing import Resizing

RNG = np.random.default_rng(0)


def _np(x: Any) -> np.ndarray:
    return (
        np.asarray(x.detach().cpu()) if isinstance(x, torch.Tensor) else np.asarray(x)
    )


def test_rescaling(layer_test: Any) -> None:
    layer_test(
        Rescaling,
        {"scale": 0.5, "offset": -1.0},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
    )
    x = RNG.integers(0, 256, (2, 4, 4, 3)).astype("uint8")
    y = Rescaling(1 / 127.5, offset=-1)(x)
    assert y.dtype == torch.float32
    np.testing.assert_allclose(y.numpy(), x / 127.5 - 1, rtol=1e-6, atol=1e-6)
    per_channel = Rescaling([1.0, 2.0, 3.0])(x).numpy()
    np.testing.assert_allclose(per_channel, x * np.array([1.0, 2.0, 3.0]), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"height": 5, "width": 3},
        {"height": 6, "width": 6, "interpolation": "nearest"},
        {"height": 4, "width": 6, "crop_to_aspect_ratio": True},
        {"height": 4, "width": 6, "pad_to_aspect_ratio": True, "fill_value": 1.0},
        {"height": 3, "width": 3, "interpolation": "bicubic", "antialias": True},
    ],
)
def test_resizing(layer_test: Any, keras_oracle: Any, kwargs: dict) -> None:
    shape = (2, 7, 8, 3)
    layer_test(
        Resizing,
        kwargs,
        input_shape=shape,
        expected_output_shape=(2, kwargs["height"], kwargs["width"], 3),
    )
    x = RNG.standard_normal(shape).astype("float32")
    ours = Resizing(**kwargs)(x)
    theirs = keras_oracle.layers.Resizing(**kwargs)(x)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-5, atol=1e-5)


def test_resizing_matches_torch_interpolate() -> None:
    x = torch.randn(2, 3, 5, 6)  # channels-first
    y = Resizing(10, 4, data_format="channels_first")(x)
    want = F.interpolate(x, size=(10, 4), mode="bilinear", align_corners=False)
    torch.testing.assert_close(y, want)


@pytest.mark.parametrize(
    "shape,kwargs",
    [
        ((2, 7, 8, 3), {"height": 4, "width": 5}),
        ((7, 8, 3), {"height": 4, "width": 4}),
        ((2, 3, 7, 8), {"height": 2, "width": 6, "data_format": "channels_first"}),
        ((2, 4, 5, 3), {"height": 6, "width": 3}),  # smaller: crop + resize
    ],
)
def test_center_crop(
    layer_test: Any, keras_oracle: Any, shape: tuple, kwargs: dict
) -> None:
    if len(shape) == 4:
        layer = CenterCrop(**kwargs)
        layer_test(
            CenterCrop,
            kwargs,
            input_shape=shape,
            expected_output_shape=layer.compute_output_shape(shape),
        )
    x = RNG.standard_normal(shape).astype("float32")
    ours = CenterCrop(**kwargs)(x)
    theirs = keras_oracle.layers.CenterCrop(**kwargs)(x)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip(layer_test: Any, keras_oracle: Any, mode: str) -> None:
    layer_test(
        RandomFlip,
        {"mode": mode, "seed": 1},
        input_shape=(4, 5, 6, 3),
        expected_output_shape=(4, 5, 6, 3),
    )
    x = torch.from_numpy(RNG.standard_normal((64, 3, 4, 2)).astype("float32"))
    layer = RandomFlip(mode, seed=3)
    y = layer(x)
    flips = {
        "horizontal": [x.flip(2)],
        "vertical": [x.flip(1)],
        "horizontal_and_vertical": [x.flip(1).flip(2)],
    }[mode]
    flipped = torch.tensor([torch.equal(y[i], flips[0][i]) for i in range(64)])
    kept = torch.tensor([torch.equal(y[i], x[i]) for i in range(64)])
    assert bool((flipped | kept).all()) and 16 < int(flipped.sum()) < 48
    assert torch.equal(layer(x, training=False), x)
    # Keras applies our draw identically.
    t = layer.get_random_transformation(x)
    theirs = keras_oracle.layers.RandomFlip(mode).transform_images(x, t)
    torch.testing.assert_close(layer.transform_images(x, t), theirs.cpu())


def test_random_flip_single_image_and_gradient() -> None:
    x = torch.randn(4, 5, 3, requires_grad=True)
    y = RandomFlip("horizontal", seed=0)(x)
    assert y.shape == x.shape
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, torch.ones_like(x))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"factor": 0.2},
        {"factor": (-0.5, 0.1), "fill_mode": "constant", "fill_value": 2.0},
        {"factor": 0.3, "interpolation": "nearest", "fill_mode": "wrap"},
        {"factor": 0.25, "fill_mode": "nearest", "data_format": "channels_first"},
    ],
)
def test_random_rotation(layer_test: Any, keras_oracle: Any, kwargs: dict) -> None:
    cf = kwargs.get("data_format") == "channels_first"
    shape = (3, 2, 7, 9) if cf else (3, 7, 9, 2)
    layer_test(RandomRotation, kwargs, input_shape=shape, expected_output_shape=shape)
    x = torch.from_numpy(RNG.standard_normal(shape).astype("float32"))
    layer = RandomRotation(**kwargs, seed=5)
    t = layer.get_random_transformation(x)
    lo, hi = layer.factor
    assert bool(((t["angle"] >= lo * 360) & (t["angle"] <= hi * 360)).all())
    ours = layer.transform_images(x, t)
    theirs = keras_oracle.layers.RandomRotation(**kwargs).transform_images(x, t)
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-4, atol=1e-4)


def test_random_rotation_half_turn_is_a_double_flip() -> None:
    x = torch.randn(2, 5, 7, 3)
    layer = RandomRotation((0.5, 0.5), interpolation="nearest")
    torch.testing.assert_close(layer(x), x.flip(1).flip(2))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"height_factor": 0.3},
        {
            "height_factor": (-0.4, -0.2),
            "width_factor": (0.1, 0.5),
            "fill_mode": "constant",
        },
        {"height_factor": 0.2, "interpolation": "nearest", "fill_mode": "reflect"},
    ],
)
def test_random_zoom(layer_test: Any, keras_oracle: Any, kwargs: dict) -> None:
    shape = (3, 8, 6, 2)
    layer_test(RandomZoom, kwargs, input_shape=shape, expected_output_shape=shape)
    x = torch.from_numpy(RNG.standard_normal(shape).astype("float32"))
    layer = RandomZoom(**kwargs, seed=2)
    t = layer.get_random_transformation(x)
    ours = layer.transform_images(x, t)
    theirs = keras_oracle.layers.RandomZoom(**kwargs).transform_images(x, t)
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-4, atol=1e-4)
    if "width_factor" not in kwargs:
        assert torch.equal(t["height_zoom"], t["width_zoom"])


def test_random_zoom_by_half_matches_nearest_sampling() -> None:
    # zoom 0.5 (factor -0.5): the output reads the input at half the offset.
    x = torch.arange(25.0).reshape(1, 5, 5, 1)
    y = RandomZoom((-0.5, -0.5), interpolation="nearest")(x)
    assert y[0, 2, 2, 0] == x[0, 2, 2, 0]
    assert y[0, 0, 0, 0] == x[0, 1, 1, 0]


def test_augmentations_are_off_in_predict() -> None:
    inputs = keras.Input((6, 6, 1))
    model = keras.Model(inputs, RandomRotation(0.4)(RandomFlip()(inputs)))
    x = np.random.default_rng(0).standard_normal((4, 6, 6, 1)).astype("float32")
    np.testing.assert_array_equal(_np(model(x, training=False)), x)
    assert not np.allclose(_np(model(x, training=True)), x)


def test_seeded_augmentations_are_reproducible() -> None:
    x = torch.randn(4, 6, 6, 1)
    a, b = RandomRotation(0.3, seed=11), RandomRotation(0.3, seed=11)
    torch.testing.assert_close(a(x), b(x))


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"RandomFlip `mode` must be one of"):
        RandomFlip("diagonal")
    with pytest.raises(
        ValueError, match=r"RandomRotation `factor` must be a number or a pair"
    ):
        RandomRotation(1.5)
    with pytest.raises(ValueError, match=r"RandomZoom `fill_mode` must be one of"):
        RandomZoom(0.1, fill_mode="mirror")
    with pytest.raises(
        ValueError, match=r"RandomZoom `height_factor` values must be above -1"
    ):
        RandomZoom((-1.0, 0.0))
    with pytest.raises(
        ValueError, match=r"Resizing `height` must be a positive integer"
    ):
        Resizing(0, 3)
    with pytest.raises(ValueError, match=r"only one of `crop_to_aspect_ratio`"):
        Resizing(3, 3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(
        ValueError, match=r'"cc_x" \(CenterCrop\) expects images of rank 3'
    ):
        CenterCrop(2, 2, name="cc_x")(np.zeros((4, 4), "float32"))
