"""Shrinkage activations: pull small values to zero."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.activations._dispatch import not_a_tensor


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`,
    else 0.

    Args:
        x: the input tensor.
        threshold: the half-width of the band set to 0.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> soft_shrink(torch.tensor([-2.0, 0.25, 2.0])).tolist()
    [-1.5, 0.0, 1.5]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(soft_shrink, "SoftShrink", x, threshold=threshold)
    return F.softshrink(x, threshold)


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """`x` where `|x| > threshold`, else 0.

    Args:
        x: the input tensor.
        threshold: the half-width of the band set to 0.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> hard_shrink(torch.tensor([-2.0, 0.25, 2.0])).tolist()
    [-2.0, 0.0, 2.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(hard_shrink, "HardShrink", x, threshold=threshold)
    return F.hardshrink(x, threshold)


def tanh_shrink(x: Any) -> Any:
    """`x - tanh(x)`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> tanh_shrink(torch.tensor([0.0])).tolist()
    [0.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(tanh_shrink, "TanhShrink", x)
    return F.tanhshrink(x)
