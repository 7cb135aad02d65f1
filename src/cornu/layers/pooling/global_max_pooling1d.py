"""`GlobalMaxPooling1D`: the maximum over all 1-d positions."""

from __future__ import annotations

from cornu.layers.pooling.base_global_pooling import BaseGlobalMaxPooling


class GlobalMaxPooling1D(BaseGlobalMaxPooling):
    """Takes the maximum over the steps of each sample.

    As in Keras, a mask from an earlier layer is not used.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: whether to keep the pooled axes, with size 1.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, steps, channels)` (channels-last) or
        `(batch, channels, steps)`.

    Output shape:
        `(batch, channels)`; with `keepdims`, size-1 spatial axes are kept.

    Example:
    >>> import numpy as np
    >>> tuple(GlobalMaxPooling1D()(np.ones((2, 4, 3), "float32")).shape)
    (2, 3)
    """

    rank = 1


GlobalMaxPool1D = GlobalMaxPooling1D
