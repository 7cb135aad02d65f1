"""`Reshape`: reshapes each sample to a target shape."""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer


class Reshape(Layer):
    """Reshapes each sample to `target_shape`; the batch axis is kept.

    Args:
        target_shape: the shape of one sample, a tuple of ints; one entry may
            be `-1`, inferred from the sample size.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch_size, ...)`, with as many elements per sample as
        `target_shape`.

    Output shape:
        `(batch_size, *target_shape)`.

    Example:
    >>> Reshape((-1, 2, 2))(np.ones((4, 12), "float32")).shape
    torch.Size([4, 3, 2, 2])
    """

    def __init__(
        self, target_shape: tuple[int, ...] | list[int], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        ok = all(
            isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1)
            for d in target_shape
        )
        if not ok or target_shape.count(-1) > 1:
            raise ValueError(
                "Reshape `target_shape` must hold positive ints and at most one "
                f"-1, received: target_shape={target_shape!r}."
            )
        self.target_shape = target_shape

    def build(self, input_shape: Any) -> None:
        # Checked once here, so that `call` is a bare reshape.
        self.compute_output_shape(input_shape)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        sample = input_shape[1:]
        size = None if None in sample else math.prod(sample)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            fits = size is None or size % known == 0
            inferred = None if size is None or not fits else size // known
            out = tuple(inferred if d == -1 else d for d in self.target_shape)
        else:
            fits = size is None or size == known
            out = self.target_shape
        if not fits:
            raise ValueError(
                f'Layer "{self.name}" (Reshape) cannot reshape inputs of shape '
                f"{tuple(input_shape)} ({size} elements per sample) to "
                f"target_shape={self.target_shape}."
            )
        return (input_shape[0], *out)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}
