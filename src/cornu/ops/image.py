"""`keras.ops.image`: resizing, geometric transforms, colour spaces, patches.

Images are `(batch, height, width, channels)` (or a single
`(height, width, channels)` image) unless `data_format="channels_first"`.
"""

from __future__ import annotations

import functools
import itertools
import math
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


def _checked_batch(images: Any, data_format: str | None) -> tuple[Tensor, str, bool]:
    """The images checked and as an `(N, C, H, W)` view, their data format,
    and whether a batch axis was added."""
    x = _t(images)
    _check_rank(x)
    fmt = _data_format(data_format)
    x, single = _batched_cf(x, fmt)
    return x, fmt, single


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


def _check_same_shape(name1: str, x1: Tensor, name2: str, x2: Tensor) -> None:
    if x1.shape != x2.shape:
        raise ValueError(
            f"`{name1}` and `{name2}` must have the same shape, received "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}."
        )


def _float_images(
    images: Any, what: str, data_format: str | None
) -> tuple[Tensor, int]:
    """The images of `what`, checked to be float, and their channel axis."""
    x = _t(images)
    _check_rank(x)
    if not x.is_floating_point():
        raise ValueError(f"{what} expects float images, received dtype {x.dtype}.")
    return x, _channels_axis(_data_format(data_format))


@keras_op("RGBToHSV")
def rgb_to_hsv(images: ArrayLike, data_format: str | None = None) -> Tensor:
    """RGB in [0, 1] to HSV (hue, saturation, value in [0, 1])."""
    x, axis = _float_images(images, "rgb_to_hsv", data_format)
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
    x, axis = _float_images(images, "hsv_to_rgb", data_format)
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
    x, fmt, single = _checked_batch(images, data_format)
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
    _check_non_negative(zip(names, values))


def _check_non_negative(named_values: Any) -> None:
    for n, v in named_values:
        if v is not None and v < 0:
            raise ValueError(f"`{n}` must be >= 0, received: {v}.")


def _checked_images(
    images: ArrayLike,
    data_format: str | None,
    kind: str,
    heights: tuple[int | None, int | None, int | None],
    widths: tuple[int | None, int | None, int | None],
) -> tuple[Tensor, str, int, int]:
    """The images of `crop_images` / `pad_images` (`kind` names their
    arguments), checked, with their data format, height and width."""
    x = _t(images)
    _check_rank(x)
    _validate_two_of((f"top_{kind}", f"bottom_{kind}", "target_height"), heights)
    _validate_two_of((f"left_{kind}", f"right_{kind}", "target_width"), widths)
    fmt = _data_format(data_format)
    h, w = _hw(x, fmt)
    return x, fmt, h, w


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
    x, fmt, h, w = _checked_images(
        images,
        data_format,
        "cropping",
        (top_cropping, bottom_cropping, target_height),
        (left_cropping, right_cropping, target_width),
    )
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
    x, fmt, h, w = _checked_images(
        images,
        data_format,
        "padding",
        (top_padding, bottom_padding, target_height),
        (left_padding, right_padding, target_width),
    )
    # Exactly one of each triple is None: target = top + height + bottom.
    neg_th = None if target_height is None else -target_height
    neg_tw = None if target_width is None else -target_width
    top, bottom, _ = _solve(top_padding, bottom_padding, neg_th, -h)
    left, right, _ = _solve(left_padding, right_padding, neg_tw, -w)
    sides = {"top": top, "bottom": bottom, "left": left, "right": right}
    _check_non_negative((f"{k}_padding", v) for k, v in sides.items())
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


def _check_interpolation(interpolation: str) -> None:
    if interpolation not in _AFFINE_ORDER:
        raise ValueError(
            f"`interpolation` must be 'nearest' or 'bilinear', received: "
            f"{interpolation!r}."
        )


