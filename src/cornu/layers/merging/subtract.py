"""`Subtract` and `subtract`: the difference of two tensors."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.merging.base_merge import Merge


class Subtract(Merge):
    """Subtracts the second of two tensors from the first: `inputs[0] - inputs[1]`.

    Call arguments:
        inputs: a list of exactly two tensors with broadcastable shapes.

    Input shape:
        A list of two `(batch_size, ...)` shapes.

    Output shape:
        Their broadcast shape.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> Subtract()([x, 2 * x]).tolist()
    [[-1.0, -1.0, -1.0], [-1.0, -1.0, -1.0]]
    """

    _min_inputs = 2
    _max_inputs = 2

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return inputs[0] - inputs[1]


def subtract(inputs: list[Any], **kwargs: Any) -> Any:
    """Subtracts two tensors: the functional form of `Subtract`.

    Args:
        inputs: a list of two tensors (or symbolic tensors).
        **kwargs: `Subtract` layer arguments, such as `name`.

    Returns:
        `inputs[0] - inputs[1]`.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> subtract([x, x]).sum().item()
    0.0
    """
    return Subtract(**kwargs)(inputs)
