"""The private base of `Conv1D`, `Conv2D` and `Conv3D`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu import activations, constraints, initializers, regularizers
from cornu.core.variable import store_in_order
from cornu.layers.convolutional import conv_utils
from cornu.layers.convolutional.base_conv_layer import ConvLayer

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


class BaseConv(ConvLayer):
    """N-d convolution with Keras's arguments and kernel layout.

    The kernel is `(*kernel_size, in_channels // groups, filters)`, as in
    Keras; `call` hands torch a permuted view of it.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        n = self.rank
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(
                f"Invalid value for argument `filters`: expected a positive "
                f"integer, received {filters!r}."
            )
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError(
                f"`filters` ({filters}) must be divisible by `groups` ({groups}), "
                "a positive integer."
            )
        self.filters = filters
        self.groups = groups
        allowed = ("valid", "same", "causal") if n == 1 else ("valid", "same")
        self._set_window(
            kernel_size, strides, dilation_rate, padding, allowed, data_format
        )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` is not compatible with `dilation_rate > 1`; received "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        self._set_output(
            activation, use_bias, bias_initializer, bias_regularizer, bias_constraint
        )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f'Layer "{self.name}" has groups={self.groups}, which does not '
                f"divide the {channels} input channels (input shape {tuple(input_shape)})."
            )
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        # Held in torch's (out, in, *k) memory order: `_torch_kernel`'s view
        # is then contiguous, and gradients arrive in the kernel's own layout.
        n = self.rank
        store_in_order(self.kernel, (n + 1, n, *range(n)))
        self._add_bias(self.filters)

    def _torch_kernel(self) -> torch.Tensor:
        # (*k, in, out) -> (out, in, *k)
        n = self.rank
        return self.kernel.permute(n + 1, n, *range(n))

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._to_channels_first(inputs)
        x, pad = conv_utils.pad_for(
            x, self.padding, self.kernel_size, self.strides, self.dilation_rate
        )
        y = _CONV[self.rank](
            x,
            self._torch_kernel(),
            self.bias,
            self.strides,
            pad,
            self.dilation_rate,
            self.groups,
        )
        return self._finish(y)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return self._window_output_shape(input_shape, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
