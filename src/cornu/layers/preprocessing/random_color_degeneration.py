"""`RandomColorDegeneration`: fades images toward grey at random, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    batch_size,
    check_pair_range,
    factor_range,
)
from cornu.ops import image as image_ops


class RandomColorDegeneration(BaseColorLayer):
    """Blends each RGB image with its greyscale version by a random amount.

    Each image draws `f` from the factor's range and becomes
    `x + f * (grey - x)`, clipped to `value_range`: `0` keeps the colours,
    `1` gives the grey image, negative draws push the colours apart.

    Args:
        factor: a number `f` in `[-1, 1]` (range `[-|f|, |f|]`) or a pair
            in `[-1, 1]`.
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
        The images with their colours faded or boosted.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[100.0, 50.0, 0.0]]]], "float32")
    >>> y = RandomColorDegeneration((1.0, 1.0))(x)  # fully grey
    >>> [round(v, 2) for v in y[0, 0, 0].tolist()]
    [59.24, 59.24, 59.24]
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
        self.factor = factor_range("RandomColorDegeneration", factor, -1.0, 1.0)
        self.value_range = check_pair_range("RandomColorDegeneration", value_range)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        shape = (batch_size(data), 1, 1, 1)
        return {"factor": self._uniform(shape, *self.factor, seed)}

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        amount = self._tensor(transformation["factor"], images).reshape(-1, 1, 1, 1)
        grey = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return (images + amount * (grey - images)).clamp(*self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }
