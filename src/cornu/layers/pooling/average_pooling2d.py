"""`AveragePooling2D`: the average over 2-d windows."""

from __future__ import annotations

from cornu.layers.pooling.base_pooling import BasePooling


class AveragePooling2D(BasePooling):
    """Downsamples by taking the average over 2-d windows.

    Args:
        pool_size: an int or a tuple of 2 ints (default 2).
        strides: defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, *spatial, channels)` with 2 spatial axes (channels-last).

    Output shape:
        `(batch, *pooled_spatial, channels)`.

    Example:
    >>> import numpy as np
    >>> AveragePooling2D(2)(np.ones((1, 4, 4, 3), "float32")).shape[1]
    2
    """

    rank = 2
    mode = "average"


AvgPool2D = AveragePooling2D
