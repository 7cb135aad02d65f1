"""Colour and intensity augmentations: harness, then numerics against real
Keras (same seed: same draws and same output) and NumPy references."""

from __future__ import annotations

import doctest
import importlib
from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.preprocessing.auto_contrast import AutoContrast
from cornu.layers.preprocessing.contrast_limited_adaptive_histogram_equalization import (  # noqa: E501
    ContrastLimitedAdaptiveHistogramEqualization,
)
from cornu.layers.preprocessing.equalization import Equalization
from cornu.layers.preprocessing.random_color_degeneration import (
    RandomColorDegeneration,
)
from cornu.layers.preprocessing.random_color_jitter import RandomColorJitter
from cornu.layers.preprocessing.random_grayscale import RandomGrayscale
from cornu.layers.preprocessing.random_hue import RandomHue
from cornu.layers.preprocessing.random_invert import RandomInvert
from cornu.layers.preprocessing.random_posterization import RandomPosterization
from cornu.layers.preprocessing.random_saturation import RandomSaturation
from cornu.layers.preprocessing.random_sharpness import RandomSharpness
from cornu.layers.preprocessing.solarization import Solarization

CLAHE = ContrastLimitedAdaptiveHistogramEqualization
RNG = np.random.default_rng(0)
SHAPE = (3, 6, 7, 3)


def _images(shape: tuple, low: float = 0.0, high: float = 255.0) -> np.ndarray:
    return RNG.uniform(low, high, shape).astype("float32")


def _np(x: Any) -> np.ndarray:
    return np.asarray(x.detach().cpu()) if isinstance(x, torch.Tensor) else x


def _keras_call(layer: Any, x: np.ndarray, **kwargs: Any) -> np.ndarray:
    # Keras updates some inputs in place: give it its own copy.
    return _np(layer(x.copy(), **kwargs))


# (class, kwargs) for every layer; the Keras class has the same name.
LAYERS = [
    (RandomGrayscale, {"factor": 0.6}),
    (RandomHue, {"factor": 0.7}),
    (RandomHue, {"factor": (0.2, 0.9), "value_range": (0, 1)}),
    (RandomSaturation, {"factor": 0.7}),
    (RandomSaturation, {"factor": (0.3, 0.9), "value_range": (0, 1)}),
    (RandomSharpness, {"factor": 0.8}),
    (RandomSharpness, {"factor": (0.0, 1.0), "value_range": (-1, 1)}),
    (RandomColorDegeneration, {"factor": 0.9}),
    (RandomColorDegeneration, {"factor": (0.4, 1.0), "value_range": (0, 1)}),
    (RandomInvert, {}),
    (RandomInvert, {"factor": 0.5, "value_range": (0, 1)}),
    (RandomPosterization, {"factor": 6}),
    (RandomPosterization, {"factor": (3, 3), "value_range": (0, 1)}),
    (Solarization, {"addition_factor": 0.3, "threshold_factor": 0.8}),
    (Solarization, {"threshold_factor": (0.2, 0.6), "value_range": (-1, 1)}),
    (
        RandomColorJitter,
        {
            "brightness_factor": 0.3,
            "contrast_factor": 0.4,
            "saturation_factor": 0.6,
            "hue_factor": 0.3,
        },
    ),
    (RandomColorJitter, {"hue_factor": 0.5, "value_range": (0, 1)}),
    (Equalization, {}),
    (Equalization, {"bins": 17, "value_range": (0, 1)}),
    (AutoContrast, {}),
    (AutoContrast, {"value_range": (-1, 1)}),
    (CLAHE, {"tile_grid_size": (2, 2)}),
    (CLAHE, {"tile_grid_size": (3, 4), "clip_limit": 0.0, "value_range": (0, 1)}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(LAYERS)]
RANDOM_LAYERS = [
    (cls, kw) for cls, kw in LAYERS if cls not in (Equalization, AutoContrast, CLAHE)
]
RANDOM_IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(RANDOM_LAYERS)]


