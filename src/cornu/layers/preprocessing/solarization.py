"""`Solarization`: inverts pixels above a random threshold, in training."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    check_pair_range,
    rescale,
)


def _solarization_factor(name: str, factor: Any) -> tuple[float, float]:
    """`f` -> `(0, f)`; a pair is sorted. Values must lie in `[0, 1]`."""
    pair = isinstance(factor, (tuple, list))
    values = list(factor) if pair else [factor]
    if (pair and len(values) != 2) or not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= float(v) <= 1
        for v in values
    ):
        raise ValueError(
            f"Solarization `{name}` must be a number or a pair of numbers in "
            f"[0, 1], received: {name}={factor!r}."
        )
    if not pair:
        return 0, factor
    lower, upper = sorted(values)
    return lower, upper


class Solarization(BaseColorLayer):
    """Adds a random offset, then inverts pixels at or above a random threshold.

    Working in `[0, 255]`, each image draws an addition `a` and a threshold
    `t`; a pixel becomes `y = clip(x + a, 0, 255)`, then `255 - y` where
    `y >= t`. The bounds of the draws are `(lower, upper * 255)` for each
    factor, as Keras draws them. With the defaults (`t = 0`) every pixel is
    inverted.

    Args:
        addition_factor: a number `f` in `[0, 1]` (range `[0, f]`) or a
            pair in `[0, 1]` (default `0.0`).
        threshold_factor: the same for the threshold (default `0.0`).
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.
        training: whether to solarize (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Returns:
        The solarized images, in the input range.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[0.0, 100.0, 255.0]]]], "float32")
    >>> Solarization()(x).flatten().tolist()
    [255.0, 155.0, 0.0]
    """

    def __init__(
        self,
        addition_factor: Any = 0.0,
        threshold_factor: Any = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.addition_factor = _solarization_factor("addition_factor", addition_factor)
        self.threshold_factor = _solarization_factor(
            "threshold_factor", threshold_factor
        )
        self.value_range = check_pair_range("Solarization", value_range)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = (images.shape[0], 1, 1, 1) if len(images.shape) == 4 else (1, 1, 1)
        (a0, a1), (t0, t1) = self.addition_factor, self.threshold_factor
        return {
            "additions": self._uniform(shape, a0, a1 * 255, seed),
            "thresholds": self._uniform(shape, t0, t1 * 255, seed),
        }

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        additions = self._tensor(transformation["additions"], images)
        thresholds = self._tensor(transformation["thresholds"], images)
        x = rescale(images, self.value_range, (0, 255))
        x = (x + additions).clamp(0.0, 255.0)
        x = torch.where(x < thresholds, x, 255.0 - x)
        return rescale(x, (0, 255), self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
        }
