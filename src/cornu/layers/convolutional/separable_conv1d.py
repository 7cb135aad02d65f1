"""`SeparableConv1D`: 1-d depthwise-separable convolution."""

from __future__ import annotations

from cornu.layers.convolutional.base_separable_conv import BaseSeparableConv


class SeparableConv1D(BaseSeparableConv):
    """1-d separable convolution: a depthwise convolution, then a 1x1 one.

    The depthwise step filters each input channel on its own
    (`depth_multiplier` filters each); the pointwise step mixes the channels
    into `filters` outputs. Weights, as Keras: `depthwise_kernel`
    `(*kernel_size, in, depth_multiplier)`, `pointwise_kernel`
    `(1, in * depth_multiplier, filters)`, `bias` `(filters,)`.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of 1 ints.
        strides: an int or a tuple of 1 ints (default 1).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: an int or a tuple of 1 ints.
        depth_multiplier: the number of depthwise filters per input channel.
        activation: an activation name or function (default: none).
        use_bias: whether to add a bias after the pointwise step.
        depthwise_initializer, pointwise_initializer, bias_initializer,
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer, depthwise_constraint, pointwise_constraint,
        bias_constraint: as for `Dense`, per weight.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, *spatial, channels)` with 1 spatial axes (channels-last).

    Output shape:
        `(batch, *new_spatial, filters)`.

    Example:
    >>> import numpy as np
    >>> layer = SeparableConv1D(4, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 3), "float32")).shape)
    (1, 5, 4)
    """

    rank = 1
