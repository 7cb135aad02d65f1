"""The private base of the max and average pooling layers."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class BasePooling(Layer):
    """N-d max or average pooling with Keras's arguments."""

    rank = 2
    mode = "max"

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        n = self.rank
        self.pool_size = conv_utils.normalize_tuple(pool_size, n, "pool_size")
        self.strides = conv_utils.normalize_tuple(
            self.pool_size if strides is None else strides, n, "strides"
        )
        self.padding = conv_utils.normalize_padding(padding, ("valid", "same"))
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=n + 2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        channels_last = self.data_format == "channels_last"
        x = conv_utils.to_channels_first(inputs) if channels_last else inputs
        ones = (1,) * self.rank
        if self.mode == "max":
            x, pad = conv_utils.pad_for(
                x, self.padding, self.pool_size, self.strides, ones, value=float("-inf")
            )
            y = _MAX[self.rank](x, self.pool_size, self.strides, pad)
        else:
            y = self._average(x, ones)
        return conv_utils.to_channels_last(y) if channels_last else y

    def _average(self, x: torch.Tensor, ones: tuple[int, ...]) -> torch.Tensor:
        if self.padding == "valid":
            return _AVG[self.rank](x, self.pool_size, self.strides)
        padded, pad = conv_utils.pad_for(x, "same", self.pool_size, self.strides, ones)
        if padded is x:
            # Symmetric padding: torch leaves the pad out of the count.
            return _AVG[self.rank](
                x, self.pool_size, self.strides, pad, count_include_pad=False
            )
        # Asymmetric padding: window sums divided by the real entries in each.
        mask, _ = conv_utils.pad_for(
            torch.ones_like(x[:1, :1]), "same", self.pool_size, self.strides, ones
        )
        return self._window_mean_sum(padded) / self._window_mean_sum(mask)

    def _window_mean_sum(self, x: torch.Tensor) -> torch.Tensor:
        # The mean over each window times its size (a sum, up to one scale
        # shared by numerator and denominator).
        return _AVG[self.rank](x, self.pool_size, self.strides)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        axes = (
            range(1, self.rank + 1)
            if self.data_format == "channels_last"
            else range(2, self.rank + 2)
        )
        for i, axis in enumerate(axes):
            shape[axis] = conv_utils.conv_output_length(
                shape[axis], self.pool_size[i], self.padding, self.strides[i]
            )
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }
