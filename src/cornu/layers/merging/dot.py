"""`Dot` and `dot`: the dot product of two tensors along given axes, per sample."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu import config
from cornu.layers.merging.base_merge import Merge

_LETTERS = "acdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def batch_dot(x: torch.Tensor, y: torch.Tensor, axes: tuple[int, int]) -> torch.Tensor:
    """Per-sample dot product of `x` and `y` over `x`'s axis `axes[0]` and `y`'s
    axis `axes[1]` (positive, not 0).

    The output's axes are `x`'s remaining axes, then `y`'s (without their
    batch axis); a result of rank 1 gets a trailing axis of size 1.
    """
    # One einsum: batch "b", the summed axis "z", other axes lettered in order.
    letters = iter(_LETTERS)
    x_sub = ["b"] + ["z" if d == axes[0] else next(letters) for d in range(1, x.dim())]
    y_sub = ["b"] + ["z" if d == axes[1] else next(letters) for d in range(1, y.dim())]
    out_sub = [c for c in x_sub + y_sub[1:] if c != "z"]
    equation = f"{''.join(x_sub)},{''.join(y_sub)}->{''.join(out_sub)}"
    out = torch.einsum(equation, x, y)
    return out.unsqueeze(-1) if out.dim() == 1 else out


class Dot(Merge):
    """Per-sample dot product of two tensors along the given axes.

    For `x` of shape `(B, 3, 5)`, `y` of shape `(B, 10, 3)` and
    `axes=(1, 2)`, the output has shape `(B, 5, 10)`.

    Args:
        axes: the axis to sum over in both inputs (an int), or one axis per
            input (a pair); the batch axis 0 cannot be used. The two axes
            must have the same size.
        normalize: whether to L2-normalize both inputs along those axes
            first, making the output the cosine similarity.

    Call arguments:
        inputs: a list of exactly two tensors.

    Input shape:
        Two shapes `(batch_size, ...)`, of rank >= 2.

    Output shape:
        `x`'s shape without the summed axis, followed by `y`'s shape without
        its batch and summed axes; `(batch_size, 1)` when that is 1-D.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> Dot(axes=1)([x, x]).tolist()
    [[3.0], [3.0]]
    """

    _min_inputs = 2
    _max_inputs = 2

    def __init__(
        self,
        axes: int | tuple[int, int] | list[int],
        normalize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            valid = len(axes) == 2 and all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes
            )
        else:
            valid = isinstance(axes, int) and not isinstance(axes, bool)
        if not valid:
            raise ValueError(
                f"Dot `axes` must be an int or a pair of ints, received: axes={axes!r}."
            )
        self.axes = axes
        self.normalize = normalize

    def _positive_axes(self, ndim1: int, ndim2: int) -> tuple[int, int]:
        a1, a2 = self.axes if isinstance(self.axes, (list, tuple)) else (self.axes,) * 2
        return a1 % ndim1, a2 % ndim2

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)

    def call(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        x, y = inputs
        a1, a2 = self._positive_axes(x.dim(), y.dim())
        if self.normalize:
            eps = config.epsilon()
            x = F.normalize(x, dim=a1, eps=eps)
            y = F.normalize(y, dim=a2, eps=eps)
        return batch_dot(x, y, (a1, a2))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_list(input_shape)
        shape1, shape2 = (list(s) for s in input_shape)
        problem = None
        if len(shape1) < 2 or len(shape2) < 2:
            problem = "inputs of rank >= 2"
        else:
            a1, a2 = self._positive_axes(len(shape1), len(shape2))
            d1, d2 = shape1[a1], shape2[a2]
            if 0 in (a1, a2):
                problem = "axes other than the batch axis 0"
            elif d1 is not None and d2 is not None and d1 != d2:
                problem = f"equal sizes on axes {(a1, a2)} (here {d1} != {d2})"
        if problem:
            raise ValueError(
                f"{self._where()} with axes={self.axes} expects {problem}, "
                f"received shapes {tuple(shape1)} and {tuple(shape2)}."
            )
        shape1.pop(a1)
        shape2.pop(a2)
        out = shape1 + shape2[1:]
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs: list[Any], axes: int | tuple[int, int] = -1, **kwargs: Any) -> Any:
    """Per-sample dot product of two tensors: the functional form of `Dot`.

    Args:
        inputs: a list of two tensors (or symbolic tensors).
        axes: the axis (or pair of axes) to sum over; not the batch axis.
        **kwargs: `Dot` layer arguments, such as `normalize` or `name`.

    Returns:
        The dot products.

    Example:
    >>> x = np.ones((2, 3), "float32")
    >>> dot([x, x], axes=1).shape
    torch.Size([2, 1])
    """
    return Dot(axes=axes, **kwargs)(inputs)
