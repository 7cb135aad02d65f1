"""`RandomSaturation`: scales images' colour saturation at random, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu import config
from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    FactorAndValueRange,
    batch_size,
)
from cornu.ops import image as image_ops


class RandomSaturation(FactorAndValueRange, BaseColorLayer):
    """Scales the saturation of each RGB image by a random factor.

    Each image draws `f` from the factor's range; in HSV space its
    saturation is multiplied by `f / (1 - f)` (so `0.5` keeps the image,
    `0` makes it grey, values near `1` saturate it fully) and clipped to
    `value_range`, then the image goes back to RGB.

    Args:
        factor: a number `f` in `[-1, 1]` (range `[-|f|, |f|]`) or a pair
            in `[-1, 1]`; draws at or below `0` give grey images.
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: one image `(h, w, 3)` or a batch `(b, h, w, 3)`.
        training: whether to adjust (default `True`, as Keras).

    Input shape:
        `(batch, height, width, 3)` or `(height, width, 3)`.

    Output shape:
        The input shape.

    Returns:
        The images with their saturation scaled.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[200.0, 100.0, 50.0]]]], "float32")
    >>> y = RandomSaturation((0.5, 0.5))(x)  # factor 0.5 keeps the image
    >>> [round(v) for v in y[0, 0, 0].tolist()]
    [200, 100, 50]
    """

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor_and_value_range(
            "RandomSaturation", factor, value_range, (-1.0, 1.0)
        )

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        f = self._uniform((batch_size(data),), *self.factor, seed)
        return {"factor": f / (1.0 - f + config.epsilon())}

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        scale = self._tensor(transformation["factor"], images).reshape(-1, 1, 1)
        hue, sat, val = image_ops.rgb_to_hsv(images, self.data_format).unbind(
            self._channel_axis
        )
        sat = (sat * scale).clamp(*self.value_range)
        hsv = torch.stack([hue, sat, val], dim=self._channel_axis)
        return image_ops.hsv_to_rgb(hsv, self.data_format)
