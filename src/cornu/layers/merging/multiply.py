"""`Multiply` and `multiply`: the elementwise product of a list of tensors."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.merging.base_merge import Merge, _expanded_mask


class Multiply(Merge):
    """Multiplies a list of tensors elementwise (with broadcasting).

    With masks, a masked entry counts as 1 in the product, and entries
    masked in every input are 0, as in Keras.

    Call arguments:
        inputs: a list of tensors with broadcastable shapes.

    Input shape:
        A list of `(batch_size, ...)` shapes.

    Output shape:
        Their broadcast shape.

    Example:
    >>> x = np.full((2, 3), 2.0, "float32")
    >>> Multiply()([x, x]).tolist()
    [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        masks = [_expanded_mask(x) for x in inputs]
        all_masked = all(m is not None for m in masks)
        output: Any = None
        output_mask: Any = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                x = torch.where(mask, x, 1)
                if all_masked:
                    output_mask = mask if output_mask is None else output_mask | mask
            output = x if output is None else output * x
        if all_masked:
            output = torch.where(output_mask, output, 0)
        return output


def multiply(inputs: list[Any], **kwargs: Any) -> Any:
    """Multiplies a list of tensors elementwise: the functional form of `Multiply`.

    Args:
        inputs: a list of tensors (or symbolic tensors) of broadcastable
            shapes.
        **kwargs: `Multiply` layer arguments, such as `name`.

    Returns:
        The product.

    Example:
    >>> x = np.full((2, 3), 2.0, "float32")
    >>> multiply([x, x]).sum().item()
    24.0
    """
    return Multiply(**kwargs)(inputs)
