"""`MaxPooling1D`: the maximum over 1-d windows."""

from __future__ import annotations

from cornu.layers.pooling.base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    """Downsamples by taking the maximum over 1-d windows.

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
    >>> MaxPooling1D(2)(np.ones((1, 4, 3), "float32")).shape[1]
    2
    """

    rank = 1
    mode = "max"


MaxPool1D = MaxPooling1D
