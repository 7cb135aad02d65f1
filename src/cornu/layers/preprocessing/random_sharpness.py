"""`RandomSharpness`: sharpens or blurs images at random, in training."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    FactorAndValueRange,
    batch_size,
)


class RandomSharpness(FactorAndValueRange, BaseColorLayer):
    """Blends each image with a smoothed copy by a random amount.

    The smoothed copy is the image filtered by the 3x3 kernel
    `[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13` (zero padding). Each image draws
    `f` from the factor's range and becomes
    `x + (1 - 2 f) * (smoothed - x)`, clipped to `value_range`: `f = 0`
    gives the smoothed image, `0.5` the original, `1` a sharpened one.

    Args:
        factor: a number `f` in `[0, 1]` (range `[0, f]`) or a pair in
            `[0, 1]`.
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.
        training: whether to adjust (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Returns:
        The images, sharpened or blurred.

    Example:
    >>> import numpy as np
    >>> x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    >>> y = RandomSharpness((0.5, 0.5))(x)  # 0.5 keeps the image
    >>> bool(np.allclose(y.numpy(), x))
    True
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
            "RandomSharpness", factor, value_range, (0.0, 1.0)
        )

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        return {"factor": self._uniform((batch_size(data),), *self.factor, seed)}

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        amount = self._tensor(transformation["factor"], images).reshape(-1, 1, 1, 1)
        x = self._as_channels_first(images)  # (b, c, h, w)
        channels = x.shape[1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = torch.tensor(
            [[a, a, a], [a, b, a], [a, a, a]], dtype=x.dtype, device=x.device
        ).expand(channels, 1, 3, 3)
        smoothed = F.conv2d(x, kernel, padding=1, groups=channels)
        smoothed = self._from_channels_first(smoothed)
        out = images + (1.0 - 2.0 * amount) * (smoothed - images)
        return out.clamp(*self.value_range)
