"""`Conv3D`: 3-d convolution over channels-last (or channels-first) inputs."""

from __future__ import annotations

from cornu.layers.convolutional.base_conv import BaseConv


class Conv3D(BaseConv):
    """3-d convolution: `activation(conv(inputs, kernel) + bias)`.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of 3 ints.
        strides: an int or a tuple of 3 ints (default 1).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: an int or a tuple of 3 ints.
        groups: the number of channel groups.
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: as for `Dense`.

    Input shape:
        `(batch, *spatial, channels)` with 3 spatial axes (channels-last).

    Output shape:
        `(batch, *new_spatial, filters)`.

    Example:
    >>> import numpy as np
    >>> Conv3D(4, 3)(np.ones((2, 8, 8, 8, 3), "float32")).shape[-1]
    4
    """

    rank = 3
