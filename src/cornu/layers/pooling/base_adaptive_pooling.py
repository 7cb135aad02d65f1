"""The private base of the adaptive max and average pooling layers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils

_AVG = {
    1: F.adaptive_avg_pool1d,
    2: F.adaptive_avg_pool2d,
    3: F.adaptive_avg_pool3d,
}
_MAX = {
    1: F.adaptive_max_pool1d,
    2: F.adaptive_max_pool2d,
    3: F.adaptive_max_pool3d,
}


class BaseAdaptivePooling(Layer):
    """Pools each spatial axis into a fixed number of bins.

    Bin `i` of an axis of length `L` pooled to `n` covers
    `[floor(i * L / n), ceil((i + 1) * L / n))`, torch's (and Keras's)
    convention, so bins may overlap when `n` does not divide `L`.
    """

    rank = 2
    mode = "average"

    def __init__(
        self, output_size: Any, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.output_size = conv_utils.normalize_tuple(
            output_size, self.rank, "output_size"
        )
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._pool: Callable[..., torch.Tensor] = (
            _AVG if self.mode == "average" else _MAX
        )[self.rank]

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        channels_last = self.data_format == "channels_last"
        x = conv_utils.to_channels_first(inputs) if channels_last else inputs
        y = self._pool(x, self.output_size)
        return conv_utils.to_channels_last(y) if channels_last else y

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }
