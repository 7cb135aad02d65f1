"""The private base of `DepthwiseConv1D` and `DepthwiseConv2D`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu import activations, constraints, initializers, regularizers
from cornu.layers.convolutional import conv_utils
from cornu.layers.convolutional.base_conv_layer import ConvLayer

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def check_positive_int(layer: str, name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"{layer} `{name}` must be a positive integer, received: {name}={value!r}."
        )
    return value


def depthwise_torch_kernel(kernel: torch.Tensor, rank: int) -> torch.Tensor:
    """Keras `(*k, in, mult)` -> torch grouped `(in * mult, 1, *k)`, a view.

    Output channel `c * mult + m` filters input channel `c` with
    `kernel[..., c, m]`, the order of both Keras and torch's `groups=in`.
    """
    flat = kernel.reshape(*kernel.shape[:rank], -1, 1)  # (*k, in*mult, 1)
    return flat.permute(rank, rank + 1, *range(rank))


class BaseDepthwiseConv(ConvLayer):
    """N-d depthwise convolution: each input channel filtered on its own.

    The kernel is `(*kernel_size, in_channels, depth_multiplier)`, as in
    Keras; the output has `in_channels * depth_multiplier` channels.
    """

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = check_positive_int(
            type(self).__name__, "depth_multiplier", depth_multiplier
        )
        self._set_window(
            kernel_size, strides, dilation_rate, padding, ("valid", "same"), data_format
        )
        self._set_output(
            activation, use_bias, bias_initializer, bias_regularizer, bias_constraint
        )
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="kernel",
        )
        self._add_bias(channels * self.depth_multiplier)

    def _depthwise(
        self, x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        """The grouped convolution on channels-first `x`, Keras's padding."""
        x, pad = conv_utils.pad_for(
            x, self.padding, self.kernel_size, self.strides, self.dilation_rate
        )
        return _CONV[self.rank](
            x,
            depthwise_torch_kernel(kernel, self.rank),
            bias,
            self.strides,
            pad,
            self.dilation_rate,
            x.shape[1],
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._to_channels_first(inputs)
        return self._finish(self._depthwise(x, self.kernel, self.bias))

    def _output_channels(self, channels: int | None) -> int | None:
        return None if channels is None else channels * self.depth_multiplier

    def compute_output_shape(self, input_shape: Any) -> tuple:
        channels = input_shape[self._channel_axis()]
        return self._window_output_shape(input_shape, self._output_channels(channels))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
