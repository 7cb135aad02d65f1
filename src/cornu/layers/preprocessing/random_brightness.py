"""`RandomBrightness`: shifts images' brightness at random, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    FactorAndValueRange,
    KeepsBoxesAndMasks,
    per_image_shape,
)
from cornu.layers.preprocessing._image import BaseRandomImageLayer


class RandomBrightness(FactorAndValueRange, KeepsBoxesAndMasks, BaseRandomImageLayer):
    """Adds a random offset to every pixel of each image.

    Each image draws `d` uniformly from the factor's range; pixels become
    `x + d * (high - low)`, clipped to `value_range = (low, high)`.

    Args:
        factor: a number `f` in `[-1, 1]` (range `[-|f|, |f|]`) or a pair
            in `[-1, 1]`, as fractions of the value range.
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.
        training: whether to adjust (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> x = np.full((1, 1, 2, 1), 0.5, "float32")
    >>> layer = RandomBrightness((0.25, 0.25), value_range=(0.0, 1.0))
    >>> layer(x)[0, 0, :, 0].tolist()
    [0.75, 0.75]
    """

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor_and_value_range(
            "RandomBrightness", factor, value_range, (-1.0, 1.0)
        )

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        shape = per_image_shape(data)
        if not training:
            return {"rgb_delta": torch.zeros(shape)}
        low, high = self.value_range
        delta = self._uniform(shape, *self.factor, seed) * (high - low)
        return {"rgb_delta": delta}

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training:
            return images
        delta = torch.as_tensor(transformation["rgb_delta"], device=images.device)
        return (images + delta.to(images.dtype)).clamp(*self.value_range)
