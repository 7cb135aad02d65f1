"""`Cropping3D`: crops the ends of the 3 spatial axes."""

from __future__ import annotations

from typing import Any

from cornu.layers.reshaping.base_spatial import BaseCropping


class Cropping3D(BaseCropping):
    """Removes entries from the ends of each spatial axis (a view, no copy).

    Args:
        cropping: an int (every end), a tuple of 3 ints (both ends of each
            axis) or a tuple of 3 `(before, after)` tuples.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, dim1, dim2, dim3, channels)` (channels-last).

    Output shape:
        The input shape less the cropped entries on each spatial axis.

    Example:
    >>> import numpy as np
    >>> layer = Cropping3D(1)
    >>> tuple(layer(np.ones((1, 4, 4, 4, 3), "float32")).shape)
    (1, 2, 2, 2, 3)
    """

    rank = 3

    def __init__(
        self,
        cropping: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cropping, data_format=data_format, **kwargs)
