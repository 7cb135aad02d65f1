"""Activations that work along an axis: softmax, log-softmax, sparsemax, GLU."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from cornu.activations._dispatch import not_a_tensor

Axis = int | Sequence[int] | None


def _over_axes(
    fn: Callable[..., torch.Tensor], x: torch.Tensor, axis: Axis
) -> torch.Tensor:
    """Applies `fn(x, dim=-1)` jointly over several axes (`None`: all of them).

    The axes are moved last and flattened into one, then restored.
    """
    dims = range(x.ndim) if axis is None else [a % x.ndim for a in axis]  # type: ignore[union-attr]
    rest = [d for d in range(x.ndim) if d not in dims]
    order = rest + list(dims)
    moved = x.permute(order)
    out = fn(moved.reshape(*moved.shape[: len(rest)], -1), dim=-1).reshape(moved.shape)
    return out.permute(sorted(range(x.ndim), key=order.__getitem__))


def softmax(x: Any, axis: Axis = -1) -> Any:
    """Softmax: `exp(x) / sum(exp(x))` along `axis`, a probability vector.

    Args:
        x: the input tensor (logits).
        axis: the axis (or axes; `None` for all) that sums to 1.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> softmax(torch.tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(softmax, "Softmax", x, axis=axis)
    if isinstance(axis, int):
        return F.softmax(x, dim=axis)
    return _over_axes(F.softmax, x, axis)


def log_softmax(x: Any, axis: Axis = -1) -> Any:
    """`log(softmax(x))` along `axis`, computed stably.

    Args:
        x: the input tensor (logits).
        axis: the axis (or axes; `None` for all) to normalize over.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> round(log_softmax(torch.tensor([0.0, 0.0]))[0].item(), 4)
    -0.6931
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(log_softmax, "LogSoftmax", x, axis=axis)
    if isinstance(axis, int):
        return F.log_softmax(x, dim=axis)
    return _over_axes(F.log_softmax, x, axis)


def sparsemax(x: Any, axis: int = -1) -> Any:
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex.

    Like softmax it sums to 1 along `axis`, but small entries become exactly
    0: `max(x - tau, 0)` with `tau` chosen so the sum is 1.

    Args:
        x: the input tensor (logits).
        axis: the axis that sums to 1.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> sparsemax(torch.tensor([3.0, 1.0, -1.0])).tolist()
    [1.0, 0.0, 0.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(sparsemax, "Sparsemax", x, axis=axis)
    z, _ = torch.sort(x, dim=axis, descending=True)
    cumsum = z.cumsum(dim=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    k = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device).view(shape)
    # The support is the k largest entries with 1 + k * z_k > sum of the top k.
    support = (1.0 + k * z > cumsum).sum(dim=axis, keepdim=True)
    tau = (cumsum.gather(axis, support - 1) - 1.0) / support.to(x.dtype)
    return torch.clamp(x - tau, min=0.0)


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: `a * sigmoid(b)`, `x` split in halves `a, b` on `axis`.

    Args:
        x: the input tensor; its size on `axis` must be even.
        axis: the axis to split.

    Returns:
        A tensor shaped like `x`, with half the size on `axis`.

    Example:
    >>> glu(torch.tensor([2.0, 0.0])).tolist()
    [1.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(glu, "Glu", x, axis=axis)
    return F.glu(x, dim=axis)
