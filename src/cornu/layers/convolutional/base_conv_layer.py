"""What the convolution bases share (`BaseConv`, `BaseConvTranspose`,
`BaseDepthwiseConv` and through it `BaseSeparableConv`)."""

from __future__ import annotations

from typing import Any

import torch

from cornu import activations, constraints, initializers, regularizers
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils


class ConvLayer(Layer):
    """A layer sliding kernels over `rank` spatial axes.

    Holds the window (`kernel_size`, `strides`, `dilation_rate`, `padding`),
    the data format, the activation and the bias with its initializer,
    regularizer and constraint; subclasses create and apply their kernels.
    """

    rank = 2

    def _set_window(
        self,
        kernel_size: Any,
        strides: Any,
        dilation_rate: Any,
        padding: str,
        allowed_padding: tuple[str, ...],
        data_format: str | None,
    ) -> None:
        n = self.rank
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, n, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, n, "strides")
        self.dilation_rate = conv_utils.normalize_tuple(
            dilation_rate, n, "dilation_rate"
        )
        self.padding = conv_utils.normalize_padding(padding, allowed_padding)
        self.data_format = conv_utils.normalize_data_format(data_format)

    def _set_output(
        self,
        activation: Any,
        use_bias: bool,
        bias_initializer: Any,
        bias_regularizer: Any,
        bias_constraint: Any,
    ) -> None:
        """The activation and the bias's arguments; the bias is made in `build`."""
        self.activation = activations.get(activation)
        self._act = None if self.activation is activations.linear else self.activation
        self.use_bias = use_bias
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=self.rank + 2)
        self.bias: torch.Tensor | None = None

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape: Any) -> int:
        """The input's channel count, which from now on every input must have."""
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

    def _add_bias(self, size: int) -> None:
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(size,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def _to_channels_first(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.data_format == "channels_last":
            return conv_utils.to_channels_first(inputs)
        return inputs

    def _finish(self, y: torch.Tensor) -> torch.Tensor:
        """The activation, then the layer's data format, on a channels-first `y`."""
        if self._act is not None:
            y = self._act(y)
        if self.data_format == "channels_last":
            return conv_utils.to_channels_last(y)
        return y

    def _window_output_shape(self, input_shape: Any, channels: Any) -> tuple:
        """`input_shape` after the window slides, with `channels` channels."""
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
        shape[self._channel_axis()] = channels
        return tuple(shape)
