"""`RandomPosterization`: keeps only a few bits of each pixel, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu import config, random
from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    FactorAndValueRange,
    batch_size,
    rescale,
)


class RandomPosterization(FactorAndValueRange, BaseColorLayer):
    """Reduces each image to a random number of bits per channel.

    Pixels are mapped to `[0, 255]`, cast to 8-bit integers, and their
    `8 - bits` lowest bits cleared; each image draws `bits` as an integer
    in `[lower, upper)` (always `lower` when the two are equal).

    Args:
        factor: a number `f` in `[1, 8]` (bits drawn from `[1, f)`) or a
            pair `(lower, upper)` in `[1, 8]`.
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.
        training: whether to posterize (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Returns:
        The posterized images, in the input range.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[0.0, 100.0, 255.0]]]], "float32")
    >>> RandomPosterization((2, 2))(x).flatten().tolist()  # keep 2 bits
    [0.0, 64.0, 192.0]
    """

    _MAX_BITS = 8

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
            "RandomPosterization", factor, value_range, (1, self._MAX_BITS)
        )

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        n = batch_size(data)
        lower, upper = self.factor
        if lower != upper:
            seed = self.generator if seed is None else seed
            bits = random.randint(
                (n,), int(lower), int(upper), dtype="uint8", seed=seed
            )
        else:
            bits = torch.full(
                (n,), int(lower), dtype=torch.uint8, device=config.device()
            )
        return {"shift_factor": self._MAX_BITS - bits}

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        shift = torch.as_tensor(transformation["shift_factor"], device=images.device)
        shift = shift.to(torch.uint8).reshape(-1, 1, 1, 1)
        pixels = rescale(images, self.value_range, (0, 255)).to(torch.uint8)
        pixels = torch.bitwise_left_shift(
            torch.bitwise_right_shift(pixels, shift), shift
        )
        return rescale(pixels.to(images.dtype), (0, 255), self.value_range)
