"""`RandomHue`: rotates images' hue by a random amount, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    FactorAndValueRange,
    batch_size,
    rescale,
)
from cornu.ops import image as image_ops


class RandomHue(FactorAndValueRange, BaseColorLayer):
    """Shifts the hue of each RGB image by a random amount.

    Each image draws `f` from the factor's range and a random sign; in HSV
    space its hue (in `[0, 1]`) moves by `±f / 2`, wrapping around, and the
    result goes back to RGB, clipped to `value_range`.

    Args:
        factor: a number `f` in `[0, 1]` (range `[0, f]`) or a pair in
            `[0, 1]`; `1` allows half a turn of the colour wheel each way.
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
        The images with their hue shifted.

    Example:
    >>> import numpy as np
    >>> grey = np.full((1, 2, 2, 3), 0.5, "float32")  # no hue to turn
    >>> RandomHue(0.5, value_range=(0, 1), seed=0)(grey)[0, 0, 0].tolist()
    [0.5, 0.5, 0.5]
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
            "RandomHue", factor, value_range, (0.0, 1.0), keep_given_range=True
        )

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        n = batch_size(data)
        # The sign first, then the size, as Keras draws them.
        sign = torch.where(self._uniform((n,), 0.0, 1.0, seed) > 0.5, -1.0, 1.0)
        amount = self._uniform((n,), *self.factor, seed)
        return {"factor": sign * amount * 0.5}

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        shift = self._tensor(transformation["factor"], images).reshape(-1, 1, 1)
        x = rescale(images, self.value_range, (0, 1))
        hue, sat, val = image_ops.rgb_to_hsv(x, self.data_format).unbind(
            self._channel_axis
        )
        hue = hue + shift
        hue = torch.where(hue > 1.0, hue - 1.0, hue)
        hue = torch.where(hue < 0.0, hue + 1.0, hue)
        hsv = torch.stack([hue, sat, val], dim=self._channel_axis)
        x = image_ops.hsv_to_rgb(hsv, self.data_format).clamp(0.0, 1.0)
        return rescale(x, (0, 1), self.value_range)
