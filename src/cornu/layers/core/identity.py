"""`Identity`: returns its inputs unchanged."""

from __future__ import annotations

from typing import Any

from cornu import tree
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer


class Identity(Layer):
    """A placeholder layer that returns its inputs unchanged (masks included).

    Call arguments:
        inputs: a tensor or a nested structure of tensors.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> Identity()(np.ones((2, 3), "float32")).shape
    torch.Size([2, 3])
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        # The structure and the dtypes pass through, ints included.
        return tree.map_structure(lambda x: KerasTensor(x.shape, dtype=x.dtype), inputs)

    def get_config(self) -> dict[str, Any]:
        # Only the base keys: Identity has no hyper-parameters of its own.
        return super().get_config()
