"""`cornu.ops.image` against NumPy references and real Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _ops_cases import IMG, RNG, assert_close, real_keras

from cornu import ops

KERAS = real_keras()
needs_keras = pytest.mark.skipif(KERAS is None, reason="real Keras not installed")


def test_colour_spaces() -> None:
    gray = ops.image.rgb_to_grayscale(IMG)
    want = IMG @ np.array([0.2989, 0.587, 0.114], "float32")
    assert_close(gray, want[..., None], atol=1e-6)
    cf = np.transpose(IMG, (0, 3, 1, 2))
    assert_close(
        ops.image.rgb_to_grayscale(cf, data_format="channels_first"),
        want[:, None],
        atol=1e-6,
    )
    hsv = ops.image.rgb_to_hsv(IMG)
    assert_close(ops.image.hsv_to_rgb(hsv), IMG, atol=1e-5)
    pixel = np.array([[[1.0, 0.5, 0.0]]], "float32")  # orange: h = 30 degrees
    assert_close(
        ops.image.rgb_to_hsv(pixel), np.array([[[30 / 360, 1.0, 1.0]]]), atol=1e-6
    )
    with pytest.raises(ValueError, match="float images"):
        ops.image.rgb_to_hsv(IMG.astype("int32"))
    with pytest.raises(ValueError, match="rank 3"):
        ops.image.rgb_to_grayscale(IMG[0, 0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": (3, 4)},
        {"size": (12, 10)},
        {"size": (3, 4), "interpolation": "nearest"},
        {"size": (9, 5), "interpolation": "bicubic"},
        {"size": (3, 3), "antialias": True},
        {"size": (4, 4), "crop_to_aspect_ratio": True},
        {"size": (4, 4), "pad_to_aspect_ratio": True, "fill_value": 0.5},
    ],
)
def test_resize(kwargs: dict) -> None:
    got = ops.image.resize(IMG, **kwargs)
    assert tuple(got.shape) == (2, *kwargs["size"], 3)
    single = ops.image.resize(IMG[0], **kwargs)
    assert_close(single, got[0])
    if KERAS is not None:
        assert_close(got, KERAS.ops.image.resize(IMG, **kwargs), atol=1e-5)
    u8 = ops.image.resize((IMG * 255).astype("uint8"), **kwargs)
    assert u8.dtype == torch.uint8


def test_resize_bilinear_half_pixel_centres() -> None:
    x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
    got = ops.image.resize(x, (1, 8))
    # Output pixel j samples input coordinate (j + 0.5) / 2 - 0.5, clamped.
    coords = np.clip((np.arange(8) + 0.5) / 2 - 0.5, 0, 3)
    assert_close(got[0, 0, :, 0], np.interp(coords, np.arange(4), np.arange(4)))
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        ops.image.resize(IMG, (2, 2), interpolation="lanczos7")


def test_crop_and_pad() -> None:
    got = ops.image.crop_images(
        IMG, top_cropping=1, left_cropping=2, target_height=3, target_width=4
    )
    assert_close(got, IMG[:, 1:4, 2:6])
    got = ops.image.crop_images(
        IMG[0], top_cropping=1, bottom_cropping=2, right_cropping=1, target_width=5
    )
    assert_close(got, IMG[0, 1:4, 2:7])
    padded = ops.image.pad_images(IMG, 1, 2, target_height=9, target_width=12)
    assert_close(padded, np.pad(IMG, ((0, 0), (1, 2), (2, 2), (0, 0))))
    cf = np.transpose(IMG, (0, 3, 1, 2))
    padded = ops.image.pad_images(cf, 1, 0, 0, 1, data_format="channels_first")
    assert_close(padded, np.pad(cf, ((0, 0), (0, 0), (1, 0), (0, 1))))
    with pytest.raises(ValueError, match="exactly two of"):
        ops.image.crop_images(IMG, top_cropping=1, left_cropping=1, target_width=2)
    with pytest.raises(ValueError, match="must be >= 0"):
        ops.image.pad_images(IMG, 1, 1, target_height=2, target_width=20)


def _np_map(x: np.ndarray, coords: np.ndarray, mode: str, cval: float) -> np.ndarray:
    """Linear interpolation of a 2-D array, scipy.ndimage-style modes."""

    def fix(i: np.ndarray, n: int) -> np.ndarray:
        if mode in ("constant", "nearest"):
            return np.clip(i, 0, n - 1)
        if mode == "wrap":
            return i % n
        period = 2 * (n - 1)  # mirror
        i = np.abs(i) % period
        return np.where(i >= n, period - i, i)

    y, xx = coords
    y0, x0 = np.floor(y).astype(int), np.floor(xx).astype(int)
    out = np.zeros(y.shape)
    for dy in (0, 1):
        for dx in (0, 1):
            yi, xi = y0 + dy, x0 + dx
            w = (1 - np.abs(y - yi)) * (1 - np.abs(xx - xi))
            v = x[fix(yi, x.shape[0]), fix(xi, x.shape[1])]
            if mode == "constant":
                ok = (yi >= 0) & (yi < x.shape[0]) & (xi >= 0) & (xi < x.shape[1])
                v = np.where(ok, v, cval)
            out += w * v
    return out


@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror"])
def test_map_coordinates(mode: str) -> None:
    x = RNG.standard_normal((5, 6)).astype("float32")
    coords = RNG.uniform(-2, 7, (2, 4, 3)).astype("float32")
    got = ops.image.map_coordinates(x, coords, order=1, fill_mode=mode, fill_value=0.5)
    assert_close(got, _np_map(x, coords, mode, 0.5), atol=1e-5)
    if KERAS is not None:
        want = KERAS.ops.image.map_coordinates(x, coords, 1, mode, 0.5)
        assert_close(got, want, atol=1e-5)
    nearest = ops.image.map_coordinates(x, np.array([[1.2, 3.7], [0.4, 5.4]]), order=0)
    assert_close(nearest, x[[1, 4], [0, 5]])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "wrap", "nearest"])
def test_affine_transform(interpolation: str, fill_mode: str) -> None:
    angle = 0.3
    rot = [np.cos(angle), -np.sin(angle), 1.0, np.sin(angle), np.cos(angle), -0.5, 0, 0]
    shift = [1, 0, 2.5, 0, 1, -1.0, 0, 0]
    t = np.array([rot, shift], "float32")
    got = ops.image.affine_transform(IMG, t, interpolation, fill_mode, fill_value=0.25)
    assert tuple(got.shape) == IMG.shape
    ident = ops.image.affine_transform(
        IMG, np.array([1, 0, 0, 0, 1, 0, 0, 0], "float32")
    )
    assert_close(ident, IMG)
    if KERAS is not None:
        want = KERAS.ops.image.affine_transform(IMG, t, interpolation, fill_mode, 0.25)
        assert_close(got, want, atol=1e-5)


@pytest.mark.parametrize(
    ("size", "strides", "padding", "dil"),
    [(2, None, "valid", 1), (3, 2, "same", 1), (2, 1, "valid", 2)],
)
def test_extract_patches(size: int, strides: Any, padding: str, dil: int) -> None:
    got = ops.image.extract_patches(IMG, size, strides, dil, padding)
    if KERAS is not None:
        want = KERAS.ops.image.extract_patches(IMG, size, strides, dil, padding)
        assert_close(got, want, atol=1e-6)
    if (strides, padding, dil) == (None, "valid", 1):
        blocks = IMG.reshape(2, 3, 2, 4, 2, 3).transpose(0, 1, 3, 2, 4, 5)
        assert_close(got, blocks.reshape(2, 3, 4, 12))


def test_gaussian_blur_and_sobel() -> None:
    blurred = ops.image.gaussian_blur(IMG, (3, 3), (1.0, 1.0))
    k = np.exp(-0.5 * np.arange(-1, 2) ** 2)
    k2 = np.outer(k, k) / np.outer(k, k).sum()
    padded = np.pad(IMG, ((0, 0), (1, 1), (1, 1), (0, 0)))
    want = sum(
        k2[i, j] * padded[:, i : i + 6, j : j + 8] for i in range(3) for j in range(3)
    )
    assert_close(blurred, want, atol=1e-5)
    edges = ops.image.sobel_edges(IMG)
    assert tuple(edges.shape) == (2, 6, 8, 3, 2)
    if KERAS is not None:
        # (Keras's torch backend misreads data_format=None here; be explicit.)
        want = KERAS.ops.image.gaussian_blur(IMG, (3, 3), (1.0, 1.0), "channels_last")
        assert_close(blurred, want, atol=1e-5)
        assert_close(edges, KERAS.ops.image.sobel_edges(IMG), atol=1e-5)
