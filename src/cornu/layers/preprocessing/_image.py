"""The private bases of the image preprocessing layers."""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch

from cornu import random
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def check_choice(layer: str, name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(
            f"{layer} `{name}` must be one of {allowed}, received: {name}={value!r}."
        )
    return value


def symmetric_factor(
    layer: str, name: str, factor: Any, low: float = -1.0, high: float = 1.0
) -> tuple[float, float]:
    """`f` -> `(-|f|, |f|)`; a pair is sorted. Values must lie in `[low, high]`."""
    if isinstance(factor, (tuple, list)) and len(factor) == 2:
        values = sorted(float(f) for f in factor)
    elif isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        values = [-abs(float(factor)), abs(float(factor))]
    else:
        values = []
    if len(values) != 2 or values[0] < low or values[1] > high:
        raise ValueError(
            f"{layer} `{name}` must be a number or a pair of numbers in "
            f"[{low}, {high}], received: {name}={factor!r}."
        )
    return values[0], values[1]


class BaseImageLayer(Layer):
    """Holds the data format; accepts one image (rank 3) or a batch (rank 4)."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)
        # Images may arrive as integers (uint8); `_images` casts them.
        self.autocast = False

    def _images(self, inputs: Any) -> torch.Tensor:
        """The inputs as a tensor in the compute dtype, checked to be images."""
        x = torch.as_tensor(inputs)
        if x.dim() not in (3, 4):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects images of '
                f"rank 3 (one image) or 4 (a batch), received shape {tuple(x.shape)}."
            )
        want = self._compute_torch_dtype
        return x if x.dtype is want else x.to(want)

    def _height_width_axes(self, ndim: int) -> tuple[int, int]:
        if self.data_format == "channels_last":
            return ndim - 3, ndim - 2
        return ndim - 2, ndim - 1

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class BaseRandomImageLayer(BaseImageLayer):
    """An augmentation: draws a transformation, then applies it.

    As in Keras, `training` defaults to `True`: the layer augments when
    called directly and in `fit`, and passes images through (cast to the
    compute dtype) in `predict`/`evaluate` or with `training=False`.
    `get_random_transformation` returns the same dictionaries as Keras's, so
    `transform_images` can be checked against Keras on one draw.
    """

    def __init__(
        self, seed: int | None = None, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def call(self, inputs: Any, training: bool | None = True) -> torch.Tensor:
        images = self._images(inputs)
        if training is False:
            return images
        transformation = self.get_random_transformation(images, training=True)
        return self.transform_images(images, transformation, training=True)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        raise NotImplementedError

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        raise NotImplementedError

    def _uniform(self, shape: tuple[int, ...], low: float, high: float, seed: Any):
        draw = random.uniform(
            shape,
            minval=low,
            maxval=high,
            seed=self.generator if seed is None else seed,
        )
        return draw

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


def rotation_transforms(angle: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """`(batch, 8)` projective transforms rotating by `angle` degrees about
    the image centre (output pixel -> input pixel, Keras's convention)."""
    theta = angle * (math.pi / 180.0)
    cos, sin = torch.cos(theta), torch.sin(theta)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    zeros = torch.zeros_like(theta)
    return torch.stack(
        [
            cos,
            -sin,
            cx - cx * cos + cy * sin,
            sin,
            cos,
            cy - cx * sin - cy * cos,
            zeros,
            zeros,
        ],
        dim=1,
    )


def zoom_transforms(
    width_zoom: torch.Tensor, height_zoom: torch.Tensor, height: int, width: int
) -> torch.Tensor:
    """`(batch, 8)` transforms scaling about the centre: an output pixel
    reads the input at `zoom` times its offset from the centre."""
    zx, zy = width_zoom.reshape(-1), height_zoom.reshape(-1)
    zeros = torch.zeros_like(zx)
    x_offset = (width - 1) / 2.0 * (1.0 - zx)
    y_offset = (height - 1) / 2.0 * (1.0 - zy)
    return torch.stack([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], dim=1)
