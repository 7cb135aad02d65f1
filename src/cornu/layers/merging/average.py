"""`Average` and `average`: the elementwise mean of a list of tensors."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.merging.base_merge import Merge


class Average(Merge):
    """Averages a list of tensors elementwise (with broadcasting).

    Call arguments:
        inputs: a list of tensors with broadcastable shapes.

    Input shape:
        A list of `(batch_size, ...)` shapes.

    Output shape:
        Their broadcast shape.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> Average()([x, 3 * x]).tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


def average(inputs: list[Any], **kwargs: Any) -> Any:
    """Averages a list of tensors elementwise: the functional form of `Average`.

    Args:
        inputs: a list of tensors (or symbolic tensors) of broadcastable
            shapes.
        **kwargs: `Average` layer arguments, such as `name`.

    Returns:
        The mean.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> average([x, 3 * x]).sum().item()
    12.0
    """
    return Average(**kwargs)(inputs)
