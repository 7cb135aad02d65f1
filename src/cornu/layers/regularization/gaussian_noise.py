"""`GaussianNoise`: additive zero-mean Gaussian noise."""

from __future__ import annotations

from typing import Any

import torch

from cornu import random
from cornu.core.layer import Layer
from cornu.layers.regularization._noise import check_fraction, standard_normal_like


class GaussianNoise(Layer):
    """Adds noise drawn from `N(0, stddev ** 2)` to the inputs, in training only.

    Args:
        stddev: the noise's standard deviation, in `[0, 1]` (as Keras).
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
    >>> y = GaussianNoise(0.1, seed=0)(np.zeros((1000,), "float32"), training=True)
    >>> round(float(y.std()), 1)
    0.1
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = check_fraction("GaussianNoise", "stddev", stddev)
        self.seed = seed
        self.seed_generator = None if seed is None else random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.stddev == 0:
            return inputs
        return inputs + standard_normal_like(inputs, self.seed_generator) * self.stddev

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
