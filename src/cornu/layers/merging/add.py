"""`Add` and `add`: the elementwise sum of a list of tensors."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.merging.base_merge import Merge


class Add(Merge):
    """Adds a list of tensors elementwise (with broadcasting).

    Call arguments:
        inputs: a list of tensors with broadcastable shapes.

    Input shape:
        A list of `(batch_size, ...)` shapes.

    Output shape:
        Their broadcast shape.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> Add()([x, x, x]).tolist()
    [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


def add(inputs: list[Any], **kwargs: Any) -> Any:
    """Adds a list of tensors elementwise: the functional form of `Add`.

    Args:
        inputs: a list of tensors (or symbolic tensors) of broadcastable
            shapes.
        **kwargs: `Add` layer arguments, such as `name`.

    Returns:
        The sum.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> add([x, x]).shape
    torch.Size([2, 3])
    """
    return Add(**kwargs)(inputs)
