"""`GlobalMaxPooling3D`: the maximum over all 3-d positions."""

from __future__ import annotations

from cornu.layers.pooling.base_global_pooling import BaseGlobalMaxPooling


class GlobalMaxPooling3D(BaseGlobalMaxPooling):
    """Takes the maximum over the 3 spatial axes of each sample.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: whether to keep the pooled axes, with size 1.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, dim1, dim2, dim3, channels)` (channels-last) or
        `(batch, channels, dim1, dim2, dim3)`.

    Output shape:
        `(batch, channels)`; with `keepdims`, size-1 spatial axes are kept.

    Example:
    >>> import numpy as np
    >>> tuple(GlobalMaxPooling3D()(np.ones((2, 4, 4, 4, 3), "float32")).shape)
    (2, 3)
    """

    rank = 3


GlobalMaxPool3D = GlobalMaxPooling3D
