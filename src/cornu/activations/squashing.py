"""Bounded, S-shaped activations: sigmoid and tanh and their cheap variants."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.activations._dispatch import not_a_tensor


def sigmoid(x: Any) -> Any:
    """Logistic sigmoid: `1 / (1 + exp(-x))`, in `(0, 1)`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> sigmoid(torch.tensor([0.0])).tolist()
    [0.5]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(sigmoid, "Sigmoid", x)
    return torch.sigmoid(x)


def hard_sigmoid(x: Any) -> Any:
    """Piecewise-linear sigmoid: `relu6(x + 3) / 6` (0 below -3, 1 above 3).

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> hard_sigmoid(torch.tensor([-4.0, 0.0, 4.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(hard_sigmoid, "HardSigmoid", x)
    return F.hardsigmoid(x)


def sparse_sigmoid(x: Any) -> Any:
    """Sparse sigmoid: `(x + 1) / 2` clipped to `[0, 1]`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> sparse_sigmoid(torch.tensor([-2.0, 0.0, 2.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(sparse_sigmoid, "SparseSigmoid", x)
    return (0.5 * (x + 1.0)).clamp(0.0, 1.0)


def log_sigmoid(x: Any) -> Any:
    """`log(sigmoid(x))`, computed stably.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> round(log_sigmoid(torch.tensor([0.0])).item(), 4)
    -0.6931
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(log_sigmoid, "LogSigmoid", x)
    return F.logsigmoid(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent, in `(-1, 1)`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> tanh(torch.tensor([0.0])).tolist()
    [0.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(tanh, "Tanh", x)
    return torch.tanh(x)


def hard_tanh(x: Any) -> Any:
    """`x` clipped to `[-1, 1]`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> hard_tanh(torch.tensor([-2.0, 0.5, 2.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(hard_tanh, "HardTanh", x)
    return F.hardtanh(x)


def softsign(x: Any) -> Any:
    """Softsign: `x / (|x| + 1)`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> softsign(torch.tensor([-1.0, 3.0])).tolist()
    [-0.5, 0.75]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(softsign, "Softsign", x)
    return F.softsign(x)
