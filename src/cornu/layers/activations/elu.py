"""`ELU`: the exponential linear unit."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.core.layer import Layer


class ELU(Layer):
    """Exponential linear unit: `x` for `x >= 0`, `alpha * (exp(x) - 1)` below.

    Args:
        alpha: the scale of the negative part (default `1.0`).

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> ELU()(np.array([0.0, 1.0], "float32")).tolist()
    [0.0, 1.0]
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}