def _sample_images(
    x: Tensor,
    y_in: Tensor,
    x_in: Tensor,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
) -> Tensor:
    """Samples channels-last `(N, H, W, C)` images at the input coordinates
    `y_in`, `x_in` (each `(N, H', W')`), returning `(N, H', W', C)`."""
    n, h, w, c = x.shape
    work = x if x.is_floating_point() else x.float()
    flat = work.reshape(n * h * w, c)
    batch = torch.arange(n, device=x.device)[:, None, None] * (h * w)

    def gather(idx: Sequence[Tensor]) -> Tensor:
        yi, xi = idx
        return flat[batch + yi * w + xi]

    out = _sample(
        gather,
        [y_in.to(work.dtype), x_in.to(work.dtype)],
        (h, w),
        _AFFINE_ORDER[interpolation],
        fill_mode,
        fill_value,
    )
    if not x.is_floating_point():
        out = torch.round(out)
    return out.to(x.dtype)


def _warp(
    x: Tensor,
    transform: Tensor,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
) -> Tensor:
    """Projective warp of channels-last `(N, H, W, C)` images; `transform`
    `(N, 8)` maps output pixels to input pixels."""
    _check_interpolation(interpolation)
    _, h, w, _ = x.shape
    dtype = x.dtype if x.is_floating_point() else torch.float32
    t = transform.to(dtype)
    ys = torch.arange(h, dtype=dtype, device=x.device)[None, :, None]
    xs = torch.arange(w, dtype=dtype, device=x.device)[None, None, :]
    a = [t[:, i, None, None] for i in range(8)]
    k = a[6] * xs + a[7] * ys + 1.0
    x_in = (a[0] * xs + a[1] * ys + a[2]) / k
    y_in = (a[3] * xs + a[4] * ys + a[5]) / k
    return _sample_images(x, y_in, x_in, interpolation, fill_mode, fill_value)


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

    A `size` of length 3 extracts volume patches (see `extract_patches_3d`).

    Returns:
        `(batch, out_h, out_w, ph * pw * channels)` for channels-last inputs,
        each patch flattened in `(row, column, channel)` order.
    """
    _check_patch_size(size)
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(
            images, size, strides, dilation_rate, padding, data_format
        )
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
    x, fmt, single = _checked_batch(images, data_format)
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
    x, fmt, single = _checked_batch(images, data_format)
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


# --------------------------------------------------------------------------
# volumes and patch reassembly


def _check_patch_size(size: Any) -> None:
    if isinstance(size, int) and not isinstance(size, bool):
        return
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            "`size` must be an int or a tuple of 2 or 3 ints, received: "
            f"size={size!r} of type {type(size).__name__}."
        )
    if len(size) not in (2, 3):
        raise ValueError(
            "`size` must be an int or a tuple of 2 or 3 ints, received: "
            f"size={size!r} of length {len(size)}."
        )


def _unfold(
    x: Tensor, ksize: Sequence[int], stride: Sequence[int], dil: Sequence[int]
) -> Tensor:
    """`(N, C, *spatial)` -> `(N, C, *grid, *ksize)`: every window, as views."""
    for i, (k, s, d) in enumerate(zip(ksize, stride, dil)):
        x = x.unfold(2 + i, (k - 1) * d + 1, s)
        if d > 1:
            x = x[..., ::d]
    return x


@keras_op("ExtractPatches")
def extract_patches_3d(
    volumes: ArrayLike,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Volume patches flattened into the channel axis.

    Args:
        volumes: one volume `(depth, height, width, channels)` or a batch
            (channels first with `data_format="channels_first"`).
        size: the patch `(depth, height, width)`, or one int for all three.
        strides: the step between patches (default: `size`, no overlap).
        dilation_rate: the spacing of the voxels sampled within a patch.
        padding: `"valid"` or `"same"` (zero padding, extra voxel at the end).
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        `(batch, out_d, out_h, out_w, pd * ph * pw * channels)` for
        channels-last inputs, each patch flattened in `(depth, row, column,
        channel)` order; the flattened axis comes second for channels-first.

    Example:
    >>> import numpy as np
    >>> v = np.zeros((2, 6, 6, 6, 3), "float32")
    >>> tuple(extract_patches_3d(v, 3).shape)
    (2, 2, 2, 2, 81)
    """
    x0 = _t(volumes)
    if x0.ndim not in (4, 5):
        raise ValueError(
            "extract_patches_3d expects volumes of rank 4 (one volume) or 5 "
            f"(a batch), received shape {tuple(x0.shape)}."
        )
    fmt = _data_format(data_format)
    ksize = _tuple(size, 3, "size")
    stride = ksize if strides is None else _tuple(strides, 3, "strides")
    dil = _tuple(dilation_rate, 3, "dilation_rate")
    single = x0.ndim == 4
    x = x0.unsqueeze(0) if single else x0
    if fmt == "channels_last":
        x = x.movedim(-1, 1)  # (N, C, D, H, W)
    if padding.lower() == "same":
        x = _pad_spatial(x, _same_pads(x.shape[2:], ksize, stride, dil))
    elif padding.lower() != "valid":
        raise ValueError(f"`padding` must be 'valid' or 'same', received: {padding!r}.")
    windows = _unfold(x, ksize, stride, dil)  # (N, C, gd, gh, gw, kd, kh, kw)
    n, grid = windows.shape[0], windows.shape[2:5]
    patches = windows.permute(0, 2, 3, 4, 5, 6, 7, 1).reshape(n, *grid, -1)
    if fmt == "channels_first":
        patches = patches.movedim(-1, 1)
    return patches.squeeze(0) if single else patches


