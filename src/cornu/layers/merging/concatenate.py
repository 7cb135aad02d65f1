"""`Concatenate` and `concatenate`: joins a list of tensors along an axis."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.merging.base_merge import Merge, _is_shape_list, masks_of


class Concatenate(Merge):
    """Concatenates a list of tensors along `axis`.

    All inputs have the same rank and the same sizes except on `axis`.

    Args:
        axis: the concatenation axis (default `-1`).

    Call arguments:
        inputs: a list of tensors.

    Input shape:
        A list of shapes equal except on `axis`.

    Output shape:
        The common shape, with the sizes on `axis` summed.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> Concatenate()([x, np.ones((2, 5), "float32")]).shape
    torch.Size([2, 8])
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(
                f"Concatenate `axis` must be an int, received: axis={axis!r}."
            )
        self.axis = axis

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)

    def call(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(inputs, dim=self.axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if not _is_shape_list(input_shape) or not input_shape:
            self._check_list(input_shape)  # raises the error for non-lists
        shapes = [tuple(s) for s in input_shape]
        ndim = len(shapes[0])
        axis = self.axis % ndim if -ndim <= self.axis < ndim else None
        self._check_list(input_shape, same_batch=axis != 0)
        problem = axis is None or len({len(s) for s in shapes}) > 1
        if not problem:
            for d in range(ndim):
                known = {s[d] for s in shapes} - {None}
                if d != axis and len(known) > 1:
                    problem = True
        if problem or axis is None:
            raise ValueError(
                f"{self._where()} expects inputs of the same rank with matching "
                f"sizes except on the concatenation axis {self.axis}, received "
                f"shapes {shapes}."
            )
        out = list(shapes[0])
        sizes = [s[axis] for s in shapes]
        out[axis] = None if None in sizes else sum(sizes)
        for d in range(ndim):
            if d != axis and out[d] is None:
                out[d] = next((s[d] for s in shapes if s[d] is not None), None)
        return tuple(out)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        masks = masks_of(inputs) if previous_mask is None else list(previous_mask)
        if all(m is None for m in masks):
            return None
        # Each input's mask spread over its full shape (all True where it has
        # none), joined like the inputs, then reduced over the last axis.
        full = [
            torch.ones_like(x, dtype=torch.bool)
            if m is None
            else (m.unsqueeze(-1).expand(x.shape) if m.dim() < x.dim() else m)
            for x, m in zip(inputs, masks)
        ]
        return torch.cat(full, dim=self.axis).any(dim=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Concatenates a list of tensors: the functional form of `Concatenate`.

    Args:
        inputs: a list of tensors (or symbolic tensors).
        axis: the concatenation axis (default `-1`).
        **kwargs: `Concatenate` layer arguments, such as `name`.

    Returns:
        The concatenation.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> concatenate([x, x], axis=0).shape
    torch.Size([4, 3])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