@pytest.mark.parametrize("cls,kwargs", LAYERS, ids=IDS)
def test_harness(layer_test: Any, cls: Any, kwargs: dict) -> None:
    layer_test(
        cls,
        kwargs,
        input_shape=SHAPE,
        expected_output_shape=SHAPE,
        expected_num_trainable_weights=0,
    )


@pytest.mark.parametrize("cls,kwargs", LAYERS, ids=IDS)
def test_config_matches_keras(keras_oracle: Any, cls: Any, kwargs: dict) -> None:
    ours = cls(**kwargs).get_config()
    theirs = getattr(keras_oracle.layers, cls.__name__)(**kwargs).get_config()
    for key in set(theirs) - {"name", "dtype", "trainable"}:
        want = theirs[key]
        got = ours[key]
        if isinstance(want, (tuple, list)):
            want, got = list(want), list(got)
        assert got == want, key


@pytest.mark.parametrize("cls,kwargs", RANDOM_LAYERS, ids=RANDOM_IDS)
@pytest.mark.parametrize("shape", [SHAPE, (6, 7, 3)], ids=["batch", "single"])
def test_seeded_output_matches_keras(
    keras_oracle: Any, cls: Any, kwargs: dict, shape: tuple
) -> None:
    # One seed gives Keras's draws, hence Keras's output.
    x = _images(shape, *kwargs.get("value_range", (0, 255)))
    ours = _np(cls(**kwargs, seed=7)(x))
    theirs = getattr(keras_oracle.layers, cls.__name__)(**kwargs, seed=7)
    np.testing.assert_allclose(ours, _keras_call(theirs, x), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    "cls,kwargs",
    [(cls, kw) for cls, kw in RANDOM_LAYERS if cls is not RandomColorJitter],
)
def test_channels_first_matches_keras(
    keras_oracle: Any, cls: Any, kwargs: dict
) -> None:
    x = _images((2, 3, 5, 6), *kwargs.get("value_range", (0, 255)))
    kwargs = {**kwargs, "data_format": "channels_first"}
    layer = cls(**kwargs, seed=3)
    t = layer.get_random_transformation(x)
    ours = _np(layer.transform_images(x, t))
    keras_layer = getattr(keras_oracle.layers, cls.__name__)(**kwargs)
    theirs = _np(keras_layer.transform_images(torch.from_numpy(x.copy()), t))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-4)


def test_color_jitter_channels_first_is_channels_last_transposed() -> None:
    kwargs: dict[str, Any] = {
        "brightness_factor": 0.2,
        "contrast_factor": 0.5,
        "hue_factor": 0.4,
    }
    x = _images((2, 5, 6, 3))
    last = RandomColorJitter(**kwargs, seed=1)(x)
    first = RandomColorJitter(**kwargs, seed=1, data_format="channels_first")(
        x.transpose(0, 3, 1, 2)
    )
    torch.testing.assert_close(first.permute(0, 2, 3, 1), last, rtol=1e-5, atol=1e-3)


def test_color_jitter_steps_are_keras_layers_in_turn(keras_oracle: Any) -> None:
    kwargs: dict[str, Any] = {
        "brightness_factor": 0.3,
        "saturation_factor": 0.8,
        "hue_factor": 0.2,
    }
    x = torch.from_numpy(_images(SHAPE))
    layer = RandomColorJitter(**kwargs, seed=2)
    t = layer.get_random_transformation(x)
    assert list(t) == ["random_brightness", "random_saturation", "random_hue"]
    want = x.clone()
    for (name, factor), key in zip(
        [("RandomBrightness", 0.3), ("RandomSaturation", 0.8), ("RandomHue", 0.2)], t
    ):
        step = getattr(keras_oracle.layers, name)(factor)
        want = step.transform_images(want.clone(), t[key]).cpu()
    torch.testing.assert_close(layer.transform_images(x, t), want, atol=1e-3, rtol=1e-5)


