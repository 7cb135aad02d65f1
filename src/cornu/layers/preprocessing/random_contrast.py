"""`RandomContrast`: scales images' contrast by a random factor, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    FactorAndValueRange,
    KeepsBoxesAndMasks,
    per_image_shape,
)
from cornu.layers.preprocessing._image import BaseRandomImageLayer


class RandomContrast(FactorAndValueRange, KeepsBoxesAndMasks, BaseRandomImageLayer):
    """Scales each image's deviation from its per-channel mean.

    Each image draws `c` uniformly from `[1 - lower, 1 + upper]`; a pixel
    becomes `(x - mean) * c + mean` (the mean over height and width), clipped
    to `value_range`.

    Args:
        factor: a number `f` in `[0, 1]` (range `[1 - f, 1 + f]`) or a pair
            `(lower, upper)` in `[0, 1]`.
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
    >>> flat = np.full((1, 2, 2, 1), 7.0, "float32")  # no contrast to scale
    >>> RandomContrast(0.5, seed=0)(flat).flatten().tolist()
    [7.0, 7.0, 7.0, 7.0]
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
        self._range = self._set_factor_and_value_range(
            "RandomContrast", factor, value_range, (0.0, 1.0), keep_given_range=True
        )

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        shape = per_image_shape(data)
        if not training:
            return {"contrast_factor": torch.ones(shape)}
        lower, upper = self.factor
        factor = self._uniform(shape, 1.0 - lower, 1.0 + upper, seed)
        return {"contrast_factor": factor}

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training:
            return images
        factor = torch.as_tensor(
            transformation["contrast_factor"], device=images.device
        ).to(images.dtype)
        h_axis, w_axis = self._height_width_axes(images.dim())
        mean = images.mean(dim=(h_axis, w_axis), keepdim=True)
        return ((images - mean) * factor + mean).clamp(*self._range)
