"""Image files and arrays: `load_img`, `img_to_array`, `array_to_img`,
`save_img`, on Pillow (install it with `pip install pillow`)."""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from cornu import config

_PIL_INTERPOLATION = {
    "nearest": "NEAREST",
    "bilinear": "BILINEAR",
    "bicubic": "BICUBIC",
    "hamming": "HAMMING",
    "box": "BOX",
    "lanczos": "LANCZOS",
}


def require_pil() -> Any:
    """Returns `PIL.Image`, or raises an ImportError naming what to install."""
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Loading and saving images requires Pillow: `pip install pillow` "
            "(or `pip install cornu[image]`)."
        ) from e
    return Image


def _data_format(data_format: str | None) -> str:
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            '`data_format` must be "channels_first" or "channels_last", '
            f"received: {data_format!r}."
        )
    return data_format


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None
) -> Any:
    """Converts a 3D array (height, width, channels) to a PIL image.

    Args:
        x: a numpy array or tensor of rank 3 with 1, 3 or 4 channels.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        scale: whether to rescale the values to `[0, 255]`.
        dtype: the dtype the array is converted to first (defaults to floatx).

    Returns:
        A `PIL.Image.Image`.

    Example:

    >>> img = array_to_img(np.zeros((4, 5, 3)))
    >>> img.size
    (5, 4)
    """
    image = require_pil()
    data_format = _data_format(data_format)
    x = np.asarray(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(
            "Expected image array to have rank 3 (single image). "
            f"Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x = x / x_max
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> Any:
    """Converts a PIL image to a 3D numpy array.

    Args:
        img: a PIL image.
        data_format: `"channels_last"` (height, width, channels) or
            `"channels_first"`; defaults to `keras.config.image_data_format()`.
        dtype: the array's dtype (defaults to floatx).

    Returns:
        A rank-3 numpy array.

    Example:

    >>> img = array_to_img(np.zeros((4, 5, 3)))
    >>> img_to_array(img).shape
    (4, 5, 3)
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    return x


def save_img(
    path: str | os.PathLike | Any,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Saves an image stored as an array to a path or file object.

    Args:
        path: a path or a writable file object.
        x: the image array (rank 3).
        data_format: the layout of `x`.
        file_format: the format (`"png"`, `"jpeg"`, ...); inferred from the
            extension when omitted.
        scale: whether to rescale the values to `[0, 255]`.
        **kwargs: passed to `PIL.Image.save`.

    Example:

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> save_img(path, np.ones((2, 2, 3)))
    >>> load_img(path).size
    (2, 2)
    """
    data_format = _data_format(data_format)
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(
    path: str | os.PathLike | io.BytesIO,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Loads an image file as a PIL image.

    Args:
        path: a path or a `BytesIO`.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`.
        target_size: `None` (original size) or `(height, width)`.
        interpolation: the resampling for `target_size`: `"nearest"`,
            `"bilinear"`, `"bicubic"`, `"lanczos"`, `"box"` or `"hamming"`.
        keep_aspect_ratio: crop the centre to the target aspect ratio before
            resizing, instead of distorting the image.

    Returns:
        A `PIL.Image.Image`.

    Example:

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> save_img(path, np.ones((6, 4, 3)))
    >>> load_img(path, color_mode="grayscale", target_size=(3, 2)).size
    (2, 3)
    """
    image = require_pil()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(
            f"path should be a path or a BytesIO, received: {type(path).__name__}"
        )
    modes = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}
    if color_mode not in modes:
        raise ValueError(
            '`color_mode` must be "grayscale", "rgb" or "rgba", '
            f"received: {color_mode!r}."
        )
    if img.mode not in modes[color_mode]:
        img = img.convert(modes[color_mode][0])
    if target_size is not None:
        width_height = (int(target_size[1]), int(target_size[0]))
        if img.size != width_height:
            if interpolation not in _PIL_INTERPOLATION:
                raise ValueError(
                    f"Invalid interpolation method {interpolation!r}. Supported "
                    f"methods are {', '.join(_PIL_INTERPOLATION)}."
                )
            resample = getattr(image.Resampling, _PIL_INTERPOLATION[interpolation])
            if keep_aspect_ratio:
                width, height = img.size
                target_w, target_h = width_height
                crop_h = min(height, (width * target_h) // target_w)
                crop_w = min(width, (height * target_w) // target_h)
                left = (width - crop_w) // 2
                top = (height - crop_h) // 2
                img = img.crop((left, top, left + crop_w, top + crop_h))
            img = img.resize(width_height, resample)
    return img
