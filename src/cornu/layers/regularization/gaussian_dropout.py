"""`GaussianDropout`: multiplicative Gaussian noise centred on 1."""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu import random
from cornu.core.layer import Layer
from cornu.layers.regularization._noise import check_fraction, standard_normal_like


class GaussianDropout(Layer):
    """Multiplies the inputs by noise drawn from `N(1, rate / (1 - rate))`.

    That variance matches the one of `Dropout(rate)`'s mask, without zeros.
    Only in training; otherwise the input passes through.

    Args:
        rate: the drop probability the noise imitates, in `[0, 1]`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: the input tensor.
        training: whether to add noise.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> x = np.ones((2, 3), "float32")
    >>> bool((GaussianDropout(0.5)(x) == 1).all())
    True
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_fraction("GaussianDropout", "rate", rate)
        self.seed = seed
        self._stddev = math.sqrt(rate / (1.0 - rate)) if rate < 1 else math.inf
        self.seed_generator = None if seed is None else random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.rate == 0:
            return inputs
        noise = standard_normal_like(inputs, self.seed_generator)
        return inputs * (noise * self._stddev + 1.0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
