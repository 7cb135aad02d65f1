"""`ZeroPadding1D`: pads the 1 spatial axes with zeros."""

from __future__ import annotations

from typing import Any

from cornu.layers.reshaping.base_spatial import BaseZeroPadding


class ZeroPadding1D(BaseZeroPadding):
    """Adds zeros at the ends of each spatial axis.

    Args:
        padding: an int (both ends) or a tuple `(start, end)`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, steps, channels)` (channels-last).

    Output shape:
        The input shape plus the padding on each spatial axis.

    Example:
    >>> import numpy as np
    >>> tuple(ZeroPadding1D((1, 2))(np.ones((1, 4, 3), "float32")).shape)
    (1, 7, 3)
    """

    rank = 1

    def __init__(
        self,
        padding: Any = 1,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(padding, data_format=data_format, **kwargs)
