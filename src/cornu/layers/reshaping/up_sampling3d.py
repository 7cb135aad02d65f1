"""`UpSampling3D`: repeats entries along the 3 spatial axes."""

from __future__ import annotations

from typing import Any

from cornu.layers.reshaping.base_spatial import BaseUpSampling


class UpSampling3D(BaseUpSampling):
    """Repeats each entry `size[i]` times along spatial axis `i`.

    Args:
        size: an int or a tuple of 3 ints (default `(2, 2, 2)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, dim1, dim2, dim3, channels)` (channels-last).

    Output shape:
        `(batch, dim1 * size[0], dim2 * size[1], dim3 * size[2], channels)`.

    Example:
    >>> import numpy as np
    >>> tuple(UpSampling3D(2)(np.ones((1, 2, 3, 4, 1), "float32")).shape)
    (1, 4, 6, 8, 1)
    """

    rank = 3

    def __init__(
        self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(size, data_format=data_format, **kwargs)
