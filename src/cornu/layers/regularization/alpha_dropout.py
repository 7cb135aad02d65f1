"""`AlphaDropout`: dropout that keeps SELU's self-normalization."""

from __future__ import annotations

from typing import Any

import torch

from cornu import random
from cornu.core.layer import Layer
from cornu.layers.regularization._noise import check_fraction
from cornu.layers.regularization.dropout import _standardize_noise_shape

# SELU's constants: dropped entries take SELU's negative saturation value.
_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946
_ALPHA_P = -_ALPHA * _SCALE


class AlphaDropout(Layer):
    """Sets a fraction `rate` of inputs to SELU's saturation value, then
    rescales so the mean and variance of the inputs are kept.

    In training: `a * (x * keep + alpha_p * (1 - keep)) + b` with
    `alpha_p = -1.7581`, `a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5`
    and `b = -a * alpha_p * rate` (Klambauer et al., 2017). Meant for
    `selu` networks. Outside training the input passes through.

    Args:
        rate: the fraction of entries to drop, in `[0, 1]`.
        noise_shape: the shape of the keep/drop mask, broadcast against the
            inputs; `None` entries take the input's size.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: the input tensor.
        training: whether to drop.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> x = np.ones((2, 3), "float32")
    >>> bool((AlphaDropout(0.5)(x) == 1).all())
    True
    """

    def __init__(
        self,
        rate: float,
        noise_shape: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rate = check_fraction("AlphaDropout", "rate", rate)
        self.noise_shape = _standardize_noise_shape(noise_shape)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed) if rate > 0 else None
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.rate == 0 or self.rate == 1:
            # Rate 1 has no finite rescaling (a = 0 ** -0.5); pass through.
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = torch.Size(
                shape[i] if d is None else d for i, d in enumerate(self.noise_shape)
            )
        draw = random.uniform(shape, dtype="float32", seed=self.seed_generator)
        keep = (draw >= self.rate).to(device=inputs.device)
        rate = self.rate
        a = ((1 - rate) * (1 + rate * _ALPHA_P**2)) ** -0.5
        b = -a * _ALPHA_P * rate
        return torch.where(keep, inputs, _ALPHA_P) * a + b

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }
