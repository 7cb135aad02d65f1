"""`Cropping2D`: crops the ends of the 2 spatial axes."""

from __future__ import annotations

from typing import Any

from cornu.layers.reshaping.base_spatial import BaseCropping


class Cropping2D(BaseCropping):
    """Removes entries from the ends of each spatial axis (a view, no copy).

    Args:
        cropping: an int (every end), a tuple of 2 ints (both ends of each
            axis) or a tuple of 2 `(before, after)` tuples.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, rows, cols, channels)` (channels-last).

    Output shape:
        The input shape less the cropped entries on each spatial axis.

    Example:
    >>> import numpy as np
    >>> layer = Cropping2D(((1, 0), (2, 2)))
    >>> tuple(layer(np.ones((1, 6, 6, 3), "float32")).shape)
    (1, 5, 2, 3)
    """

    rank = 2

    def __init__(
        self,
        cropping: Any = ((0, 0), (0, 0)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cropping, data_format=data_format, **kwargs)
