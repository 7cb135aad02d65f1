"""Rectifier-like activations (unbounded above), plus `linear` and `exponential`.

Each function is one fused `torch.nn.functional` call on a tensor; other
inputs take `not_a_tensor` (conversion, or a graph node on KerasTensors).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.activations._dispatch import not_a_tensor


def relu(
    x: Any,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> Any:
    """Rectified linear unit: `max(x, 0)`, with optional slope, cap and threshold.

    In general: `x` where `threshold < x`, capped at `max_value`, and
    `negative_slope * (x - threshold)` below the threshold.

    Args:
        x: the input tensor.
        negative_slope: the slope below `threshold`.
        max_value: the largest output value (`None`: no cap).
        threshold: inputs at or below it are damped or set to 0.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> x = torch.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])
    >>> relu(x).tolist()
    [0.0, 0.0, 0.0, 5.0, 10.0]
    >>> relu(x, negative_slope=0.5, max_value=5.0).tolist()
    [-5.0, -2.5, 0.0, 5.0, 5.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(
            relu,
            "ReLU",
            x,
            negative_slope=negative_slope,
            max_value=max_value,
            threshold=threshold,
        )
    if threshold == 0.0:
        if max_value is None:
            if negative_slope == 0.0:
                return F.relu(x)
            return F.leaky_relu(x, negative_slope)
        if negative_slope == 0.0:
            return F.relu6(x) if max_value == 6 else x.clamp(0.0, max_value)
    # The general case, as Keras defines it: keep x above the threshold, cap
    # it, then subtract the sloped part below the threshold.
    if threshold == 0.0:
        y = F.relu(x)
    else:
        y = torch.where(x > threshold, x, 0)
    if max_value is not None:
        y = y.clamp(0.0, max_value)
    if negative_slope != 0.0:
        y = y - negative_slope * F.relu(threshold - x)
    return y


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """Leaky ReLU: `x` if `x >= 0`, else `negative_slope * x`.

    Args:
        x: the input tensor.
        negative_slope: the slope for negative inputs.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> leaky_relu(torch.tensor([-1.0, 2.0])).tolist()
    [-0.20000000298023224, 2.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(leaky_relu, "LeakyRelu", x, negative_slope=negative_slope)
    return F.leaky_relu(x, negative_slope)


def relu6(x: Any) -> Any:
    """ReLU capped at 6: `min(max(x, 0), 6)`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> relu6(torch.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(relu6, "Relu6", x)
    return F.relu6(x)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: `x` if `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        x: the input tensor.
        alpha: the value the negative side saturates to (as `-alpha`).

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> elu(torch.tensor([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(elu, "Elu", x, alpha=alpha)
    return F.elu(x, alpha)


def selu(x: Any) -> Any:
    """Scaled ELU: `scale * elu(x, alpha)` with `alpha ~ 1.6733`, `scale ~ 1.0507`.

    Use with the `LecunNormal` initializer and `AlphaDropout`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> selu(torch.tensor([0.0])).tolist()
    [0.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(selu, "Selu", x)
    return F.selu(x)


def celu(x: Any, alpha: float = 1.0) -> Any:
    """Continuously differentiable ELU: `max(x, 0) + min(0, alpha * (exp(x /
    alpha) - 1))`.

    Args:
        x: the input tensor.
        alpha: the scale of the negative side.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> celu(torch.tensor([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(celu, "Celu", x, alpha=alpha)
    return F.celu(x, alpha)


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit: `x * P(X <= x)` for `X ~ N(0, 1)`.

    Args:
        x: the input tensor.
        approximate: use the `tanh` approximation instead of the exact
            `0.5 * x * (1 + erf(x / sqrt(2)))`.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> gelu(torch.tensor([0.0])).tolist()
    [0.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(gelu, "Gelu", x, approximate=approximate)
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x: Any) -> Any:
    """Swish / SiLU: `x * sigmoid(x)`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> silu(torch.tensor([0.0])).tolist()
    [0.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(silu, "Silu", x)
    return F.silu(x)


def hard_silu(x: Any) -> Any:
    """Hard SiLU (hard swish): `x * relu6(x + 3) / 6`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> hard_silu(torch.tensor([-4.0, 0.0, 4.0])).tolist()
    [-0.0, 0.0, 4.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(hard_silu, "HardSilu", x)
    return F.hardswish(x)


def mish(x: Any) -> Any:
    """Mish: `x * tanh(softplus(x))`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> mish(torch.tensor([0.0])).tolist()
    [0.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(mish, "Mish", x)
    return F.mish(x)


def softplus(x: Any) -> Any:
    """Softplus: `log(exp(x) + 1)`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> round(softplus(torch.tensor([0.0])).item(), 4)
    0.6931
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(softplus, "Softplus", x)
    return F.softplus(x)


def sparse_plus(x: Any) -> Any:
    """SparsePlus: 0 for `x <= -1`, `(x + 1) ** 2 / 4` on `(-1, 1)`, `x` for
    `x >= 1`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> sparse_plus(torch.tensor([-2.0, 0.0, 2.0])).tolist()
    [0.0, 0.25, 2.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(sparse_plus, "SparsePlus", x)
    shifted = (x + 1.0).clamp(0.0, 2.0)
    return torch.where(x >= 1.0, x, 0.25 * shifted * shifted)


def squareplus(x: Any, b: float = 4) -> Any:
    """Squareplus: `(x + sqrt(x ** 2 + b)) / 2`, a smooth ReLU.

    Args:
        x: the input tensor.
        b: the smoothness; larger is smoother.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> squareplus(torch.tensor([0.0])).tolist()
    [1.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(squareplus, "Squareplus", x, b=b)
    return (x + torch.sqrt(x * x + b)) / 2


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """`x` where `x > threshold`, else `default_value`.

    Args:
        x: the input tensor.
        threshold: the value `x` must exceed to be kept.
        default_value: the value that replaces the others.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> threshold(torch.tensor([-1.0, 1.0, 2.0]), 1.0, -5.0).tolist()
    [-5.0, -5.0, 2.0]
    """
    if not isinstance(x, torch.Tensor):
        # The argument shadows this function's name; `_threshold` is it.
        return not_a_tensor(
            _threshold, "Threshold", x, threshold=threshold, default_value=default_value
        )
    return F.threshold(x, threshold, default_value)


_threshold = threshold


def linear(x: Any) -> Any:
    """The identity: returns `x` unchanged.

    Args:
        x: the input.

    Returns:
        `x` itself.

    Example:
    >>> linear(torch.tensor([-1.0])).tolist()
    [-1.0]
    """
    return x


def exponential(x: Any) -> Any:
    """`exp(x)`.

    Args:
        x: the input tensor.

    Returns:
        A tensor shaped like `x`.

    Example:
    >>> exponential(torch.tensor([0.0])).tolist()
    [1.0]
    """
    if not isinstance(x, torch.Tensor):
        return not_a_tensor(exponential, "Exp", x)
    return torch.exp(x)
