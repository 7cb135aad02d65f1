"""`AdaptiveAveragePooling2D`: mean pooling to a fixed 2-d output size."""

from __future__ import annotations

from cornu.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """Pools each spatial axis into `output_size` bins, taking the mean.

    The bins adapt to the input size (torch's `nn.AdaptiveAvgPool2d`), so
    any input size gives the same output size.

    Args:
        output_size: an int or a tuple of 2 ints: the output's spatial size.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, rows, cols, channels)` (channels-last) or
        `(batch, channels, rows, cols)`.

    Output shape:
        `(batch, *output_size, channels)` (channels-last).

    Example:
    >>> import numpy as np
    >>> layer = AdaptiveAveragePooling2D(2)
    >>> tuple(layer(np.ones((1, 5, 5, 3), "float32")).shape)
    (1, 2, 2, 3)
    """

    rank = 2
    mode = "average"
