"""`ReLU`: the rectified linear unit, with slope, cap and threshold."""

from __future__ import annotations

from typing import Any

import torch

from cornu import activations
from cornu.core.layer import Layer


def _check_non_negative(name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or not value >= 0.0:
        raise ValueError(
            f"ReLU `{name}` must be a number >= 0, received: {name}={value!r}."
        )


class ReLU(Layer):
    """Rectified linear unit, with an optional cap, slope and threshold.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold <= x <
    max_value`, and `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: the largest output, `>= 0`; `None` for no cap.
        negative_slope: the slope below the threshold, `>= 0`.
        threshold: the value below which outputs are damped, `>= 0`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> x = np.array([-10.0, -5.0, 0.0, 5.0, 10.0], "float32")
    >>> ReLU(max_value=10, negative_slope=0.5)(x).tolist()
    [-5.0, -2.5, 0.0, 5.0, 10.0]
    """

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_non_negative("max_value", max_value, allow_none=True)
        _check_non_negative("negative_slope", negative_slope)
        _check_non_negative("threshold", threshold)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }
