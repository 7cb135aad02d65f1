"""`Conv2DTranspose`: 2-d transposed convolution (a "deconvolution")."""

from __future__ import annotations

from cornu.layers.convolutional.base_conv_transpose import BaseConvTranspose


class Conv2DTranspose(BaseConvTranspose):
    """2-d transposed convolution: the input-gradient of `Conv2D`.

    Each input position spreads over a `kernel_size` window of the output,
    which is upsampled by `strides`. The kernel has Keras's layout
    `(*kernel_size, filters, in_channels)`.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of 2 ints.
        strides: an int or a tuple of 2 ints (default 1).
        padding: `"valid"` or `"same"` (output size `input * strides`).
        output_padding: an int or a tuple of 2 ints, each below its stride,
            fixing the output size; `None` (default) infers it.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: an int or a tuple of 2 ints.
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: as for `Dense`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, *spatial, channels)` with 2 spatial axes (channels-last).

    Output shape:
        `(batch, *new_spatial, filters)`; with `"same"` padding and no
        `output_padding`, `new_spatial = spatial * strides`.

    Example:
    >>> import numpy as np
    >>> layer = Conv2DTranspose(4, 3, strides=2, padding="same")
    >>> tuple(layer(np.ones((1, 5, 5, 3), "float32")).shape)
    (1, 10, 10, 4)
    """

    rank = 2
