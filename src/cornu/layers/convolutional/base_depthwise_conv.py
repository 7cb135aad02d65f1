"""The private base of `DepthwiseConv1D` and `DepthwiseConv2D`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu import activations, constraints, initializers, regularizers
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils

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


class BaseDepthwiseConv(Layer):
    """N-d depthwise convolution: each input channel filtered on its own.

    The kernel is `(*kernel_size, in_channels, depth_multiplier)`, as in
    Keras; the output has `in_channels * depth_multiplier` channels.
    """

    rank = 2

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
        n = self.rank
        self.depth_multiplier = check_positive_int(
            type(self).__name__, "depth_multiplier", depth_multiplier
        )
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, n, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, n, "strides")
        self.dilation_rate = conv_utils.normalize_tuple(
            dilation_rate, n, "dilation_rate"
        )
        self.padding = conv_utils.normalize_padding(padding, ("valid", "same"))
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.activation = activations.get(activation)
        self._act = None if self.activation is activations.linear else self.activation
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=n + 2)
        self.bias: torch.Tensor | None = None

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape: Any) -> int:
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) needs a known channel '
                f"dimension; received input shape {tuple(input_shape)}."
            )
        self.input_spec = InputSpec(
            min_ndim=self.rank + 2, axes={self._channel_axis(): channels}
        )
        return int(channels)

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

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
        channels_last = self.data_format == "channels_last"
        x = conv_utils.to_channels_first(inputs) if channels_last else inputs
        y = self._depthwise(x, self.kernel, self.bias)
        if self._act is not None:
            y = self._act(y)
        return conv_utils.to_channels_last(y) if channels_last else y

    def _output_channels(self, channels: int | None) -> int | None:
        return None if channels is None else channels * self.depth_multiplier

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        first = 1 if self.data_format == "channels_last" else 2
        for i in range(self.rank):
            shape[first + i] = conv_utils.conv_output_length(
                shape[first + i],
                self.kernel_size[i],
                self.padding,
                self.strides[i],
                self.dilation_rate[i],
            )
        axis = self._channel_axis()
        shape[axis] = self._output_channels(shape[axis])
        return tuple(shape)

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
