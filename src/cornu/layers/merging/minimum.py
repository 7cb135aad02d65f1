"""`Minimum` and `minimum`: the elementwise minimum of a list of tensors."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.merging.base_merge import Merge


class Minimum(Merge):
    """Takes the elementwise minimum of a list of tensors (with broadcasting).

    Where an input is masked, the other inputs' values are used.

    Call arguments:
        inputs: a list of tensors with broadcastable shapes.

    Input shape:
        A list of `(batch_size, ...)` shapes.

    Output shape:
        Their broadcast shape.

    Example:
    >>> x = np.array([[1.0, 5.0]], "float32")
    >>> Minimum()([x, np.array([[3.0, 2.0]], "float32")]).tolist()
    [[1.0, 2.0]]
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return self._merge_masked(torch.minimum, inputs)


def minimum(inputs: list[Any], **kwargs: Any) -> Any:
    """Elementwise minimum of a list of tensors: the functional form of `Minimum`.

    Args:
        inputs: a list of tensors (or symbolic tensors) of broadcastable
            shapes.
        **kwargs: `Minimum` layer arguments, such as `name`.

    Returns:
        The minimum.

    Example:
    >>> minimum([np.zeros((1, 2), "float32"), np.ones((1, 2), "float32")]).tolist()
    [[0.0, 0.0]]
    """
    return Minimum(**kwargs)(inputs)
