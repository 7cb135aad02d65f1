"""`AveragePooling1D`: the average over 1-d windows."""

from __future__ import annotations

from cornu.layers.pooling.base_pooling import BasePooling


class AveragePooling1D(BasePooling):
    """Downsamples by taking the average over 1-d windows.

    Args:
        pool_size: an int or a tuple of 1 ints (default 2).
        strides: defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, *spatial, channels)` with 1 spatial axes (channels-last).

    Output shape:
        `(batch, *pooled_spatial, channels)`.

    Example:
    >>> import numpy as np
    >>> AveragePooling1D(2)(np.ones((1, 4, 3), "float32")).shape[1]
    2
    """

    rank = 1
    mode = "average"


AvgPool1D = AveragePooling1D
