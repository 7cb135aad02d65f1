"""`Permute`: reorders the axes of each sample."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.input_spec import InputSpec
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer


class Permute(Layer):
    """Permutes the non-batch axes of the input.

    Args:
        dims: the new order of the axes, numbered from 1 (the batch axis,
            0, stays first); e.g. `(2, 1)` swaps the two axes of a sequence.

    Call arguments:
        inputs: the input tensor, of rank `len(dims) + 1`.

    Input shape:
        `(batch_size, d_1, ..., d_n)`.

    Output shape:
        `(batch_size, d_dims[0], ..., d_dims[n-1])`.

    Example:
    >>> Permute((2, 1))(np.ones((2, 10, 64), "float32")).shape
    torch.Size([2, 64, 10])
    """

    def __init__(self, dims: tuple[int, ...] | list[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Permute `dims` must be a permutation of 1..n (the batch axis 0 "
                f"is not included), received: dims={dims!r}."
            )
        self.dims = dims
        self._order = (0, *dims)
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.permute(self._order)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape[d] for d in self._order)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}
