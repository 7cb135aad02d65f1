"""`ZeroPadding2D`: pads the 2 spatial axes with zeros."""

from __future__ import annotations

from typing import Any

from cornu.layers.reshaping.base_spatial import BaseZeroPadding


class ZeroPadding2D(BaseZeroPadding):
    """Adds zeros at the ends of each spatial axis.

    Args:
        padding: an int (every end), a tuple of 2 ints (both ends of each
            axis) or a tuple of 2 `(before, after)` tuples.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, rows, cols, channels)` (channels-last).

    Output shape:
        The input shape plus the padding on each spatial axis.

    Example:
    >>> import numpy as np
    >>> tuple(ZeroPadding2D(((1, 0), (2, 2)))(np.ones((1, 4, 4, 3), "float32")).shape)
    (1, 5, 8, 3)
    """

    rank = 2

    def __init__(
        self,
        padding: Any = (1, 1),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(padding, data_format=data_format, **kwargs)
