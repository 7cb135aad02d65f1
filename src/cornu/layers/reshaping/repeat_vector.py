"""`RepeatVector`: repeats a vector `n` times along a new axis."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.input_spec import InputSpec
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer


class RepeatVector(Layer):
    """Repeats each input vector `n` times: `(B, F)` becomes `(B, n, F)`.

    The output is a broadcast view of the input (no copy).

    Args:
        n: the number of repetitions, a positive int.

    Call arguments:
        inputs: a 2-D tensor.

    Input shape:
        `(batch_size, features)`.

    Output shape:
        `(batch_size, n, features)`.

    Example:
    >>> RepeatVector(3)(np.ones((2, 32), "float32")).shape
    torch.Size([2, 3, 32])
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(
                f"RepeatVector `n` must be a positive int, received: n={n!r}."
            )
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.unsqueeze(1).expand(-1, self.n, -1)  # (B, n, F)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}
