"""`AutoContrast`: stretches each image's channels to the full value range."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    check_pair_range,
    rescale,
)


class AutoContrast(BaseColorLayer):
    """Maps each channel of each image linearly so that its darkest pixel
    becomes the bottom of `value_range` and its brightest the top.

    A channel holding a single value has nothing to stretch and is kept.
    As in Keras, the layer is deterministic and applies in inference too.

    Args:
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.
        training: ignored: the layer always applies.

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Returns:
        The images with each channel spanning `value_range`.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[0.25], [0.5]]]], "float32")
    >>> AutoContrast(value_range=(0, 1))(x).flatten().tolist()
    [0.0, 1.0]
    """

    _draws = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = check_pair_range("AutoContrast", value_range)

    def call(self, inputs: Any, training: bool | None = True) -> Any:
        return self._apply_always(inputs)

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        axes = self._height_width_axes(images.dim())
        x = rescale(images, self.value_range, (0, 255))
        low = x.amin(dim=axes, keepdim=True)
        high = x.amax(dim=axes, keepdim=True)
        # A flat channel gives inf * 0 = nan here; it is then kept as it was.
        scale = 255.0 / (high - low)
        x = (x * scale - low * scale).clamp(0.0, 255.0)
        x = rescale(x, (0, 255), self.value_range)
        return torch.where(torch.isnan(x), images, x)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("seed")
        return {**config, "value_range": self.value_range}
