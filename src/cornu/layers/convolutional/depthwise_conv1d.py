"""`DepthwiseConv1D`: 1-d depthwise convolution."""

from __future__ import annotations

from cornu.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-d depthwise convolution: each input channel is filtered on its own.

    Every input channel gets `depth_multiplier` filters of its own, so the
    output has `in_channels * depth_multiplier` channels (torch's
    `Conv1d(groups=in_channels)`). The kernel has Keras's layout
    `(*kernel_size, in_channels, depth_multiplier)`.

    Args:
        kernel_size: an int or a tuple of 1 ints.
        strides: an int or a tuple of 1 ints (default 1).
        padding: `"valid"` or `"same"`.
        depth_multiplier: the number of filters per input channel.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: an int or a tuple of 1 ints.
        activation: an activation name or function (default: none).
        use_bias: whether to add a bias of `in_channels * depth_multiplier`.
        depthwise_initializer, bias_initializer, depthwise_regularizer,
        bias_regularizer, activity_regularizer, depthwise_constraint,
        bias_constraint: as for `Dense`, for the depthwise kernel and bias.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, *spatial, channels)` with 1 spatial axes (channels-last).

    Output shape:
        `(batch, *new_spatial, channels * depth_multiplier)`.

    Example:
    >>> import numpy as np
    >>> layer = DepthwiseConv1D(3, depth_multiplier=2, padding="same")
    >>> tuple(layer(np.ones((1, 5, 3), "float32")).shape)
    (1, 5, 6)
    """

    rank = 1
