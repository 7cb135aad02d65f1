"""`image_dataset_from_directory`: a torch `DataLoader` of image batches."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.utils import dataset_utils
from cornu.utils.image_utils import require_pil

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)
_MODES = {"rgb": ("RGB", 3), "rgba": ("RGBA", 4), "grayscale": ("L", 1)}


def load_image(
    path: str,
    image_size: tuple[int, int],
    color_mode: str,
    interpolation: str,
    crop_to_aspect_ratio: bool,
    pad_to_aspect_ratio: bool,
    data_format: str,
) -> torch.Tensor:
    """Decodes one image file into a float32 tensor of `image_size` (values
    in `[0, 255]`), laid out as `data_format` says. Runs in loader workers."""
    from cornu.ops.image import resize

    image = require_pil()
    with image.open(path) as img:
        img.seek(0)  # the first frame of an animated GIF, as Keras decodes it
        pixels = np.asarray(img.convert(_MODES[color_mode][0]), dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    x = torch.from_numpy(pixels.astype(np.float32))  # (H, W, C)
    if interpolation == "area":
        x = _area_resize(x, image_size, crop_to_aspect_ratio)
    else:
        x = resize(
            x,
            image_size,
            interpolation=interpolation,
            crop_to_aspect_ratio=crop_to_aspect_ratio,
            pad_to_aspect_ratio=pad_to_aspect_ratio,
            data_format="channels_last",
        )
    if data_format == "channels_first":
        x = x.permute(2, 0, 1)
    return x.contiguous()


def _area_resize(x: torch.Tensor, size: tuple[int, int], crop: bool) -> torch.Tensor:
    if crop:
        h, w = x.shape[:2]
        target = size[0] / size[1]
        crop_h = min(h, round(w * target))
        crop_w = min(w, round(h / target))
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        x = x[top : top + crop_h, left : left + crop_w]
    y = torch.nn.functional.interpolate(
        x.permute(2, 0, 1)[None], size=tuple(size), mode="area"
    )
    return y[0].permute(1, 2, 0)


def image_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: int | tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    format: str = "torch",
    verbose: bool = True,
    num_workers: int = 0,
) -> Any:
    """Generates a dataset of image batches from a directory of image files.

    With `labels="inferred"`, `directory` holds one subdirectory per class
    (`directory/cats/*.jpg`, `directory/dogs/*.jpg`); files in a class's
    subdirectories belong to it too. Supported formats: bmp, gif (first
    frame), jpeg, png.

    Args:
        directory: the root directory.
        labels: `"inferred"`, `None` (images only), or a list of integer
            labels, one per file in the sorted order of the file paths.
        label_mode: `"int"` (int32 labels), `"categorical"` (float32
            one-hot), `"binary"` (float32 of shape `(batch, 1)`, for exactly
            2 classes), or `None` (no labels).
        class_names: with `labels="inferred"`, the subdirectories to use, in
            the order of their class indices (default: all, sorted).
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` (1, 3 or 4 channels).
        batch_size: the batch size; `None` yields single samples.
        image_size: `(height, width)` (or an int) every image is resized to.
        shuffle: whether to shuffle the files (and reshuffle each epoch).
        seed: the shuffling seed; required with `validation_split` and
            `shuffle`. The same seed gives Keras's split of the same files.
        validation_split: the fraction of the files kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (returns a tuple
            `(train_ds, val_ds)`); only with `validation_split`.
        interpolation: the resize method: `"bilinear"`, `"nearest"`,
            `"bicubic"` or `"area"`.
        follow_links: whether to follow symbolic links to subdirectories.
        crop_to_aspect_ratio: crop the centre to the target aspect ratio
            instead of distorting the image.
        pad_to_aspect_ratio: pad to the target aspect ratio instead.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        format: `"torch"`, the only format cornu provides.
        verbose: whether to print how many files and classes were found.
        num_workers: worker processes that decode the images (0: in the
            training process).

    Returns:
        A `DirectoryDataLoader` (a `torch.utils.data.DataLoader`) yielding
        `(images, labels)` batches of float32 tensors of shape
        `(batch, height, width, channels)` and labels encoded per
        `label_mode`, or images alone when there are no labels; it has
        `class_names` and `file_paths`. With `subset="both"`, a tuple of two.

    Example:

    >>> import os, tempfile
    >>> import numpy as np
    >>> from cornu.utils import save_img
    >>> root = tempfile.mkdtemp()
    >>> for name in ("cat", "dog"):
    ...     os.makedirs(os.path.join(root, name))
    ...     save_img(os.path.join(root, name, "a.png"), np.ones((8, 8, 3)))
    >>> ds = image_dataset_from_directory(root, image_size=(4, 4), batch_size=2)
    Found 2 files belonging to 2 classes.
    >>> ds.class_names
    ['cat', 'dog']
    >>> images, labels = next(iter(ds))
    >>> tuple(images.shape), labels.dtype
    ((2, 4, 4, 3), torch.int32)
    """
    labels, label_mode = dataset_utils.check_label_args(
        labels, label_mode, class_names, "images"
    )
    if color_mode not in _MODES:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            "Invalid `image_size` value. Expected a tuple of 2 integers. "
            f"Received: image_size={image_size}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation}"
        )
    if interpolation not in ("bilinear", "nearest", "bicubic", "area"):
        raise ValueError(
            f"interpolation={interpolation!r} is not available in cornu; use "
            '"bilinear", "nearest", "bicubic" or "area".'
        )
    dataset_utils.check_format(format, grain=True)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    data_format = data_format or config.image_data_format()
    require_pil()
    load = functools.partial(
        load_image,
        image_size=(int(image_size[0]), int(image_size[1])),
        color_mode=color_mode,
        interpolation=interpolation,
        crop_to_aspect_ratio=crop_to_aspect_ratio,
        pad_to_aspect_ratio=pad_to_aspect_ratio,
        data_format=data_format,
    )

    return dataset_utils.directory_dataset(
        directory,
        labels,
        label_mode,
        class_names,
        ALLOWLIST_FORMATS,
        "images",
        load,
        batch_size,
        shuffle,
        seed,
        validation_split,
        subset,
        follow_links,
        verbose,
        num_workers,
        format=format,
    )
