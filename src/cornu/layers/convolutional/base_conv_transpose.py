"""The private base of `Conv1DTranspose`, `Conv2DTranspose` and `Conv3DTranspose`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu import activations, constraints, initializers, regularizers
from cornu.layers.convolutional.base_conv_layer import ConvLayer

_CONV_T = {
    1: F.conv_transpose1d,
    2: F.conv_transpose2d,
    3: F.conv_transpose3d,
}


def transpose_crops(
    kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """(left, right) amounts cut from the full transposed convolution.

    The full output, `(in - 1) * stride + extent` long, is what torch gives
    with `padding=0`. Keras (like TensorFlow) defines the result as the
    transpose of a strided convolution with its own "same"/"valid" padding,
    which is that full output cut asymmetrically; a negative amount means
    zeros appended instead.
    """
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = (
            max(extent, stride) - extent if output_padding is None else output_padding
        )
        return 0, -extra
    if output_padding is None:
        total = stride + extent - 2
    else:
        total = extent + extent % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, extent - 1)
    return extent - 1 - left, extent - 1 - (total - left)


def transpose_output_length(
    length: int | None,
    kernel: int,
    stride: int,
    dilation: int,
    padding: str,
    output_padding: int | None,
) -> int | None:
    if length is None:
        return None
    extent = (kernel - 1) * dilation + 1
    left, right = transpose_crops(kernel, stride, dilation, padding, output_padding)
    return (length - 1) * stride + extent - left - right


class BaseConvTranspose(ConvLayer):
    """N-d transposed convolution with Keras's arguments and kernel layout.

    The kernel is `(*kernel_size, filters, in_channels)`, as in Keras; torch's
    `conv_transpose` wants `(in_channels, filters, *kernel_size)`, a permuted
    view of it.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        cls = type(self).__name__
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"{cls} `filters` must be a positive integer, received: "
                f"filters={filters!r}."
            )
        self.filters = filters
        self._set_window(
            kernel_size, strides, dilation_rate, padding, ("valid", "same"), data_format
        )
        if output_padding is None:
            self.output_padding: tuple[int, ...] | None = None
        else:
            op = (
                (output_padding,) * n
                if isinstance(output_padding, int)
                else output_padding
            )
            self.output_padding = tuple(int(v) for v in op)
            if len(self.output_padding) != n or min(self.output_padding) < 0:
                raise ValueError(
                    f"{cls} `output_padding` must be a tuple of {n} non-negative "
                    f"integers, received: output_padding={output_padding!r}."
                )
            for op_i, s in zip(self.output_padding, self.strides):
                if op_i >= s:
                    raise ValueError(
                        f"{cls} `output_padding` must be strictly less than "
                        f"`strides` on every axis, received: output_padding="
                        f"{self.output_padding}, strides={self.strides}."
                    )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: `strides > 1` is not compatible with `dilation_rate > 1`; "
                f"received strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}."
            )
        self._set_output(
            activation, use_bias, bias_initializer, bias_regularizer, bias_constraint
        )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._plan_torch_call()

    def _plan_torch_call(self) -> None:
        # Torch crops `padding` from both ends and adds `output_padding`
        # (< max(stride, dilation)) at the end; whatever of Keras's
        # asymmetric crop that leaves is sliced (a view) or zero-padded.
        self._torch_padding: list[int] = []
        self._torch_output_padding: list[int] = []
        self._residual: list[tuple[int, int]] = []
        for i in range(self.rank):
            s, d = self.strides[i], self.dilation_rate[i]
            op = None if self.output_padding is None else self.output_padding[i]
            left, right = transpose_crops(self.kernel_size[i], s, d, self.padding, op)
            p = max(min(left, right), 0)
            top = min(max(p - right, 0), max(s, d) - 1)
            self._torch_padding.append(p)
            self._torch_output_padding.append(top)
            self._residual.append((left - p, right - (p - top)))
        self._needs_residual = any(r != (0, 0) for r in self._residual)

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self._add_bias(self.filters)

    def _torch_kernel(self) -> torch.Tensor:
        # (*k, out, in) -> (in, out, *k)
        n = self.rank
        return self.kernel.permute(n + 1, n, *range(n))

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._to_channels_first(inputs)
        late_bias = self.bias is not None and self._needs_residual
        y = _CONV_T[self.rank](
            x,
            self._torch_kernel(),
            None if late_bias else self.bias,
            self.strides,
            self._torch_padding,
            self._torch_output_padding,
            1,
            self.dilation_rate,
        )
        if self._needs_residual:
            y = self._apply_residual(y)
            if late_bias:
                y = y + self.bias.reshape(-1, *(1,) * self.rank)  # type: ignore[union-attr]
        return self._finish(y)

    def _apply_residual(self, y: torch.Tensor) -> torch.Tensor:
        pads: list[int] = []
        for axis, (left, right) in enumerate(self._residual, start=2):
            if left > 0 or right > 0:
                y = y.narrow(
                    axis, max(left, 0), y.shape[axis] - max(left, 0) - max(right, 0)
                )
        for left, right in reversed(self._residual):
            pads += [max(-left, 0), max(-right, 0)]
        return F.pad(y, pads) if any(pads) else y

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        first = 1 if self.data_format == "channels_last" else 2
        for i in range(self.rank):
            op = None if self.output_padding is None else self.output_padding[i]
            shape[first + i] = transpose_output_length(
                shape[first + i],
                self.kernel_size[i],
                self.strides[i],
                self.dilation_rate[i],
                self.padding,
                op,
            )
        shape[self._channel_axis()] = self.filters
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
