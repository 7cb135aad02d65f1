"""`RandomInvert`: inverts some images at random, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    batch_size,
    check_value_range,
    factor_range,
)


class RandomInvert(BaseColorLayer):
    """Replaces some images `x` by `high - x`, `high` the top of the range.

    Each image draws a probability `p` from the factor's range and is
    inverted with probability `p`.

    Args:
        factor: a number `f` in `[0, 1]` (range `[0, f]`) or a pair in
            `[0, 1]` (default `1.0`).
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.
        training: whether to invert (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Returns:
        The images, some of them inverted.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[0.25]]]], "float32")
    >>> RandomInvert(0.0, value_range=(0, 1))(x).flatten().tolist()  # never
    [0.25]
    """

    def __init__(
        self,
        factor: Any = 1.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range("RandomInvert", factor, 0.0, 1.0)
        check_value_range("RandomInvert", value_range)
        self.value_range = value_range

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        n = batch_size(data)
        probability = self._uniform((n,), *self.factor, seed)
        threshold = self._uniform((n,), 0.0, 1.0, seed)
        return {"apply_inversion": threshold < probability}

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        apply = torch.as_tensor(
            transformation["apply_inversion"], device=images.device
        ).reshape(-1, 1, 1, 1)
        return torch.where(apply, self.value_range[1] - images, images)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
        }
