"""`RMSNormalization`: scales each sample by its root mean square."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.core.layer import Layer
from cornu.layers.normalization._axes import resolve_axes, standardize_axis


class RMSNormalization(Layer):
    """Root-mean-square normalization: `x * rsqrt(mean(x ** 2) + epsilon) * scale`.

    The mean is over `axis`, per sample; there is no centering. With
    `axis=-1` it is `torch.nn.RMSNorm(features, eps=epsilon)` with
    `weight = scale`. Statistics are computed in float32 at least.

    Args:
        axis: the axis or list of axes to normalize over (default `-1`).
        epsilon: added to the mean square (default `1e-6`).

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any, with known sizes on `axis`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> y = RMSNormalization()(np.array([[3.0, 4.0]], "float32"))
    >>> [round(v, 4) for v in y[0].tolist()]
    [0.8485, 1.1314]
    """

    def __init__(
        self,
        axis: int | list[int] | tuple[int, ...] = -1,
        epsilon: float = 1e-6,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.axis = standardize_axis("RMSNormalization", axis)
        self.epsilon = epsilon

    def build(self, input_shape: Any) -> None:
        axes = resolve_axes(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(
                f'Layer "{self.name}" (RMSNormalization) needs known sizes on '
                f"axis={self.axis}, received shape {tuple(input_shape)}."
            )
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        ndim = len(input_shape)
        self._axes = axes
        # torch's fused kernel normalizes over trailing axes only.
        self._fused = axes == list(range(ndim - len(axes), ndim))
        self._broadcast = [input_shape[d] if d in axes else 1 for d in range(ndim)]

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs if inputs.dtype.itemsize >= 4 else inputs.float()
        scale = self.scale.to(x.dtype)
        if self._fused:
            y = F.rms_norm(x, tuple(self.scale.shape), scale, self.epsilon)
        else:
            mean_square = x.square().mean(dim=self._axes, keepdim=True)
            y = x * torch.rsqrt(mean_square + self.epsilon)
            y = y * scale.reshape(self._broadcast)
        return y.to(inputs.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
