"""`Equalization`: histogram-equalizes each channel of each image."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    check_pair_range,
    check_positive_int,
)


def _linear_map(x: torch.Tensor, source: Any, target: Any) -> torch.Tensor:
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return x * scale + (target[0] - source[0] * scale)


class Equalization(BaseColorLayer):
    """Spreads each channel's values evenly over the value range.

    Working in `[0, 255]`, each channel of each image gets a histogram of
    `bins` bins; a pixel in bin `k` becomes
    `round(255 * (cdf[k] - cdf_min) / (n - cdf_min))`, where `cdf` is the
    cumulative histogram, `cdf_min` its first non-zero value and `n` the
    number of pixels. A channel holding a single bin is kept as it is.

    Args:
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        bins: the number of histogram bins (default `256`).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.
        training: whether to equalize (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Returns:
        The equalized images, in the input range.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[10.0], [10.0], [20.0], [30.0]]]], "float32")
    >>> Equalization()(x).flatten().tolist()
    [0.0, 0.0, 128.0, 255.0]
    """

    _draws = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        bins: int = 256,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.bins = check_positive_int("Equalization", "bins", bins, minimum=2)
        self.value_range = check_pair_range("Equalization", value_range)

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        bins = self.bins
        x = self._as_channels_first(images)  # (b, c, h, w)
        b, c, h, w = x.shape
        x = _linear_map(x.reshape(b, c, h * w), self.value_range, (0, 255))
        # One histogram per (image, channel): offset the bin indices so a
        # single bincount fills them all.
        index = (x * (bins - 1) / 255.0).to(torch.int32).clamp(0, bins - 1)
        offsets = torch.arange(b * c, device=x.device).reshape(b, c, 1) * bins
        hist = torch.bincount((index + offsets).flatten(), minlength=b * c * bins)
        hist = hist.reshape(b, c, bins)
        cdf = hist.cumsum(dim=-1)
        first = (hist > 0).to(torch.int8).argmax(dim=-1, keepdim=True)
        cdf_min = hist.gather(-1, first)  # (b, c, 1)
        denominator = cdf[..., -1:] - cdf_min
        denominator = torch.where(denominator == 0, 1, denominator)
        table = ((cdf - cdf_min) * 255 / denominator).round().clamp(0, 255)
        lookup = (x / 255.0 * (bins - 1)).clamp(0, bins - 1).to(torch.int64)
        equalized = table.to(x.dtype).gather(-1, lookup)
        flat = (hist > 0).sum(dim=-1, keepdim=True) <= 1
        x = torch.where(flat, x, equalized)
        x = _linear_map(x, (0, 255), self.value_range).reshape(b, c, h, w)
        return self._from_channels_first(x)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("seed")
        return {**config, "bins": self.bins, "value_range": self.value_range}
