"""`MaxPooling3D`: the maximum over 3-d windows."""

from __future__ import annotations

from cornu.layers.pooling.base_pooling import BasePooling


class MaxPooling3D(BasePooling):
    """Downsamples by taking the maximum over 3-d windows.

    Args:
        pool_size: an int or a tuple of 3 ints (default 2).
        strides: defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, *spatial, channels)` with 3 spatial axes (channels-last).

    Output shape:
        `(batch, *pooled_spatial, channels)`.

    Example:
    >>> import numpy as np
    >>> MaxPooling3D(2)(np.ones((1, 4, 4, 4, 3), "float32")).shape[1]
    2
    """

    rank = 3
    mode = "max"


MaxPool3D = MaxPooling3D
