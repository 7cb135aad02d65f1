"""`UnitNormalization`: scales each sample to unit L2 norm."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.layer import Layer
from cornu.layers.normalization._axes import resolve_axes, standardize_axis


class UnitNormalization(Layer):
    """Divides the inputs by their L2 norm over `axis`.

    As Keras: `x * min(rsqrt(sum(x ** 2)), 1e12)`, so an all-zero vector
    stays zero instead of becoming NaN.

    Args:
        axis: the axis or list of axes to take the norm over (default `-1`).

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> UnitNormalization()(np.array([[3.0, 4.0]], "float32")).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """

    def __init__(self, axis: int | list[int] | tuple[int, ...] = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = standardize_axis("UnitNormalization", axis)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        self._axes = resolve_axes(self, self.axis, input_shape)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        square_sum = inputs.square().sum(dim=self._axes, keepdim=True)
        return inputs * torch.rsqrt(square_sum).clamp(max=1e12)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
