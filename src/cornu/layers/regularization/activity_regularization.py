"""`ActivityRegularization`: adds an L1/L2 penalty on its inputs to the loss."""

from __future__ import annotations

from typing import Any

import torch

from cornu import regularizers
from cornu.core.layer import Layer


class ActivityRegularization(Layer):
    """Passes its input through and adds `l1 * sum(|x|) + l2 * sum(x ** 2)`,
    divided by the batch size, to `losses`.

    Args:
        l1: the L1 factor (default 0).
        l2: the L2 factor (default 0).

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = ActivityRegularization(l1=0.1)
    >>> _ = layer(np.ones((2, 3), "float32"))
    >>> round(float(layer.losses[0]), 4)
    0.3
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
