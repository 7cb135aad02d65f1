"""The newer `cornu.ops.image` functions against real Keras and NumPy:
perspective and elastic warps, 3-D patches and their reassembly,
`scale_and_translate` and SSIM."""

from __future__ import annotations

import doctest
from typing import Any

import numpy as np
import pytest
import torch
from _ops_cases import assert_close, real_keras

import cornu
from cornu import ops
from cornu.random import SeedGenerator

KERAS = real_keras()
needs_keras = pytest.mark.skipif(KERAS is None, reason="real Keras not installed")

RNG = np.random.default_rng(7)
IMGS = RNG.random((2, 9, 10, 3)).astype("float32")
VOLS = RNG.random((2, 7, 8, 9, 2)).astype("float32")
CORNERS = np.array([[0, 0], [9, 0], [0, 8], [9, 8]], "float32")
MOVED = np.stack(
    [CORNERS + RNG.uniform(-2, 2, (4, 2)).astype("float32") for _ in range(2)]
)


def _cf(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(x, -1, 1 if x.ndim == 4 else 0))


def _symbolic_matches_eager(fn: Any, x: np.ndarray, *args: Any, **kwargs: Any):
    """The shape inferred on a KerasTensor (batch unknown) equals the eager one."""
    eager = fn(x, *args, **kwargs)
    sym = fn(cornu.Input(shape=x.shape[1:]), *args, **kwargs)
    assert sym.shape == (None, *tuple(eager.shape)[1:])
    assert sym.dtype == cornu.config.standardize_dtype(eager.dtype)
    return eager


@pytest.mark.parametrize(
    "name",
    [
        "elastic_transform",
        "extract_patches_3d",
        "perspective_transform",
        "reconstruct_patches",
        "scale_and_translate",
        "ssim",
    ],
)
def test_docstring_examples_run(name: str) -> None:
    fn = getattr(ops.image, name)
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(fn, name, globs=vars(ops.image))
    assert tests and tests[0].examples, f"{name} has no example"
    for test in tests:
        runner.run(test)
    assert runner.failures == 0


# --------------------------------------------------------------------------
# perspective_transform


@needs_keras
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"interpolation": "nearest"},
        {"fill_value": 0.5},
        {"data_format": "channels_first"},
    ],
)
def test_perspective_transform_matches_keras(kwargs: dict) -> None:
    x = _cf(IMGS) if kwargs.get("data_format") == "channels_first" else IMGS
    got = ops.image.perspective_transform(x, np.stack([CORNERS] * 2), MOVED, **kwargs)
    want = KERAS.ops.image.perspective_transform(
        x, np.stack([CORNERS] * 2), MOVED, **kwargs
    )
    assert_close(got, want, atol=1e-5)
    # One set of points serves the whole batch, and one image works alone.
    one = ops.image.perspective_transform(x, CORNERS, MOVED[1], **kwargs)
    assert_close(
        one,
        KERAS.ops.image.perspective_transform(x, CORNERS, MOVED[1], **kwargs),
        atol=1e-5,
    )
    single = ops.image.perspective_transform(x[1], CORNERS, MOVED[1], **kwargs)
    assert_close(single, one[1], atol=1e-6)


def test_perspective_transform_identity_and_errors() -> None:
    got = ops.image.perspective_transform(IMGS, CORNERS, CORNERS)
    assert_close(got, IMGS, atol=1e-5)
    # A pure shift: the homography through shifted corners is a translation.
    shifted = ops.image.perspective_transform(IMGS, CORNERS, CORNERS + [2.0, 1.0])
    assert_close(shifted[:, 1:, 2:], IMGS[:, :-1, :-2], atol=1e-4)
    assert_close(shifted[:, 0], np.zeros_like(IMGS[:, 0]), atol=1e-4)
    eager = _symbolic_matches_eager(
        ops.image.perspective_transform, IMGS, CORNERS, MOVED[0]
    )
    assert tuple(eager.shape) == IMGS.shape
    with pytest.raises(ValueError, match=r"`start_points` must have shape \(4, 2\)"):
        ops.image.perspective_transform(IMGS, CORNERS[:3], CORNERS[:3])
    with pytest.raises(ValueError, match="must have the same shape"):
        ops.image.perspective_transform(IMGS, CORNERS, MOVED)
    with pytest.raises(ValueError, match="`interpolation` must be"):
        ops.image.perspective_transform(IMGS, CORNERS, CORNERS, interpolation="cubic")
    with pytest.raises(ValueError, match="rank 3"):
        ops.image.perspective_transform(IMGS[0, 0], CORNERS, CORNERS)


# --------------------------------------------------------------------------
# elastic_transform


