"""`Softmax`: normalizes logits into probabilities, with optional masking."""

from __future__ import annotations

from typing import Any

import torch

from cornu import activations
from cornu.core.layer import Layer


class Softmax(Layer):
    """Softmax along an axis: `exp(x) / sum(exp(x))`, masked positions excluded.

    Args:
        axis: the axis (or list of axes) that sums to 1 (default `-1`).

    Call arguments:
        inputs: the logits.
        mask: a boolean mask broadcastable to `inputs` (right-aligned);
            `True` keeps a position. Masked positions get probability 0;
            a fully masked slice gives all zeros. Non-boolean masks are
            read as `mask > 0.5`.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> Softmax()(np.array([1.0, 2.0, 1.0], "float32")).tolist()  # doctest: +ELLIPSIS
    [0.211..., 0.576..., 0.211...]
    """

    def __init__(
        self, axis: int | list[int] | tuple[int, ...] = -1, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True

    def call(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        if mask is None:
            return activations.softmax(inputs, axis=self.axis)
        if mask.dtype is not torch.bool:
            mask = mask > 0.5
        # As Keras: a large negative logit, not -inf, so that a fully masked
        # slice stays finite before it is zeroed.
        low = -3e4 if inputs.dtype is torch.float16 else -1e9
        outputs = activations.softmax(torch.where(mask, inputs, low), axis=self.axis)
        return torch.where(mask, outputs, 0.0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