@pytest.mark.parametrize("cls,kwargs", RANDOM_LAYERS, ids=RANDOM_IDS)
def test_training_false_and_seeds(cls: Any, kwargs: dict) -> None:
    x = torch.from_numpy(_images((8, 5, 6, 3), *kwargs.get("value_range", (0, 255))))
    layer = cls(**kwargs, seed=11)
    assert torch.equal(layer(x, training=False), x)
    first = layer(x)
    torch.testing.assert_close(cls(**kwargs, seed=11)(x), first)
    if kwargs.get("factor") != (3, 3):
        assert not torch.equal(layer(x), first)  # a new draw on each call


def test_deterministic_layers_and_training() -> None:
    x = torch.from_numpy(_images(SHAPE))
    # As Keras: equalization honours training; the other two always apply.
    assert torch.equal(Equalization()(x, training=False), x)
    assert not torch.equal(Equalization()(x), x)
    for layer in (AutoContrast(), CLAHE(tile_grid_size=(2, 2))):
        torch.testing.assert_close(layer(x, training=False), layer(x))
        assert not torch.equal(layer(x, training=False), x)


def test_uint8_inputs_are_cast() -> None:
    x = RNG.integers(0, 256, SHAPE).astype("uint8")
    for layer in (RandomHue(0.5, seed=0), Equalization(), CLAHE()):
        assert layer(x).dtype == torch.float32


# -- NumPy references ------------------------------------------------------


def _np_equalize(channel: np.ndarray, bins: int = 256) -> np.ndarray:
    """Histogram equalization of one channel of one image in [0, 255]."""
    index = np.clip((channel * (bins - 1) / 255.0).astype(np.int32), 0, bins - 1)
    hist = np.bincount(index.ravel(), minlength=bins)
    if np.count_nonzero(hist) <= 1:
        return channel
    cdf = np.cumsum(hist)
    cdf_min = cdf[np.nonzero(cdf)[0][0]]
    table = np.clip(np.round((cdf - cdf_min) * 255 / (cdf[-1] - cdf_min)), 0, 255)
    lookup = np.clip(channel / 255.0 * (bins - 1), 0, bins - 1).astype(np.int32)
    return table[lookup].astype(np.float32)


# Keras's own equalization warns about a 0-d transpose.
@pytest.mark.filterwarnings("ignore:Tensor.T is deprecated")
@pytest.mark.parametrize("bins", [256, 32])
def test_equalization_reference_per_image(keras_oracle: Any, bins: int) -> None:
    x = _images((3, 8, 9, 3))
    x[1] *= 0.2  # a dark image
    x[2, ..., 1] = 17.0  # a flat channel is kept
    ours = _np(Equalization(bins=bins)(x))
    want = np.stack(
        [
            np.stack([_np_equalize(x[i, ..., c], bins) for c in range(3)], axis=-1)
            for i in range(3)
        ]
    )
    np.testing.assert_allclose(ours, want, atol=1e-4)
    # Keras, one image at a time.
    keras_layer = keras_oracle.layers.Equalization(bins=bins)
    for i in range(3):
        np.testing.assert_allclose(
            ours[i : i + 1], _keras_call(keras_layer, x[i : i + 1]), atol=1e-4
        )
    # An image's result does not depend on the rest of its batch.
    np.testing.assert_allclose(_np(Equalization(bins=bins)(x[1])), ours[1])


def test_equalization_channels_first_and_value_range() -> None:
    x = _images((2, 3, 6, 5), 0.0, 1.0)
    first = Equalization(value_range=(0, 1), data_format="channels_first")(x)
    last = Equalization(value_range=(0, 1))(x.transpose(0, 2, 3, 1))
    torch.testing.assert_close(first.permute(0, 2, 3, 1), last)
    assert float(first.min()) == 0.0 and float(first.max()) == 1.0


