"""`UpSampling2D`: enlarges images by integer factors."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.layers.convolutional import conv_utils
from cornu.layers.reshaping.base_spatial import BaseUpSampling

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


class UpSampling2D(BaseUpSampling):
    """Enlarges the rows and columns by `size`: repeats or interpolates.

    `"nearest"` repeats each pixel `size` times per axis; `"bilinear"` and
    `"bicubic"` interpolate with half-pixel centres (as Keras's
    `image.resize`, torch's `align_corners=False`).

    Args:
        size: an int or a tuple of 2 ints (default `(2, 2)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        interpolation: `"nearest"` (default), `"bilinear"` or `"bicubic"`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, rows, cols, channels)` (channels-last).

    Output shape:
        `(batch, rows * size[0], cols * size[1], channels)`.

    Example:
    >>> import numpy as np
    >>> tuple(UpSampling2D((2, 3))(np.ones((1, 2, 2, 1), "float32")).shape)
    (1, 4, 6, 1)
    """

    rank = 2

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(size, data_format=data_format, **kwargs)
        interpolation = str(interpolation).lower()
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D `interpolation` must be one of {_INTERPOLATIONS}, "
                f"received: interpolation={interpolation!r}."
            )
        self.interpolation = interpolation

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.interpolation == "nearest":
            return super().call(inputs)
        channels_last = self.data_format == "channels_last"
        x = conv_utils.to_channels_first(inputs) if channels_last else inputs
        h, w = x.shape[2:]
        y = F.interpolate(
            x,
            size=(h * self.size[0], w * self.size[1]),
            mode=self.interpolation,
            align_corners=False,
        )
        return conv_utils.to_channels_last(y) if channels_last else y

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "interpolation": self.interpolation}
