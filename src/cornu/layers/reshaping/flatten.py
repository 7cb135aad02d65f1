"""`Flatten`: flattens each sample to a vector."""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu import config
from cornu.core.input_spec import InputSpec
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer


def standardize_data_format(data_format: str | None) -> str:
    """`None` gives the global `image_data_format()`; checks the value."""
    if data_format is None:
        return config.image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_first", "channels_last"):
        raise ValueError(
            "`data_format` must be 'channels_first' or 'channels_last', "
            f"received: data_format={data_format!r}."
        )
    return value


class Flatten(Layer):
    """Flattens each sample of the input; the batch axis is kept.

    Inputs shaped `(batch_size,)` become `(batch_size, 1)`.

    Args:
        data_format: `"channels_last"` or `"channels_first"` (default:
            `image_data_format()`). With `"channels_first"`, the channels are
            moved last before flattening, so the order of the features is the
            same for both layouts.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch_size, ...)`.

    Output shape:
        `(batch_size, product of the other dimensions)`.

    Example:
    >>> Flatten()(np.ones((2, 10, 64), "float32")).shape
    torch.Size([2, 640])
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self._channels_first = self.data_format == "channels_first"
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dim() < 2:
            return inputs.unsqueeze(-1)
        if self._channels_first:
            inputs = inputs.movedim(1, -1)
        return inputs.flatten(1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        rest = input_shape[1:]
        size = None if None in rest else math.prod(rest)
        return (input_shape[0], size)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}