def test_auto_contrast_reference(keras_oracle: Any) -> None:
    x = _images((2, 5, 6, 3), 0.2, 0.7)
    x[1, ..., 2] = 0.5  # flat: kept
    ours = _np(AutoContrast(value_range=(0, 1))(x))
    low = x.min(axis=(1, 2), keepdims=True)
    high = x.max(axis=(1, 2), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        want = np.where(high > low, (x - low) / (high - low), x)
    np.testing.assert_allclose(ours, want, atol=1e-5)
    theirs = _keras_call(keras_oracle.layers.AutoContrast(value_range=(0, 1)), x)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    first = AutoContrast(value_range=(0, 1), data_format="channels_first")(
        x.transpose(0, 3, 1, 2)
    )
    np.testing.assert_allclose(_np(first).transpose(0, 2, 3, 1), ours, atol=1e-6)


def test_posterization_and_solarization_references() -> None:
    x = _images((4, 3, 5, 3))
    layer = RandomPosterization((1, 8), seed=5)
    t = layer.get_random_transformation(x)
    shift = t["shift_factor"].numpy().reshape(-1, 1, 1, 1)
    assert shift.min() >= 1 and shift.max() <= 7  # bits drawn from [1, 8)
    want = ((x.astype(np.uint8) >> shift) << shift).astype(np.float32)
    np.testing.assert_array_equal(_np(layer.transform_images(x, t)), want)

    sol = Solarization(addition_factor=0.2, threshold_factor=0.5, seed=1)
    t = sol.get_random_transformation(x)
    add, thr = t["additions"].numpy(), t["thresholds"].numpy()
    assert add.min() >= 0 and add.max() <= 0.2 * 255 and thr.max() <= 0.5 * 255
    y = np.clip(x + add, 0, 255)
    want = np.where(y < thr, y, 255 - y)
    np.testing.assert_allclose(_np(sol.transform_images(x, t)), want, atol=1e-4)


def test_grayscale_and_invert_choices() -> None:
    x = torch.from_numpy(_images((400, 2, 2, 3)))
    y = RandomGrayscale(0.25, seed=0)(x)
    luma = (0.2989 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2])[..., None]
    grey = (y - luma).abs().amax(dim=(1, 2, 3)) < 1e-3
    kept = (y == x).flatten(1).all(dim=1)
    assert bool((grey | kept).all()) and 60 < int(grey.sum()) < 140
    inv = RandomInvert((0.5, 0.5), value_range=(0, 255), seed=0)(x)
    flipped = (inv == 255 - x).flatten(1).all(dim=1)
    kept = (inv == x).flatten(1).all(dim=1)
    assert bool((flipped | kept).all()) and 150 < int(flipped.sum()) < 250


