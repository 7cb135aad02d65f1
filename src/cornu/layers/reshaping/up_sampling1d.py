"""`UpSampling1D`: repeats each step."""

from __future__ import annotations

from typing import Any

from cornu.layers.reshaping.base_spatial import BaseUpSampling


class UpSampling1D(BaseUpSampling):
    """Repeats each step `size` times along the steps axis.

    Args:
        size: the upsampling factor (default 2).

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch, steps, features)`.

    Output shape:
        `(batch, steps * size, features)`.

    Example:
    >>> import numpy as np
    >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]], "float32"))[0, :, 0].tolist()
    [1.0, 1.0, 2.0, 2.0]
    """

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(size, data_format="channels_last", **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["data_format"]
        config["size"] = self.size[0]
        return config