@keras_op("ReconstructPatches")
def reconstruct_patches(
    patches: ArrayLike,
    size: int | Sequence[int],
    output_size: Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Reassembles images (or volumes) from non-overlapping patches.

    The inverse of `extract_patches` when `strides == size`: a `size` of
    length 2 reads `(batch, grid_h, grid_w, ph * pw * channels)` patches, a
    `size` of length 3 reads volume patches.

    Args:
        patches: patches as `extract_patches` returns them, batched or not.
        size: the patch size used for the extraction.
        output_size: the spatial shape to rebuild: `grid * size` with
            `padding="valid"`, the original shape with `padding="same"`
            (the extraction's padding is cropped away).
        strides: must equal `size` (the default).
        padding: `"valid"` or `"same"`, as used for the extraction.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The images `(batch, *output_size, channels)` (channels first with
        `data_format="channels_first"`).

    Example:
    >>> import numpy as np
    >>> x = np.random.rand(2, 6, 4, 3).astype("float32")
    >>> p = extract_patches(x, 2)
    >>> bool((reconstruct_patches(p, 2, (6, 4)).numpy() == x).all())
    True
    """
    _check_patch_size(size)
    nd = 3 if isinstance(size, (tuple, list)) and len(size) == 3 else 2
    ksize = _tuple(size, nd, "size")
    if not isinstance(output_size, (tuple, list)) or len(output_size) != nd:
        raise ValueError(
            f"`output_size` must be a tuple of {nd} ints (the patch `size` has "
            f"{nd}), received: output_size={output_size!r}."
        )
    if strides is not None and _tuple(strides, nd, "strides") != ksize:
        raise NotImplementedError(
            "reconstruct_patches supports only non-overlapping patches "
            f"(strides == size), received strides={strides}, size={size}."
        )
    pad = padding.lower()
    if pad not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same', received: {padding!r}.")
    fmt = _data_format(data_format)
    p = _t(patches)
    if p.ndim not in (nd + 1, nd + 2):
        raise ValueError(
            f"reconstruct_patches expects {nd}-D patches of rank {nd + 1} "
            f"(unbatched) or {nd + 2} (batched), received shape {tuple(p.shape)}."
        )
    single = p.ndim == nd + 1
    p = p.unsqueeze(0) if single else p
    if fmt == "channels_first":
        p = p.movedim(1, -1)
    n, grid, flat = p.shape[0], tuple(p.shape[1:-1]), p.shape[-1]
    volume = math.prod(ksize)
    if flat % volume:
        raise ValueError(
            f"The last patch axis ({flat}) is not a multiple of the patch volume "
            f"{volume} (size={size})."
        )
    x = p.reshape(n, *grid, *ksize, flat // volume)
    # (N, g1, k1, g2, k2, ..., C): each grid axis next to its patch axis.
    order = [0, *(a for i in range(nd) for a in (1 + i, 1 + nd + i)), 1 + 2 * nd]
    full = [g * k for g, k in zip(grid, ksize)]
    x = x.permute(order).reshape(n, *full, -1)
    crop: list[slice] = []
    for f, k, o in zip(full, ksize, output_size):
        if pad == "valid" and f != o or pad == "same" and not f - k < o <= f:
            want = f"{f}" if pad == "valid" else f"in ({f - k}, {f}]"
            raise ValueError(
                f"With padding={padding!r}, each `output_size` entry must be "
                f"{want} for these patches (grid {tuple(grid)}, size "
                f"{tuple(ksize)}), received: output_size={tuple(output_size)}."
            )
        start = (f - o) // 2
        crop.append(slice(start, start + o))
    x = x[(slice(None), *crop)]
    if fmt == "channels_first":
        x = x.movedim(-1, 1)
    return x.squeeze(0) if single else x


# --------------------------------------------------------------------------
# warps driven by points and random fields


def _homography(start: Tensor, end: Tensor) -> Tensor:
    """`(N, 4, 2)` point pairs -> `(N, 8)` transforms taking each end point
    (an output pixel) to its start point (the input pixel it reads)."""
    sx, sy = start.unbind(-1)  # (N, 4)
    ex, ey = end.unbind(-1)
    one, zero = torch.ones_like(ex), torch.zeros_like(ex)
    row_x = torch.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1)
    row_y = torch.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1)
    a = torch.stack([row_x, row_y], dim=2).reshape(-1, 8, 8)
    b = torch.stack([sx, sy], dim=-1).reshape(-1, 8, 1)
    return torch.linalg.solve(a, b).reshape(-1, 8)


def _check_points(name: str, points: Tensor) -> None:
    if points.ndim not in (2, 3) or tuple(points.shape[-2:]) != (4, 2):
        raise ValueError(
            f"`{name}` must have shape (4, 2) for one image or (batch, 4, 2), "
            f"received shape {tuple(points.shape)}."
        )


@keras_op("PerspectiveTransform")
def perspective_transform(
    images: ArrayLike,
    start_points: ArrayLike,
    end_points: ArrayLike,
    interpolation: str = "bilinear",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Tensor:
    """Warps images so that `start_points` land on `end_points`.

    The homography through the four point pairs takes each output pixel to
    the input pixel it reads; pixels from outside the input take
    `fill_value`.

    Args:
        images: one image or a batch.
        start_points: `(4, 2)` or `(batch, 4, 2)` `(x, y)` corners in the input.
        end_points: where those corners go in the output, the same shape.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_value: the value outside the input.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The warped images, in the input shape and dtype.

    Example:
    >>> import numpy as np
    >>> corners = np.array([[0, 0], [7, 0], [0, 7], [7, 7]], "float32")
    >>> x = np.random.rand(8, 8, 3).astype("float32")
    >>> y = perspective_transform(x, corners, corners)
    >>> bool(np.allclose(y.numpy(), x, atol=1e-5))
    True
    """
    _check_interpolation(interpolation)
    x0 = _t(images)
    _check_rank(x0)
    # The points take the images' dtype first, as Keras does.
    start, end = _t(start_points).to(x0.dtype), _t(end_points).to(x0.dtype)
    _check_points("start_points", start)
    _check_points("end_points", end)
    _check_same_shape("start_points", start, "end_points", end)
    fmt = _data_format(data_format)
    single = x0.ndim == 3
    x = x0.unsqueeze(0) if single else x0
    if fmt == "channels_first":
        x = x.permute(0, 2, 3, 1)
    solve = torch.float64 if x.dtype == torch.float64 else torch.float32
    t = _homography(start.reshape(-1, 4, 2).to(solve), end.reshape(-1, 4, 2).to(solve))
    t = t.to(x.dtype if x.is_floating_point() else torch.float32)
    if t.shape[0] == 1:
        t = t.expand(x.shape[0], 8)
    elif t.shape[0] != x.shape[0]:
        raise ValueError(
            f"Got {t.shape[0]} sets of points for a batch of {x.shape[0]} images."
        )
    out = _warp(x, t, interpolation, "constant", fill_value)
    if fmt == "channels_first":
        out = out.permute(0, 3, 1, 2)
    return out.squeeze(0) if single else out


@keras_op("ElasticTransform")
def elastic_transform(
    images: ArrayLike,
    alpha: float = 20.0,
    sigma: float = 5.0,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    seed: Any = None,
    data_format: str | None = None,
) -> Tensor:
    """Deforms images along a smooth random displacement field.

    Each image draws a standard-normal displacement per pixel and axis
    (`x` then `y`), scaled by `sigma` and smoothed by a Gaussian of
    standard deviation `sigma` (size `int(6 * sigma) | 1`, zero padding);
    the output pixel `(x, y)` reads the input at
    `(x + alpha * dx, y + alpha * dy)`.

    Args:
        images: one image or a batch (float).
        alpha: the strength of the displacement.
        sigma: the smoothness of the displacement field.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode: `"reflect"`, `"constant"`, `"nearest"`, `"wrap"` or
            `"mirror"`.
        fill_value: the value outside the input with `"constant"`.
        seed: `None` (torch's global generator), an int or a `SeedGenerator`.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The deformed images, in the input shape and dtype.

    Example:
    >>> import numpy as np
    >>> x = np.random.rand(2, 16, 16, 3).astype("float32")
    >>> tuple(elastic_transform(x, seed=1).shape)
    (2, 16, 16, 3)
    """
    from cornu.random.seed_generator import torch_generator

    _check_interpolation(interpolation)
    if fill_mode not in _FIXERS:
        raise ValueError(
            f"`fill_mode` must be one of {sorted(_FIXERS)}, received: {fill_mode!r}."
        )
    x0 = _t(images)
    _check_rank(x0)
    fmt = _data_format(data_format)
    single = x0.ndim == 3
    x = x0.unsqueeze(0) if single else x0
    if fmt == "channels_first":
        x = x.permute(0, 2, 3, 1)
    n, h, w, _ = x.shape
    dtype = x.dtype if x.is_floating_point() else torch.float32
    sig, amp = float(sigma), float(alpha)
    gen = torch_generator(seed, x.device)
    noise = torch.stack(
        [
            torch.normal(
                0.0, 1.0, size=(n, h, w), generator=gen, dtype=dtype, device=x.device
            )
            for _ in range(2)
        ],
        dim=1,
    )  # (N, 2, H, W): dx then dy
    k = int(6 * sig) | 1
    g = _gaussian_1d(k, sig, dtype, x.device)
    kernel = torch.outer(g, g).expand(2, 1, k, k)
    dx, dy = F.conv2d(noise * sig, kernel, padding=k // 2, groups=2).unbind(1)
    ys = torch.arange(h, dtype=dtype, device=x.device)[None, :, None]
    xs = torch.arange(w, dtype=dtype, device=x.device)[None, None, :]
    out = _sample_images(
        x, ys + amp * dy, xs + amp * dx, interpolation, fill_mode, fill_value
    )
    if fmt == "channels_first":
        out = out.permute(0, 3, 1, 2)
    return out.squeeze(0) if single else out


# --------------------------------------------------------------------------
# separable resampling


def _triangle(x: Tensor) -> Tensor:
    return torch.clamp(1.0 - x, min=0.0)


def _keys_cubic(x: Tensor) -> Tensor:
    # Keys' cubic convolution kernel with a = -0.5, on |x|.
    near = (1.5 * x - 2.5) * x * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return torch.where(x < 1.0, near, torch.where(x < 2.0, far, 0.0))


def _lanczos(radius: float) -> Callable[[Tensor], Tensor]:
    def kernel(x: Tensor) -> Tensor:
        # sinc(x) * sinc(x / radius), with its limit 1 near 0.
        num = radius * torch.sin(math.pi * x) * torch.sin(math.pi * x / radius)
        safe = torch.where(x > 1e-3, math.pi**2 * x * x, 1.0)
        out = torch.where(x > 1e-3, num / safe, 1.0)
        return torch.where(x > radius, 0.0, out)

    return kernel


_RESAMPLE_KERNELS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": _triangle,
    "bilinear": _triangle,
    "trilinear": _triangle,
    "triangle": _triangle,
    "cubic": _keys_cubic,
    "bicubic": _keys_cubic,
    "tricubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}


def _resample_weights(
    in_size: int,
    out_size: int,
    scale: Tensor,
    translation: Tensor,
    kernel: Callable[[Tensor], Tensor],
    antialias: bool,
) -> Tensor:
    """`(in_size, out_size)`: how much each input sample feeds each output."""
    dtype, device = scale.dtype, scale.device
    inv = 1.0 / scale
    # Widening the kernel by 1 / scale when shrinking is the antialiasing.
    width = torch.clamp(inv, min=1.0) if antialias else torch.ones_like(inv)
    # Half-pixel centres: output pixel j sits at input (j + .5 - t) / s - .5.
    centre = torch.arange(out_size, dtype=dtype, device=device) + 0.5
    centre = centre * inv - translation * inv - 0.5
    grid = torch.arange(in_size, dtype=dtype, device=device)
    w = kernel(torch.abs(centre[None, :] - grid[:, None]) / width)
    total = w.sum(dim=0, keepdim=True)
    ok = torch.abs(total) > 1000.0 * torch.finfo(torch.float32).eps
    w = torch.where(ok, w / torch.where(total != 0, total, 1.0), 0.0)
    inside = (centre >= -0.5) & (centre <= in_size - 0.5)
    return torch.where(inside[None, :], w, 0.0)


@keras_op("ScaleAndTranslate")
def scale_and_translate(
    images: ArrayLike,
    output_shape: Sequence[int],
    scale: ArrayLike,
    translation: ArrayLike,
    spatial_dims: Sequence[int],
    method: str,
    antialias: bool = True,
) -> Tensor:
    """Resamples `images` to `output_shape` under a scale and a translation.

    Along each axis `d = spatial_dims[i]`, an input location `x` (pixel
    centres at `i + 0.5`) goes to `x * scale[i] + translation[i]` in the
    output; outputs that map outside the input are 0.

    Args:
        images: an array of any rank.
        output_shape: the full output shape (one entry per axis of `images`).
        scale: one scale per spatial axis.
        translation: one translation per spatial axis.
        spatial_dims: the axes to resample.
        method: `"linear"` (`"bilinear"`, `"trilinear"`, `"triangle"`),
            `"cubic"` (`"bicubic"`, `"tricubic"`), `"lanczos3"` or
            `"lanczos5"`.
        antialias: widen the kernel when downsampling.

    Returns:
        The resampled array of `output_shape`, in the input dtype (integers
        rounded and clipped to the input's range).

    Example:
    >>> import numpy as np
    >>> x = np.arange(9, dtype="float32").reshape(3, 3)
    >>> scale = np.array([2.0, 2.0], "float32")
    >>> y = scale_and_translate(x, (5, 5), scale, -(scale / 2 - 0.5), (0, 1), "linear")
    >>> y[0].tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0]
    """
    if method not in _RESAMPLE_KERNELS:
        raise ValueError(
            f"`method` must be one of {sorted(_RESAMPLE_KERNELS)}, received: "
            f"{method!r}."
        )
    x = _t(images)
    s, t = _t(scale), _t(translation)
    dtype = s.dtype if s.is_floating_point() else torch.float32
    if t.is_floating_point() and t.dtype != dtype:
        dtype = torch.promote_types(dtype, t.dtype)
    s, t = s.to(dtype), t.to(dtype)
    if len(output_shape) != x.ndim:
        raise ValueError(
            f"`output_shape` must give one size per axis of `images` (rank "
            f"{x.ndim}), received: output_shape={tuple(output_shape)}."
        )
    if s.numel() != len(spatial_dims) or t.numel() != len(spatial_dims):
        raise ValueError(
            "`scale` and `translation` must hold one value per entry of "
            f"`spatial_dims` ({len(spatial_dims)}), received {s.numel()} and "
            f"{t.numel()}."
        )
    out = x.float() if not x.is_floating_point() else x
    kernel = _RESAMPLE_KERNELS[method]
    s, t = s.reshape(-1), t.reshape(-1)
    for i, d in enumerate(spatial_dims):
        d = d % x.ndim
        w = _resample_weights(
            x.shape[d], int(output_shape[d]), s[i], t[i], kernel, antialias
        )
        out = torch.tensordot(out, w.to(out.dtype), dims=([d], [0])).movedim(-1, d)
    if not x.is_floating_point():
        out = torch.clamp(torch.round(out), x.min(), x.max()).to(x.dtype)
    return out


# --------------------------------------------------------------------------
# image quality


@keras_op("SSIM")
def ssim(
    image1: ArrayLike,
    image2: ArrayLike,
    max_val: float = 1.0,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_format: str | None = None,
) -> Tensor:
    """The structural similarity index of two images (or batches).

    Local means, variances and covariance come from a `filter_size`
    Gaussian window (`filter_sigma`, valid positions only); the SSIM map
    `(2 mu1 mu2 + c1)(2 s12 + c2) / ((mu1² + mu2² + c1)(s1² + s2² + c2))`,
    `c1 = (k1 max_val)²`, `c2 = (k2 max_val)²`, is averaged over the
    positions and then over the channels.

    Args:
        image1: one image or a batch.
        image2: the same shape as `image1`.
        max_val: the dynamic range of the pixels (`1.0`, or `255.0`).
        filter_size: the Gaussian window size.
        filter_sigma: its standard deviation.
        k1: the luminance stabiliser.
        k2: the contrast stabiliser.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        One value per image pair (a scalar for unbatched inputs), in the
        dtype of `image1`.

    Example:
    >>> import numpy as np
    >>> x = np.random.rand(2, 16, 16, 3).astype("float32")
    >>> [round(v, 4) for v in ssim(x, x).tolist()]
    [1.0, 1.0]
    """
    a0, b0 = _t(image1), _t(image2)
    _check_rank(a0, "image1")
    _check_rank(b0, "image2")
    _check_same_shape("image1", a0, "image2", b0)
    fmt = _data_format(data_format)
    work = a0.dtype if a0.is_floating_point() else torch.float32
    a, single = _batched_cf(a0.to(work), fmt)
    b, _ = _batched_cf(b0.to(work), fmt)
    n, c, h, w = a.shape
    g = _gaussian_1d(filter_size, float(filter_sigma), work, a.device)
    window = torch.outer(g, g)[None, None]  # (1, 1, k, k)
    # One channel per image: (N * C, 1, H, W).
    a, b = a.reshape(n * c, 1, h, w), b.reshape(n * c, 1, h, w)
    stats = F.conv2d(torch.cat([a, b, a * a, b * b, a * b]), window)
    mu1, mu2, e11, e22, e12 = stats.chunk(5)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu12 = mu1 * mu2
    num = (2.0 * mu12 + c1) * (2.0 * (e12 - mu12) + c2)
    den = (mu1 * mu1 + mu2 * mu2 + c1) * (e11 - mu1 * mu1 + e22 - mu2 * mu2 + c2)
    value = (num / den).mean(dim=(1, 2, 3)).reshape(n, c).mean(dim=1)
    value = value.squeeze(0) if single else value
    return value.to(a0.dtype)


__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "reconstruct_patches",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]
