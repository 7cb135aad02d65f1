"""`Cropping1D`: crops the ends of the steps axis."""

from __future__ import annotations

from typing import Any

from cornu.layers.reshaping.base_spatial import BaseCropping


class Cropping1D(BaseCropping):
    """Removes entries from the start and end of the steps axis (a view, no copy).

    Args:
        cropping: an int (both ends) or a tuple `(start, end)`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, steps, features)`.

    Output shape:
        `(batch, steps - start - end, features)`.

    Example:
    >>> import numpy as np
    >>> tuple(Cropping1D((1, 2))(np.ones((2, 6, 3), "float32")).shape)
    (2, 3, 3)
    """

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, data_format="channels_last", **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["data_format"]
        return config
