"""`LeakyReLU`: a ReLU with a small slope for negative inputs."""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from cornu.core.layer import Layer


class LeakyReLU(Layer):
    """Leaky rectified linear unit: `x` for `x >= 0`, `negative_slope * x` below.

    Args:
        negative_slope: the slope for negative inputs, `>= 0` (default `0.3`).

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> LeakyReLU(negative_slope=0.5)(np.array([-10.0, 5.0], "float32")).tolist()
    [-5.0, 5.0]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "LeakyReLU argument `alpha` is deprecated; use `negative_slope`.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if negative_slope is None or not negative_slope >= 0:
            raise ValueError(
                "LeakyReLU `negative_slope` must be a number >= 0, received: "
                f"negative_slope={negative_slope!r}."
            )
        self.negative_slope = negative_slope
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}
