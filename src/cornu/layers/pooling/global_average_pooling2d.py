"""`GlobalAveragePooling2D`: the mean over all 2-d positions."""

from __future__ import annotations

from cornu.layers.pooling.base_global_pooling import BaseGlobalAveragePooling


class GlobalAveragePooling2D(BaseGlobalAveragePooling):
    """Takes the mean over the 2 spatial axes of each sample.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: whether to keep the pooled axes, with size 1.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, rows, cols, channels)` (channels-last) or
        `(batch, channels, rows, cols)`.

    Output shape:
        `(batch, channels)`; with `keepdims`, size-1 spatial axes are kept.

    Example:
    >>> import numpy as np
    >>> tuple(GlobalAveragePooling2D()(np.ones((2, 4, 4, 3), "float32")).shape)
    (2, 3)
    """

    rank = 2


GlobalAvgPool2D = GlobalAveragePooling2D