@needs_keras
@pytest.mark.parametrize(
    "kwargs",
    [
        {"alpha": 3.0, "sigma": 1.5},
        {"alpha": 4.0, "sigma": 1.0, "fill_mode": "constant", "fill_value": 0.25},
        {
            "alpha": 2.0,
            "sigma": 2.0,
            "fill_mode": "nearest",
            "interpolation": "nearest",
        },
        {"alpha": 3.0, "sigma": 1.2, "fill_mode": "wrap"},
        {"alpha": 3.0, "sigma": 1.2, "fill_mode": "mirror"},
        {"alpha": 5.0, "sigma": 2.0, "data_format": "channels_first"},
    ],
)
def test_elastic_transform_matches_keras(kwargs: dict) -> None:
    # Unseeded, both draw the field from torch's global generator in the
    # same order (dx, then dy), so the same global seed gives the same warp.
    x = _cf(IMGS) if kwargs.get("data_format") == "channels_first" else IMGS
    torch.manual_seed(11)
    got = ops.image.elastic_transform(x, **kwargs)
    torch.manual_seed(11)
    want = KERAS.ops.image.elastic_transform(x, **kwargs)
    assert_close(got, want, atol=1e-5)
    torch.manual_seed(3)
    single = ops.image.elastic_transform(x[0], **kwargs)
    torch.manual_seed(3)
    assert_close(single, KERAS.ops.image.elastic_transform(x[0], **kwargs), atol=1e-5)


def test_elastic_transform_seeds_identity_and_errors() -> None:
    a = ops.image.elastic_transform(IMGS, alpha=3.0, sigma=1.0, seed=5)
    b = ops.image.elastic_transform(IMGS, alpha=3.0, sigma=1.0, seed=5)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, torch.from_numpy(IMGS))
    gen = SeedGenerator(5)
    c = ops.image.elastic_transform(IMGS, alpha=3.0, sigma=1.0, seed=gen)
    d = ops.image.elastic_transform(IMGS, alpha=3.0, sigma=1.0, seed=gen)
    assert not torch.equal(c, d)
    # alpha=0: every pixel reads itself.
    assert_close(ops.image.elastic_transform(IMGS, alpha=0.0, seed=1), IMGS)
    eager = _symbolic_matches_eager(ops.image.elastic_transform, IMGS, seed=1)
    assert eager.dtype == torch.float32
    with pytest.raises(ValueError, match="`fill_mode` must be one of"):
        ops.image.elastic_transform(IMGS, fill_mode="edge")
    with pytest.raises(ValueError, match="`interpolation` must be"):
        ops.image.elastic_transform(IMGS, interpolation="bicubic")
    with pytest.raises(ValueError, match="rank 3"):
        ops.image.elastic_transform(VOLS)


# --------------------------------------------------------------------------
# extract_patches_3d and reconstruct_patches


@needs_keras
@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": (2, 3, 2)},
        {"size": 3, "strides": 2, "padding": "same"},
        {"size": (2, 2, 2), "strides": (1, 2, 3)},
        {"size": 2, "strides": 1, "dilation_rate": 2},
        {"size": (2, 3, 4), "data_format": "channels_first"},
    ],
)
def test_extract_patches_3d_matches_keras(kwargs: dict) -> None:
    v = _cf(VOLS) if kwargs.get("data_format") == "channels_first" else VOLS
    got = ops.image.extract_patches_3d(v, **kwargs)
    assert_close(got, KERAS.ops.image.extract_patches_3d(v, **kwargs), atol=0)
    assert_close(ops.image.extract_patches_3d(v[0], **kwargs), got[0], atol=0)
    size = kwargs["size"]
    as_3d = {**kwargs, "size": (size,) * 3 if isinstance(size, int) else size}
    assert_close(ops.image.extract_patches(v, **as_3d), got, atol=0)