def test_sharpness_and_degeneration_extremes() -> None:
    x = torch.from_numpy(_images((2, 5, 6, 3)))
    # factor 0: the smoothed image (zero padding at the border).
    kernel = torch.tensor([[1.0, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13
    xc = x.permute(0, 3, 1, 2)
    smoothed = torch.nn.functional.conv2d(
        xc.reshape(-1, 1, 5, 6), kernel[None, None], padding=1
    ).reshape(xc.shape)
    got = RandomSharpness((0.0, 0.0))(x)
    torch.testing.assert_close(got, smoothed.permute(0, 2, 3, 1).clamp(0, 255))
    grey = RandomColorDegeneration((1.0, 1.0))(x)
    torch.testing.assert_close(grey[..., 0], grey[..., 2])


def test_hue_and_saturation_identities() -> None:
    x = torch.from_numpy(_images((2, 4, 5, 3)))
    torch.testing.assert_close(RandomHue((0.0, 0.0))(x), x, atol=1e-3, rtol=1e-5)
    torch.testing.assert_close(RandomSaturation((0.5, 0.5))(x), x, atol=1e-3, rtol=1e-5)
    grey = RandomSaturation((0.0, 0.0))(x)
    value = x.amax(dim=-1, keepdim=True).expand_as(x)
    torch.testing.assert_close(grey, value, atol=1e-3, rtol=1e-5)


# -- CLAHE -----------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,grid,clip",
    [
        ((2, 16, 16, 3), (2, 2), 4.0),  # clip limit 4 * 64 / 256 = 1
        ((1, 8, 12, 1), (2, 3), 0.0),
        ((1, 16, 16, 2), (1, 2), 2.0),  # limit 2 * 128 / 256 = 1
    ],
)
def test_clahe_matches_keras(
    keras_oracle: Any, shape: tuple, grid: tuple, clip: float
) -> None:
    x = _images(shape)
    kwargs: dict[str, Any] = {"tile_grid_size": grid, "clip_limit": clip}
    ours = _np(CLAHE(**kwargs)(x))
    theirs = _keras_call(
        keras_oracle.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs), x
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize(
    "shape,grid", [((1, 9, 10, 2), (2, 3)), ((1, 3, 5, 1), (4, 4))]
)
def test_clahe_pads_by_mirroring(keras_oracle: Any, shape: tuple, grid: tuple) -> None:
    # Images that do not split into whole tiles are mirror-padded (edge
    # included), so the result is that of the padded image, cropped.
    x = _images(shape)
    h, w = shape[1:3]
    tile_h, tile_w = -(-h // grid[0]), -(-w // grid[1])
    pads = [(0, 0), (0, tile_h * grid[0] - h), (0, tile_w * grid[1] - w), (0, 0)]
    padded = np.pad(x, pads, mode="symmetric")
    kwargs: dict[str, Any] = {"tile_grid_size": grid, "clip_limit": 0.0}
    ours = _np(CLAHE(**kwargs)(x))
    keras_layer = keras_oracle.layers.ContrastLimitedAdaptiveHistogramEqualization
    theirs = _keras_call(keras_layer(**kwargs), padded)[:, :h, :w]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)


def test_clahe_single_image_channels_first_and_range() -> None:
    x = _images((2, 10, 12, 3), 0.0, 1.0)
    layer = CLAHE(value_range=(0, 1), tile_grid_size=(2, 3))
    batch = layer(x)
    torch.testing.assert_close(layer(x[1]), batch[1])
    first = CLAHE(
        value_range=(0, 1), tile_grid_size=(2, 3), data_format="channels_first"
    )
    torch.testing.assert_close(
        first(x.transpose(0, 3, 1, 2)).permute(0, 2, 3, 1), batch
    )
    assert 0.0 <= float(batch.min()) and float(batch.max()) <= 1.0


# -- errors and docstrings -------------------------------------------------


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"RandomGrayscale `factor` must be a number"):
        RandomGrayscale(1.5)
    with pytest.raises(ValueError, match=r"RandomHue `factor` must be a number or"):
        RandomHue(-0.5)
    with pytest.raises(ValueError, match=r"RandomSaturation `value_range` must be"):
        RandomSaturation(0.5, value_range=(1, 1))
    with pytest.raises(ValueError, match=r"RandomSharpness `factor` .* \[0.0, 1.0\]"):
        RandomSharpness((0.2, 1.5))
    with pytest.raises(ValueError, match=r"RandomPosterization `factor` .* \[1, 8\]"):
        RandomPosterization(9)
    with pytest.raises(
        ValueError, match=r"Solarization `threshold_factor` must be a number or"
    ):
        Solarization(threshold_factor=(0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match=r"Equalization `bins` must be an integer"):
        Equalization(bins=1)
    with pytest.raises(ValueError, match=r"AutoContrast `value_range` must be"):
        AutoContrast(value_range=5)
    with pytest.raises(ValueError, match=r"`tile_grid_size` must be a pair"):
        CLAHE(tile_grid_size=8)
    with pytest.raises(ValueError, match=r"`tile_grid_size` must be an integer >= 1"):
        CLAHE(tile_grid_size=(0, 2))
    with pytest.raises(ValueError, match=r"`clip_limit` must be a number"):
        CLAHE(clip_limit="4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"RandomContrast `factor` must be"):
        RandomColorJitter(contrast_factor=2.0)
    with pytest.raises(
        ValueError, match=r'"hue_x" \(RandomHue\) expects images of rank 3'
    ):
        RandomHue(0.5, name="hue_x")(np.zeros((4, 4), "float32"))


MODULES = [
    "auto_contrast",
    "contrast_limited_adaptive_histogram_equalization",
    "equalization",
    "random_color_degeneration",
    "random_color_jitter",
    "random_grayscale",
    "random_hue",
    "random_invert",
    "random_posterization",
    "random_saturation",
    "random_sharpness",
    "solarization",
]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(f"cornu.layers.preprocessing.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
