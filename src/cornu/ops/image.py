"""`keras.ops.image`: resizing, geometric transforms, colour spaces, patches.

Images are `(batch, height, width, channels)` (or a single
`(height, width, channels)` image) unless `data_format="channels_first"`.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from cornu.ops.core import keras_op
from cornu.ops.nn import _data_format, _pad_spatial, _same_pads, _tuple
from cornu.ops.numpy import _t

Tensor = torch.Tensor
ArrayLike = Any


def _check_rank(x: Tensor, what: str = "images") -> None:
    if x.ndim not in (3, 4):
        raise ValueError(
            f"Expected {what} of rank 3 (one image) or 4 (a batch), received "
            f"shape {tuple(x.shape)}."
        )


def _channels_axis(fmt: str) -> int:
    return -1 if fmt == "channels_last" else -3


def _batched_cf(images: Tensor, fmt: str) -> tuple[Tensor, bool]:
    """`(N, C, H, W)` view of `images`, and whether a batch axis was added."""
    single = images.ndim == 3
    x = images.unsqueeze(0) if single else images
    if fmt == "channels_last":
        x = x.permute(0, 3, 1, 2)
    return x, single


def _restore(x: Tensor, fmt: str, single: bool) -> Tensor:
    if fmt == "channels_last":
        x = x.permute(0, 2, 3, 1)
    return x.squeeze(0) if single else x


# --------------------------------------------------------------------------
# colour spaces


@keras_op("RGBToGrayscale")
def rgb_to_grayscale(images: ArrayLike, data_format: str | None = None) -> Tensor:
    """Luma `0.2989 R + 0.587 G + 0.114 B`, keeping a channel axis of size 1."""
    x = _t(images)
    _check_rank(x)
    axis = _channels_axis(_data_format(data_format))
    if x.shape[axis] not in (1, 3):
        raise ValueError(
            "rgb_to_grayscale expects 1 or 3 channels, received shape "
            f"{tuple(x.shape)}."
        )
    if x.shape[axis] == 1:
        return x.clone()
    r, g, b = x.unbind(axis)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(x.dtype).unsqueeze(axis)


def _float_images(images: Any, what: str) -> Tensor:
    x = _t(images)
    _check_rank(x)
    if not x.is_floating_point():
        raise ValueError(f"{what} expects float images, received dtype {x.dtype}.")
    return x


@keras_op("RGBToHSV")
def rgb_to_hsv(images: ArrayLike, data_format: str | None = None) -> Tensor:
    """RGB in [0, 1] to HSV (hue, saturation, value in [0, 1])."""
    x = _float_images(images, "rgb_to_hsv")
    axis = _channels_axis(_data_format(data_format))
    x = torch.where(torch.abs(x) < torch.finfo(x.dtype).eps, 0.0, x)
    r, g, b = x.unbind(axis)
    value = torch.maximum(torch.maximum(r, g), b)
    rng = value - torch.minimum(torch.minimum(r, g), b)
    sat = torch.where(value > 0, rng / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(rng > 0, rng, 1.0))
    hue = torch.where(
        value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0
    )
    hue = torch.where(value == r, norm * (g - b), hue)
    hue = torch.where(rng > 0, hue, 0.0) + (hue < 0).to(hue.dtype)
    return torch.stack([hue, sat, value], dim=axis)


@keras_op("HSVToRGB")
def hsv_to_rgb(images: ArrayLike, data_format: str | None = None) -> Tensor:
    """HSV (all in [0, 1]) to RGB."""
    x = _float_images(images, "hsv_to_rgb")
    axis = _channels_axis(_data_format(data_format))
    h, s, v = x.unbind(axis)
    dh = torch.remainder(h, 1.0) * 6.0
    dr = torch.clamp(torch.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = torch.clamp(2.0 - torch.abs(dh - 2.0), 0.0, 1.0)
    db = torch.clamp(2.0 - torch.abs(dh - 4.0), 0.0, 1.0)
    base = 1.0 - s
    return torch.stack(
        [v * (base + s * dr), v * (base + s * dg), v * (base + s * db)], dim=axis
    )


# --------------------------------------------------------------------------
# resizing, cropping, padding

_RESIZE_MODES = {
    "bilinear": "bilinear",
    "nearest": "nearest-exact",
    "bicubic": "bicubic",
}


@keras_op("Resize")
def resize(
    images: ArrayLike,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> Tensor:
    """Resizes images to `size = (height, width)`.

    Args:
        images: one image or a batch.
        size: the output height and width.
        interpolation: `"bilinear"`, `"nearest"` or `"bicubic"`
            (half-pixel centres, as Keras).
        antialias: low-pass filter when downsampling (bilinear/bicubic).
        crop_to_aspect_ratio: centre-crop to the target aspect ratio first.
        pad_to_aspect_ratio: pad (with `fill_value`) to the target aspect
            ratio first.
        fill_mode: only `"constant"`.
        fill_value: the padding value.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The resized images, in the input dtype (integers rounded).
    """
    if interpolation not in _RESIZE_MODES:
        raise ValueError(
            f"`interpolation` must be one of {sorted(_RESIZE_MODES)}, received: "
            f"{interpolation!r}."
        )
    if fill_mode != "constant":
        raise ValueError(f"`fill_mode` must be 'constant', received: {fill_mode!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True."
        )
    if len(size) != 2:
        raise ValueError(f"`size` must be (height, width), received: {size}.")
    x0 = _t(images)
    _check_rank(x0)
    fmt = _data_format(data_format)
    x, single = _batched_cf(x0, fmt)
    dtype = x.dtype
    if dtype not in (torch.float32, torch.float64):
        x = x.float()
    th, tw = int(size[0]), int(size[1])
    h, w = x.shape[-2:]
    if crop_to_aspect_ratio:
        ch = max(min(h, int(w * th / tw)), 1)
        cw = max(min(w, int(h * tw / th)), 1)
        top, left = int((h - ch) / 2), int((w - cw) / 2)
        x = x[:, :, top : top + ch, left : left + cw]
    elif pad_to_aspect_ratio:
        ph = max(h, int(w * th / tw))
        pw = max(w, int(h * tw / th))
        top, left = int((ph - h) / 2), int((pw - w) / 2)
        x = F.pad(x, (left, left, top, top), value=fill_value)
    mode = _RESIZE_MODES[interpolation]
    out = F.interpolate(
        x,
        size=(th, tw),
        mode=mode,
        align_corners=False if mode != "nearest-exact" else None,
        antialias=antialias and mode != "nearest-exact",
    )
    if out.dtype != dtype:
        if not dtype.is_floating_point:
            info = torch.iinfo(dtype)
            out = torch.clamp(torch.round(out), info.min, info.max)
        out = out.to(dtype)
    return _restore(out, fmt, single)


def _validate_two_of(names: Sequence[str], values: Sequence[Any]) -> None:
    if list(values).count(None) != 1:
        raise ValueError(
            f"Specify exactly two of {', '.join(names)}; received "
            + ", ".join(f"{n}={v}" for n, v in zip(names, values))
            + "."
        )
    for n, v in zip(names, values):
        if v is not None and v < 0:
            raise ValueError(f"`{n}` must be >= 0, received: {v}.")


def _solve(
    a: int | None, b: int | None, c: int | None, total: int
) -> tuple[int, int, int]:
    """Fills the one missing value of `a + b + c == total`."""
    vals = [a, b, c]
    known = sum(v for v in vals if v is not None)
    return tuple(total - known if v is None else v for v in vals)  # type: ignore[return-value]


def _hw(x: Tensor, fmt: str) -> tuple[int, int]:
    return (
        (x.shape[-3], x.shape[-2])
        if fmt == "channels_last"
        else (x.shape[-2], x.shape[-1])
    )


@keras_op("CropImages")
def crop_images(
    images: ArrayLike,
    top_cropping: int | None = None,
    left_cropping: int | None = None,
    bottom_cropping: int | None = None,
    right_cropping: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Tensor:
    """Crops images; give exactly two of top/bottom/target_height and of
    left/right/target_width."""
    x = _t(images)
    _check_rank(x)
    _validate_two_of(
        ("top_cropping", "bottom_cropping", "target_height"),
        (top_cropping, bottom_cropping, target_height),
    )
    _validate_two_of(
        ("left_cropping", "right_cropping", "target_width"),
        (left_cropping, right_cropping, target_width),
    )
    fmt = _data_format(data_format)
    h, w = _hw(x, fmt)
    # Exactly one of each triple is None: height = top + target + bottom.
    top, th, _ = _solve(top_cropping, target_height, bottom_cropping, h)
    left, tw, _ = _solve(left_cropping, target_width, right_cropping, w)
    if top < 0 or left < 0 or th < 0 or tw < 0 or top + th > h or left + tw > w:
        raise ValueError(
            f"The crop (top={top}, left={left}, height={th}, width={tw}) does not "
            f"fit images of height {h} and width {w}."
        )
    if fmt == "channels_last":
        return x[..., top : top + th, left : left + tw, :]
    return x[..., top : top + th, left : left + tw]


@keras_op("PadImages")
def pad_images(
    images: ArrayLike,
    top_padding: int | None = None,
    left_padding: int | None = None,
    bottom_padding: int | None = None,
    right_padding: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Tensor:
    """Zero-pads images; give exactly two of top/bottom/target_height and of
    left/right/target_width."""
    x = _t(images)
    _check_rank(x)
    _validate_two_of(
        ("top_padding", "bottom_padding", "target_height"),
        (top_padding, bottom_padding, target_height),
    )
    _validate_two_of(
        ("left_padding", "right_padding", "target_width"),
        (left_padding, right_padding, target_width),
    )
    fmt = _data_format(data_format)
    h, w = _hw(x, fmt)
    # Exactly one of each triple is None: target = top + height + bottom.
    neg_th = None if target_height is None else -target_height
    neg_tw = None if target_width is None else -target_width
    top, bottom, _ = _solve(top_padding, bottom_padding, neg_th, -h)
    left, right, _ = _solve(left_padding, right_padding, neg_tw, -w)
    for name, v in (
        ("top_padding", top),
        ("bottom_padding", bottom),
        ("left_padding", left),
        ("right_padding", right),
    ):
        if v < 0:
            raise ValueError(f"`{name}` must be >= 0, received: {v}.")
    if fmt == "channels_last":
        return F.pad(x, (0, 0, left, right, top, bottom))
    return F.pad(x, (left, right, top, bottom))


# --------------------------------------------------------------------------
# coordinate mapping


def _mirror(index: Tensor, size: int) -> Tensor:
    s = max(size - 1, 1)
    return torch.abs((index + s) % (2 * s) - s)


def _reflect(index: Tensor, size: int) -> Tensor:
    return torch.div(_mirror(2 * index + 1, 2 * size + 1) - 1, 2, rounding_mode="floor")


_FIXERS: dict[str, Callable[[Tensor, int], Tensor]] = {
    "constant": lambda i, n: torch.clamp(i, 0, n - 1),
    "nearest": lambda i, n: torch.clamp(i, 0, n - 1),
    "wrap": lambda i, n: torch.remainder(i, n),
    "mirror": _mirror,
    "reflect": _reflect,
}


def _interp_nodes(coord: Tensor, order: int) -> list[tuple[Tensor, Any]]:
    if order == 0:
        c = coord if not coord.is_floating_point() else torch.round(coord)
        return [(c.long(), 1.0)]
    lower = torch.floor(coord)
    w_up = coord - lower
    i = lower.long()
    return [(i, 1.0 - w_up), (i + 1, w_up)]


def _sample(
    gather: Callable[[Sequence[Tensor]], Tensor],
    coords: Sequence[Tensor],
    sizes: Sequence[int],
    order: int,
    fill_mode: str,
    fill_value: float,
) -> Tensor:
    """Sum over the 2**d interpolation corners of weight * value (or fill)."""
    if fill_mode not in _FIXERS:
        raise ValueError(
            f"`fill_mode` must be one of {sorted(_FIXERS)}, received: {fill_mode!r}."
        )
    if order not in (0, 1):
        raise NotImplementedError(
            f"Interpolation order must be 0 or 1, received {order}."
        )
    fixer = _FIXERS[fill_mode]
    per_axis = []
    for c, n in zip(coords, sizes):
        nodes = []
        for i, w in _interp_nodes(c, order):
            valid = (i >= 0) & (i < n) if fill_mode == "constant" else None
            nodes.append((fixer(i, n), valid, w))
        per_axis.append(nodes)
    out = None
    for corner in itertools.product(*per_axis):
        idx, valids, weights = zip(*corner)
        val = gather(idx)
        checks = [v for v in valids if v is not None]
        if checks:
            ok = functools.reduce(operator.and_, checks)
            while ok.ndim < val.ndim:
                ok = ok.unsqueeze(-1)
            val = torch.where(
                ok, val, torch.as_tensor(fill_value, dtype=val.dtype, device=val.device)
            )
        w = functools.reduce(operator.mul, weights)
        if isinstance(w, Tensor):
            while w.ndim < val.ndim:
                w = w.unsqueeze(-1)
        term = val * w
        out = term if out is None else out + term
    assert out is not None
    return out


@keras_op("MapCoordinates")
def map_coordinates(
    inputs: ArrayLike,
    coordinates: ArrayLike,
    order: int,
    fill_mode: str = "constant",
    fill_value: float = 0,
) -> Tensor:
    """Samples `inputs` at fractional `coordinates` (`scipy.ndimage` style).

    Args:
        inputs: an N-D tensor.
        coordinates: `(N, ...)`: one coordinate array per input axis.
        order: 0 (nearest) or 1 (linear).
        fill_mode: `"constant"`, `"nearest"`, `"wrap"`, `"mirror"` or `"reflect"`.
        fill_value: the value outside the input for `"constant"`.

    Returns:
        Values with the shape of `coordinates[0]`, in the input dtype.
    """
    x = _t(inputs)
    coords = (
        [_t(c) for c in coordinates]
        if not isinstance(coordinates, Tensor)
        else list(coordinates.unbind(0))
    )
    if len(coords) != x.ndim:
        raise ValueError(
            f"map_coordinates needs one coordinate array per input axis: the input "
            f"has rank {x.ndim}, received {len(coords)}."
        )
    work = x if x.is_floating_point() else x.to(torch.float32)
    coords = [c.to(work.dtype) if c.is_floating_point() else c for c in coords]
    out = _sample(
        lambda idx: work[tuple(idx)], coords, x.shape, order, fill_mode, fill_value
    )
    if not x.is_floating_point():
        out = torch.round(out)
    return out.to(x.dtype)


_AFFINE_ORDER = {"nearest": 0, "bilinear": 1}


def _warp(
    x: Tensor,
    transform: Tensor,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
) -> Tensor:
    """Projective warp of channels-last `(N, H, W, C)` images; `transform`
    `(N, 8)` maps output pixels to input pixels."""
    if interpolation not in _AFFINE_ORDER:
        raise ValueError(
            f"`interpolation` must be 'nearest' or 'bilinear', received: "
            f"{interpolation!r}."
        )
    n, h, w, c = x.shape
    work = x if x.is_floating_point() else x.float()
    t = transform.to(work.dtype)
    ys = torch.arange(h, dtype=work.dtype, device=x.device)[None, :, None]
    xs = torch.arange(w, dtype=work.dtype, device=x.device)[None, None, :]
    a = [t[:, i, None, None] for i in range(8)]
    k = a[6] * xs + a[7] * ys + 1.0
    x_in = (a[0] * xs + a[1] * ys + a[2]) / k
    y_in = (a[3] * xs + a[4] * ys + a[5]) / k
    flat = work.reshape(n * h * w, c)
    batch = torch.arange(n, device=x.device)[:, None, None] * (h * w)

    def gather(idx: Sequence[Tensor]) -> Tensor:
        yi, xi = idx
        return flat[batch + yi * w + xi]

    out = _sample(
        gather,
        [y_in, x_in],
        (h, w),
        _AFFINE_ORDER[interpolation],
        fill_mode,
        fill_value,
    )
    if not x.is_floating_point():
        out = torch.round(out)
    return out.to(x.dtype)


@keras_op("AffineTransform")
def affine_transform(
    images: ArrayLike,
    transform: ArrayLike,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Tensor:
    """Applies projective transforms `[a0, a1, a2, b0, b1, b2, c0, c1]`.

    An output pixel `(x, y)` takes the input at
    `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`, `k = c0 x + c1 y + 1`.

    Args:
        images: one image or a batch.
        transform: `(8,)` or `(batch, 8)`.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode: `"constant"`, `"nearest"`, `"wrap"`, `"mirror"`, `"reflect"`.
        fill_value: the value outside the input for `"constant"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The transformed images.
    """
    x = _t(images)
    _check_rank(x)
    t = _t(transform)
    if t.ndim not in (1, 2):
        raise ValueError(
            f"`transform` must be (8,) or (batch, 8), received shape {tuple(t.shape)}."
        )
    fmt = _data_format(data_format)
    single = x.ndim == 3
    if single:
        x = x.unsqueeze(0)
    if fmt == "channels_first":
        x = x.permute(0, 2, 3, 1)
    t = t.expand(x.shape[0], 8) if t.ndim == 1 else t
    out = _warp(x, t, interpolation, fill_mode, fill_value)
    if fmt == "channels_first":
        out = out.permute(0, 3, 1, 2)
    return out.squeeze(0) if single else out


# --------------------------------------------------------------------------
# patches and filters


@keras_op("ExtractPatches")
def extract_patches(
    images: ArrayLike,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Image patches flattened into the channel axis.

    Returns:
        `(batch, out_h, out_w, ph * pw * channels)` for channels-last inputs,
        each patch flattened in `(row, column, channel)` order.
    """
    x0 = _t(images)
    _check_rank(x0)
    fmt = _data_format(data_format)
    ksize = _tuple(size, 2, "size")
    stride = ksize if not strides else _tuple(strides, 2, "strides")
    dil = _tuple(dilation_rate, 2, "dilation_rate")
    x, single = _batched_cf(x0, fmt)
    if padding.lower() == "same":
        x = _pad_spatial(x, _same_pads(x.shape[2:], ksize, stride, dil))
    n, c, h, w = x.shape
    cols = F.unfold(x, ksize, dilation=dil, stride=stride)  # (N, C*kh*kw, L)
    oh = (h - (ksize[0] - 1) * dil[0] - 1) // stride[0] + 1
    ow = (w - (ksize[1] - 1) * dil[1] - 1) // stride[1] + 1
    cols = cols.reshape(n, c, ksize[0], ksize[1], oh, ow)
    patches = cols.permute(0, 2, 3, 1, 4, 5).reshape(n, -1, oh, ow)
    return _restore(patches, fmt, single)


def _gaussian_1d(size: int, sigma: float, dtype: torch.dtype, device: Any) -> Tensor:
    t = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


@keras_op("GaussianBlur")
def gaussian_blur(
    images: ArrayLike,
    kernel_size: Sequence[int] = (3, 3),
    sigma: Sequence[float] = (1.0, 1.0),
    data_format: str | None = None,
) -> Tensor:
    """Blurs each channel with a Gaussian kernel (zero padding, same size)."""
    x0 = _t(images)
    _check_rank(x0)
    fmt = _data_format(data_format)
    x, single = _batched_cf(x0, fmt)
    work = x if x.is_floating_point() else x.float()
    kh, kw = _tuple(kernel_size, 2, "kernel_size")
    sig = (
        (float(sigma), float(sigma))
        if isinstance(sigma, (int, float))
        else tuple(float(s) for s in sigma)
    )
    ky = _gaussian_1d(kh, sig[1], work.dtype, x.device)
    kx = _gaussian_1d(kw, sig[0], work.dtype, x.device)
    c = work.shape[1]
    kernel = torch.outer(ky, kx).expand(c, 1, kh, kw)
    out = F.conv2d(work, kernel, padding=(kh // 2, kw // 2), groups=c)
    return _restore(out.to(x.dtype), fmt, single)


@keras_op("SobelEdges")
def sobel_edges(images: ArrayLike, data_format: str | None = None) -> Tensor:
    """Sobel gradients: a new last axis holds (dy, dx); zero padding."""
    x0 = _t(images)
    _check_rank(x0)
    fmt = _data_format(data_format)
    x, single = _batched_cf(x0, fmt)
    work = x if x.is_floating_point() else x.float()
    c = work.shape[1]
    ky = torch.tensor(
        [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=work.dtype, device=x.device
    )
    kernels = torch.stack([ky, ky.t()])  # (2, 3, 3): dy then dx
    weight = kernels[:, None].repeat(c, 1, 1, 1)  # (2C, 1, 3, 3)
    out = F.conv2d(work, weight, padding=1, groups=c)  # (N, 2C, H, W)
    out = out.reshape(out.shape[0], c, 2, *out.shape[2:])
    if fmt == "channels_last":
        out = out.permute(0, 3, 4, 1, 2)  # (N, H, W, C, 2)
    out = out.squeeze(0) if single else out
    return out


__all__ = [
    "affine_transform",
    "crop_images",
    "extract_patches",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "sobel_edges",
]