def test_extract_patches_3d_layout_symbolic_and_errors() -> None:
    got = ops.image.extract_patches_3d(VOLS, (2, 2, 3))
    # Patch (0, 1, 2) starts at voxel (0, 2, 6); its entries run over
    # (depth, row, column, channel).
    want = VOLS[:, 0:2, 2:4, 6:9, :].reshape(2, -1)
    assert_close(got[:, 0, 1, 2], want, atol=0)
    _symbolic_matches_eager(ops.image.extract_patches_3d, VOLS, (2, 3, 2))
    _symbolic_matches_eager(ops.image.extract_patches, VOLS, (3, 3, 3), padding="same")
    ints = ops.image.extract_patches_3d(VOLS.astype("int32"), 2)
    assert ints.dtype == torch.int32
    with pytest.raises(ValueError, match="rank 4 .* or 5"):
        ops.image.extract_patches_3d(IMGS[0], 2)
    with pytest.raises(TypeError, match="`size` must be an int or a tuple"):
        ops.image.extract_patches(IMGS, "3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="of length 4"):
        ops.image.extract_patches(IMGS, (1, 2, 3, 4))
    with pytest.raises(ValueError, match="`padding` must be"):
        ops.image.extract_patches_3d(VOLS, 2, padding="full")


def _np_blocks(x: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """NumPy reference of non-overlapping channels-last patches (batched)."""
    n, *spatial, c = x.shape
    grid = [s // k for s, k in zip(spatial, size)]
    x = x[(slice(None), *(slice(0, g * k) for g, k in zip(grid, size)))]
    shape = [n] + [v for g, k in zip(grid, size) for v in (g, k)] + [c]
    nd = len(size)
    order = [0, *range(1, 2 * nd, 2), *range(2, 2 * nd + 1, 2), 2 * nd + 1]
    return x.reshape(shape).transpose(order).reshape(n, *grid, -1)


@pytest.mark.parametrize(
    "x,size,padding,cf",
    [
        (IMGS, (3, 5), "valid", False),
        (IMGS, (3, 5), "valid", True),
        (IMGS, (4, 3), "same", False),
        (IMGS, (2, 4), "same", True),
        (VOLS, (7, 4, 3), "valid", False),
        (VOLS, (2, 3, 4), "same", False),
        (VOLS, (3, 3, 2), "same", True),
    ],
)
def test_reconstruct_patches_inverts_extract_patches(
    x: np.ndarray, size: tuple, padding: str, cf: bool
) -> None:
    fmt = "channels_first" if cf else "channels_last"
    data = _cf(x) if cf else x
    patches = ops.image.extract_patches(data, size, padding=padding, data_format=fmt)
    spatial = x.shape[1:-1]
    if padding == "valid":
        assert_close(
            patches if not cf else np.moveaxis(patches.numpy(), 1, -1),
            _np_blocks(x, size),
            atol=0,
        )
        spatial = tuple(s // k * k for s, k in zip(spatial, size))
    got = ops.image.reconstruct_patches(
        patches, size, spatial, padding=padding, data_format=fmt
    )
    kept = x[(slice(None), *(slice(0, s) for s in spatial))]
    want = _cf(kept) if cf else kept
    assert_close(got, want, atol=0)
    single = ops.image.reconstruct_patches(
        patches[0], size, spatial, padding=padding, data_format=fmt
    )
    assert_close(single, want[0], atol=0)


def test_reconstruct_patches_symbolic_and_errors() -> None:
    patches = ops.image.extract_patches(IMGS, (3, 5))
    eager = _symbolic_matches_eager(
        ops.image.reconstruct_patches, patches.numpy(), (3, 5), (9, 10)
    )
    assert tuple(eager.shape) == IMGS.shape
    with pytest.raises(NotImplementedError, match="strides == size"):
        ops.image.reconstruct_patches(patches, (3, 5), (9, 10), strides=1)
    with pytest.raises(ValueError, match=r"each `output_size` entry must be 9"):
        ops.image.reconstruct_patches(patches, (3, 5), (8, 10))
    with pytest.raises(ValueError, match=r"must be in \(6, 9\]"):
        ops.image.reconstruct_patches(patches, (3, 5), (6, 10), padding="same")
    with pytest.raises(ValueError, match="`output_size` must be a tuple of 2"):
        ops.image.reconstruct_patches(patches, (3, 5), (9, 10, 1))
    with pytest.raises(ValueError, match="not a multiple of the patch volume"):
        ops.image.reconstruct_patches(patches, (2, 2), (6, 4))
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        ops.image.reconstruct_patches(patches[0, 0], (3, 5), (9, 10))


# --------------------------------------------------------------------------
# scale_and_translate


def test_scale_and_translate_upsampling_example() -> None:
    x = np.arange(9, dtype="float32").reshape(3, 3)
    scale = np.array([2.0, 2.0], "float32")
    got = ops.image.scale_and_translate(
        x, (5, 5), scale, -(scale / 2 - 0.5), (0, 1), "linear"
    )
    # Bilinear upsampling of a linear ramp stays the ramp: 0, .5, 1, ... per row.
    want = np.arange(5)[:, None] * 1.5 + np.arange(5)[None, :] * 0.5
    assert_close(got, want, atol=1e-6)
    # "triangle" is another name of the linear kernel.
    tri = ops.image.scale_and_translate(
        x, (5, 5), scale, -(scale / 2 - 0.5), (0, 1), "triangle"
    )
    assert_close(tri, got, atol=0)


@needs_keras
@pytest.mark.parametrize(
    "method", ["linear", "bicubic", "lanczos3", "lanczos5", "trilinear"]
)
@pytest.mark.parametrize("antialias", [True, False])
def test_scale_and_translate_matches_keras(method: str, antialias: bool) -> None:
    scale = np.array([0.6, 1.7], "float32")
    shift = np.array([0.5, -1.2], "float32")
    args = ((2, 6, 17, 3), scale, shift, (1, 2), method, antialias)
    got = ops.image.scale_and_translate(IMGS, *args)
    assert_close(got, KERAS.ops.image.scale_and_translate(IMGS, *args), atol=2e-6)
    u8 = (IMGS * 255).astype("uint8")
    got = ops.image.scale_and_translate(u8, *args)
    assert got.dtype == torch.uint8
    assert_close(got, KERAS.ops.image.scale_and_translate(u8, *args), atol=0)


def test_scale_and_translate_symbolic_and_errors() -> None:
    scale, shift = np.array([2.0, 1.5], "float32"), np.zeros(2, "float32")
    x = cornu.Input(shape=(4, 4, 3), batch_size=2)
    sym = ops.image.scale_and_translate(x, (2, 8, 6, 3), scale, shift, (1, 2), "cubic")
    eager = ops.image.scale_and_translate(
        np.ones((2, 4, 4, 3), "float32"), (2, 8, 6, 3), scale, shift, (1, 2), "cubic"
    )
    assert sym.shape == tuple(eager.shape) == (2, 8, 6, 3)
    with pytest.raises(ValueError, match="`method` must be one of"):
        ops.image.scale_and_translate(IMGS, IMGS.shape, scale, shift, (1, 2), "area")
    with pytest.raises(ValueError, match="one size per axis"):
        ops.image.scale_and_translate(IMGS, (9, 10), scale, shift, (1, 2), "linear")
    with pytest.raises(ValueError, match="one value per entry of `spatial_dims`"):
        ops.image.scale_and_translate(IMGS, IMGS.shape, scale, shift, (1,), "linear")


# --------------------------------------------------------------------------
# ssim


def _np_ssim(a: np.ndarray, b: np.ndarray, k: int, sigma: float) -> np.ndarray:
    """A direct NumPy SSIM (Gaussian window, valid positions), per image."""
    t = np.arange(k) - (k - 1) / 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    w = np.outer(g, g) / np.outer(g, g).sum()
    n, h, wd, c = a.shape
    c1, c2 = 0.01**2, 0.03**2
    out = np.zeros((n, c))
    for i in range(h - k + 1):
        for j in range(wd - k + 1):
            pa = a[:, i : i + k, j : j + k].astype("float64")
            pb = b[:, i : i + k, j : j + k].astype("float64")
            mu_a = np.einsum("nhwc,hw->nc", pa, w)
            mu_b = np.einsum("nhwc,hw->nc", pb, w)
            va = np.einsum("nhwc,hw->nc", pa * pa, w) - mu_a**2
            vb = np.einsum("nhwc,hw->nc", pb * pb, w) - mu_b**2
            cov = np.einsum("nhwc,hw->nc", pa * pb, w) - mu_a * mu_b
            out += ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
                (mu_a**2 + mu_b**2 + c1) * (va + vb + c2)
            )
    return (out / ((h - k + 1) * (wd - k + 1))).mean(axis=1)


def test_ssim_against_numpy_and_keras() -> None:
    noisy = np.clip(IMGS + RNG.normal(0, 0.1, IMGS.shape), 0, 1).astype("float32")
    got = ops.image.ssim(IMGS, noisy, filter_size=5, filter_sigma=1.0)
    assert_close(got, _np_ssim(IMGS, noisy, 5, 1.0), atol=1e-5)
    assert_close(ops.image.ssim(IMGS, IMGS, filter_size=3), np.ones(2), atol=1e-6)
    cf = ops.image.ssim(
        _cf(IMGS[0]),
        _cf(noisy[0]),
        filter_size=5,
        filter_sigma=1.0,
        data_format="channels_first",
    )
    assert cf.shape == () and abs(float(cf) - float(got[0])) < 1e-6
    if KERAS is not None:
        for kwargs in (
            {"filter_size": 5},
            {"filter_size": 3, "max_val": 2.0, "k1": 0.02},
        ):
            want = KERAS.ops.image.ssim(IMGS, noisy, **kwargs)
            assert_close(ops.image.ssim(IMGS, noisy, **kwargs), want, atol=1e-6)


def test_ssim_symbolic_and_errors() -> None:
    x = cornu.Input(shape=(9, 10, 3))
    assert ops.image.ssim(x, x, filter_size=3).shape == (None,)
    with pytest.raises(ValueError, match="must have the same shape"):
        ops.image.ssim(IMGS, IMGS[:, :8])
    with pytest.raises(ValueError, match="image2 of rank 3"):
        ops.image.ssim(IMGS, IMGS[0, 0])
