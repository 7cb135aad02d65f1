"""`Activation`: applies an activation function."""

from __future__ import annotations

from typing import Any

from cornu import activations
from cornu.core.layer import Layer


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: an activation name (`"relu"`) or function.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> Activation("relu")(np.array([-3.0, 0.0, 2.0], "float32")).tolist()
    [0.0, 0.0, 2.0]
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "activation": activations.serialize(self.activation),
        }
