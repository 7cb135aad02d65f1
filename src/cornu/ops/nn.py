"""`keras.ops.nn`: activations, convolution, pooling, losses, normalization.

Layouts follow Keras: images are channels-last by default
(`config.image_data_format()`), convolution kernels are
`(*spatial, in_channels, out_channels)` (transposed convolutions
`(*spatial, out_channels, in_channels)`). The torch kernels run on
channels-first views of the same memory, so no copy is made for 2-D/3-D
channels-last inputs.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch._subclasses.fake_tensor import is_fake
from torch.nn.attention import SDPBackend, sdpa_kernel

from cornu import config
from cornu.ops.core import keras_op
from cornu.ops.dtypes import result_type
from cornu.ops.numpy import _floatx, _t, _tdt, _to_float

Tensor = torch.Tensor
ArrayLike = Any
IntOrSeq = int | Sequence[int]


# --------------------------------------------------------------------------
# activations


def _activation(
    torch_fn: Callable[[Tensor], Tensor],
    name: str,
    class_name: str,
    doc: str,
    to_float: bool = True,
) -> Callable[[ArrayLike], Tensor]:
    """An element-wise activation op; computed in float (ints/bools give
    floatx()) unless `to_float` is False, when the input dtype is kept."""

    def op(x: ArrayLike) -> Tensor:
        x = _t(x)
        return torch_fn(_to_float(x) if to_float else x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return keras_op(class_name)(op)


relu = _activation(
    F.relu, "relu", "Relu", "Rectified linear unit: `max(x, 0)`.", to_float=False
)


relu6 = _activation(F.relu6, "relu6", "Relu6", "`min(max(x, 0), 6)`.", to_float=False)


sigmoid = _activation(
    torch.sigmoid, "sigmoid", "Sigmoid", "Logistic sigmoid: `1 / (1 + exp(-x))`."
)


@keras_op("SparseSigmoid")
def sparse_sigmoid(x: ArrayLike) -> Tensor:
    """0 below -1, 1 above 1, linear `(x + 1) / 2` in between."""
    x = _to_float(_t(x))
    return torch.clamp(0.5 * (x + 1.0), 0.0, 1.0)


softplus = _activation(
    F.softplus, "softplus", "Softplus", "`log(1 + exp(x))`, computed stably."
)


softsign = _activation(F.softsign, "softsign", "Softsign", "`x / (1 + |x|)`.")


@keras_op("SoftShrink")
def soft_shrink(x: ArrayLike, threshold: float = 0.5) -> Tensor:
    """Shrinks towards zero by `threshold` (0 inside `[-threshold, threshold]`)."""
    return F.softshrink(_to_float(_t(x)), threshold)


@keras_op("HardShrink")
def hard_shrink(x: ArrayLike, threshold: float = 0.5) -> Tensor:
    """`x` where `|x| > threshold`, else 0."""
    return F.hardshrink(_to_float(_t(x)), threshold)


tanh_shrink = _activation(F.tanhshrink, "tanh_shrink", "TanhShrink", "`x - tanh(x)`.")


@keras_op("SparsePlus")
def sparse_plus(x: ArrayLike) -> Tensor:
    """0 below -1, `x` above 1, `(x + 1)**2 / 4` in between."""
    x = _to_float(_t(x))
    mid = 0.25 * torch.square(x + 1.0)
    return torch.where(x <= -1.0, torch.zeros_like(x), torch.where(x >= 1.0, x, mid))


silu = _activation(F.silu, "silu", "Silu", "Sigmoid linear unit: `x * sigmoid(x)`.")


def swish(x: ArrayLike) -> Tensor:
    """Same as `silu`."""
    return silu(x)


@keras_op("Squareplus")
def squareplus(x: ArrayLike, b: float = 4) -> Tensor:
    """`(x + sqrt(x**2 + b)) / 2`, a smooth ReLU."""
    x = _to_float(_t(x))
    return 0.5 * (x + torch.sqrt(torch.square(x) + b))


log_sigmoid = _activation(
    F.logsigmoid, "log_sigmoid", "LogSigmoid", "`log(sigmoid(x))`, computed stably."
)


@keras_op("LeakyRelu")
def leaky_relu(x: ArrayLike, negative_slope: float = 0.2) -> Tensor:
    """`x` for positive inputs, `negative_slope * x` otherwise."""
    return F.leaky_relu(_to_float(_t(x)), negative_slope)


hard_sigmoid = _activation(
    F.hardsigmoid,
    "hard_sigmoid",
    "HardSigmoid",
    "Piece-wise linear sigmoid: `relu6(x + 3) / 6`.",
)


hard_silu = _activation(F.hardswish, "hard_silu", "HardSilu", "`x * hard_sigmoid(x)`.")


def hard_swish(x: ArrayLike) -> Tensor:
    """Same as `hard_silu`."""
    return hard_silu(x)


hard_tanh = _activation(
    F.hardtanh, "hard_tanh", "HardTanh", "`x` clipped to `[-1, 1]`.", to_float=False
)


@keras_op("Elu")
def elu(x: ArrayLike, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: `x` if positive, `alpha * (exp(x) - 1)` else."""
    return F.elu(_to_float(_t(x)), alpha=alpha)


selu = _activation(
    F.selu, "selu", "Selu", "Scaled exponential linear unit (Klambauer et al., 2017)."
)


@keras_op("Celu")
def celu(x: ArrayLike, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU: `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`."""
    return F.celu(_to_float(_t(x)), alpha=alpha)


@keras_op("Gelu")
def gelu(x: ArrayLike, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit (the tanh approximation by default, as Keras)."""
    return F.gelu(_to_float(_t(x)), approximate="tanh" if approximate else "none")


@keras_op("Glu")
def glu(x: ArrayLike, axis: int = -1) -> Tensor:
    """Gated linear unit: `a * sigmoid(b)`, `a, b` the halves of `x` on `axis`.

    Raises:
        ValueError: when `x.shape[axis]` is odd.
    """
    x = _to_float(_t(x))
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu expects an even size along axis {axis}, received shape "
            f"{tuple(x.shape)}."
        )
    return F.glu(x, dim=axis)


@keras_op("Threshold")
def threshold(x: ArrayLike, threshold: float, default_value: float) -> Tensor:
    """`x` where `x > threshold`, else `default_value`."""
    return F.threshold(_t(x), threshold, default_value)


def _over_axes(fn: Any, x: Tensor, axis: Any) -> Tensor:
    """Applies a last-axis function over one axis, several, or all (None)."""
    if isinstance(axis, int):
        return fn(x, dim=axis)
    dims = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    rest = [d for d in range(x.ndim) if d not in dims]
    moved = x.permute(*rest, *dims)
    flat = moved.reshape(*moved.shape[: len(rest)], -1)
    out = fn(flat, dim=-1).reshape(moved.shape)
    inverse = [0] * x.ndim
    for i, d in enumerate((*rest, *dims)):
        inverse[d] = i
    return out.permute(*inverse)


def _half_on_cpu(x: Tensor) -> tuple[Tensor, torch.dtype]:
    dtype = x.dtype
    if dtype == torch.float16 and x.device.type == "cpu":
        x = x.float()
    return x, dtype


@keras_op("Softmax")
def softmax(x: ArrayLike, axis: int | Sequence[int] | None = -1) -> Tensor:
    """Softmax over `axis` (an int, a tuple of axes, or all axes for None).

    Example:
        >>> softmax([1.0, 1.0])
        tensor([0.5000, 0.5000])
    """
    if type(x) is Tensor and type(axis) is int and x.dtype in _SOFTMAX_DTYPES:
        return torch.softmax(x, axis)  # the common case, straight to torch
    x, dtype = _half_on_cpu(_to_float(_t(x)))
    return _over_axes(F.softmax, x, axis).to(dtype)


# Dtypes torch's softmax computes as Keras does on any device (float16 on the
# CPU goes through float32 instead).
_SOFTMAX_DTYPES = frozenset({torch.float32, torch.float64, torch.bfloat16})


@keras_op("LogSoftmax")
def log_softmax(x: ArrayLike, axis: int | Sequence[int] | None = -1) -> Tensor:
    """Log of the softmax over `axis`, computed stably."""
    x, dtype = _half_on_cpu(_to_float(_t(x)))
    return _over_axes(F.log_softmax, x, axis).to(dtype)


@keras_op("Sparsemax")
def sparsemax(x: ArrayLike, axis: int = -1) -> Tensor:
    """Sparsemax (Martins & Astudillo, 2016): a projection onto the simplex
    that gives exact zeros."""
    x = _to_float(_t(x))
    z, _ = torch.sort(x, dim=axis, descending=True)
    k = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device)
    shape = [1] * x.ndim
    shape[axis] = -1
    k = k.reshape(shape)
    cum = torch.cumsum(z, dim=axis)
    support = (1 + k * z) > cum
    k_max = torch.sum(support, dim=axis, keepdim=True)
    tau = (torch.sum(torch.where(support, z, 0.0), dim=axis, keepdim=True) - 1) / k_max
    return torch.clamp(x - tau, min=0.0)


@keras_op("Polar")
def polar(abs_: ArrayLike, angle: ArrayLike) -> Tensor:
    """Complex numbers from magnitudes and angles."""
    a, t = _to_float(_t(abs_)), _to_float(_t(angle))
    return torch.polar(a, t.to(a.dtype))


# --------------------------------------------------------------------------
# convolution and pooling


def _data_format(data_format: str | None) -> str:
    fmt = config.image_data_format() if data_format is None else data_format.lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first', "
            f"received: {data_format!r}."
        )
    return fmt


def _tuple(value: IntOrSeq, n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    out = tuple(int(v) for v in value)
    if len(out) != n:
        raise ValueError(f"`{name}` must have {n} values, received: {value}.")
    return out


def _to_channels_first(x: Tensor) -> Tensor:
    # A permuted view: for 4-D/5-D it is exactly torch's channels_last
    # memory format, which the conv kernels take without copying.
    return x.movedim(-1, 1)


def _to_channels_last(x: Tensor) -> Tensor:
    return x.movedim(1, -1)


def _spatial_rank(x: Tensor, what: str) -> int:
    n = x.ndim - 2
    if n not in (1, 2, 3):
        raise ValueError(
            f"{what} expects inputs of rank 3, 4 or 5 (batch, spatial..., "
            f"channels), received shape {tuple(x.shape)}."
        )
    return n


def _same_pads(
    size: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
) -> list[tuple[int, int]]:
    """TensorFlow-style "same" padding (the extra pixel goes at the end)."""
    pads = []
    for n, k, s, d in zip(size, kernel, strides, dilation):
        eff = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + eff - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _pad_spatial(x: Tensor, pads: Sequence[tuple[int, int]], value: float = 0.0):
    flat = [v for pair in reversed(pads) for v in pair]
    return F.pad(x, flat, value=value)


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _kernel_to_torch(kernel: Tensor) -> Tensor:
    """`(*spatial, a, b)` to torch's `(b, a, *spatial)`."""
    n = kernel.ndim - 2
    return kernel.permute(n + 1, n, *range(n))


def _conv_inputs(inputs: Any, kernel: Any) -> tuple[Tensor, Tensor]:
    x, k = _t(inputs), _t(kernel)
    if x.dtype != k.dtype:
        dtype = _tdt(result_type(x.dtype, k.dtype))
        x, k = x.to(dtype), k.to(dtype)
    if not x.is_floating_point():
        x, k = x.to(_floatx()), k.to(_floatx())
    return x, k


def _conv_args(
    inputs: Any,
    kernel: Any,
    strides: IntOrSeq,
    data_format: str | None,
    dilation_rate: IntOrSeq,
    what: str,
) -> tuple[Tensor, Tensor, int, str, tuple[int, ...], tuple[int, ...]]:
    """The checked arguments of `conv` / `conv_transpose` (`what`): the
    inputs as a channels-first view, the kernel, the spatial rank, the data
    format, the strides and the dilation rates."""
    x, k = _conv_inputs(inputs, kernel)
    n = _spatial_rank(x, what)
    fmt = _data_format(data_format)
    if fmt == "channels_last":
        x = _to_channels_first(x)
    return (
        x,
        k,
        n,
        fmt,
        _tuple(strides, n, "strides"),
        _tuple(dilation_rate, n, "dilation_rate"),
    )


@keras_op("Conv")
def conv(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: IntOrSeq = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrSeq = 1,
) -> Tensor:
    """N-D convolution (1-D, 2-D or 3-D, from the rank of `inputs`).

    Args:
        inputs: `(batch, *spatial, channels)` (or channels-first).
        kernel: `(*kernel_spatial, in_channels // groups, out_channels)`;
            `groups = channels / kernel.shape[-2]`.
        strides: an int or one per spatial axis.
        padding: `"valid"` or `"same"` (TensorFlow's convention).
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: an int or one per spatial axis.

    Returns:
        The convolved tensor, in the layout of `inputs`.
    """
    x, k, n, fmt, strides_, dil = _conv_args(
        inputs, kernel, strides, data_format, dilation_rate, "conv"
    )
    w = _kernel_to_torch(k)
    channels, per_group = x.shape[1], w.shape[1]
    if channels % per_group:
        raise ValueError(
            f"conv: the input has {channels} channels, which the kernel's "
            f"input channels ({per_group}) do not divide (kernel shape "
            f"{tuple(k.shape)})."
        )
    pad: Any = 0
    padding = padding.lower()
    if padding == "same":
        pads = _same_pads(x.shape[2:], w.shape[2:], strides_, dil)
        if all(a == b for a, b in pads):
            pad = [a for a, _ in pads]
        else:
            x = _pad_spatial(x, pads)
    elif padding != "valid":
        raise ValueError(f"`padding` must be 'valid' or 'same', received: {padding!r}.")
    out = _CONV[n](
        x, w, stride=strides_, padding=pad, dilation=dil, groups=channels // per_group
    )
    return _to_channels_last(out) if fmt == "channels_last" else out


@keras_op("DepthwiseConv")
def depthwise_conv(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: IntOrSeq = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrSeq = 1,
) -> Tensor:
    """Depthwise convolution: each input channel convolved separately.

    `kernel` is `(*kernel_spatial, in_channels, depth_multiplier)`; the
    output has `in_channels * depth_multiplier` channels.
    """
    k = _t(kernel)
    k = k.reshape(*k.shape[:-2], 1, k.shape[-2] * k.shape[-1])
    return conv(inputs, k, strides, padding, data_format, dilation_rate)


@keras_op("SeparableConv")
def separable_conv(
    inputs: ArrayLike,
    depthwise_kernel: ArrayLike,
    pointwise_kernel: ArrayLike,
    strides: IntOrSeq = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrSeq = 1,
) -> Tensor:
    """A depthwise convolution followed by a pointwise (1x1) one."""
    y = depthwise_conv(
        inputs, depthwise_kernel, strides, padding, data_format, dilation_rate
    )
    return conv(y, pointwise_kernel, 1, "valid", data_format, 1)


def _transpose_pads(
    k: int, s: int, d: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """Left/right padding of the stride-dilated input, as Keras/JAX define
    a transposed convolution."""
    eff = (k - 1) * d + 1
    if padding == "valid":
        extra = max(eff, s) - eff if output_padding is None else output_padding
        return eff - 1, eff - 1 + extra
    if padding != "same":
        raise ValueError(f"`padding` must be 'valid' or 'same', received: {padding!r}.")
    if output_padding is None:
        total = s + eff - 2
    else:
        total = eff + eff % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, eff - 1)
    return left, total - left


@keras_op("ConvTranspose")
def conv_transpose(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: IntOrSeq = 1,
    padding: str = "valid",
    output_padding: IntOrSeq | None = None,
    data_format: str | None = None,
    dilation_rate: IntOrSeq = 1,
) -> Tensor:
    """Transposed convolution (the gradient of `conv` with respect to its input).

    Args:
        inputs: `(batch, *spatial, channels)` (or channels-first).
        kernel: `(*kernel_spatial, out_channels, in_channels)`.
        strides: an int or one per spatial axis.
        padding: `"valid"` or `"same"`.
        output_padding: extra size added at the end of each spatial axis.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: an int or one per spatial axis.

    Returns:
        The result, of spatial size `input * stride` for `"same"`.
    """
    x, k, n, fmt, strides_, dil = _conv_args(
        inputs, kernel, strides, data_format, dilation_rate, "conv_transpose"
    )
    out_pad = (
        (None,) * n
        if output_padding is None
        else _tuple(output_padding, n, "output_padding")
    )
    w = _kernel_to_torch(k)  # (in, out, *spatial): torch's transposed layout
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"conv_transpose: the input has {x.shape[1]} channels but the "
            f"kernel expects {w.shape[0]} (kernel shape {tuple(k.shape)})."
        )
    # torch's full output corresponds to a padding of (eff - 1) on both
    # sides; crop (or zero-pad, for negative crops) the difference.
    crops = []
    for i in range(n):
        eff = (w.shape[2 + i] - 1) * dil[i] + 1
        left, right = _transpose_pads(
            w.shape[2 + i], strides_[i], dil[i], padding.lower(), out_pad[i]
        )
        crops.append((eff - 1 - left, eff - 1 - right))
    sym = all(a == b and a >= 0 for a, b in crops)
    out = _CONV_T[n](
        x, w, stride=strides_, padding=[a for a, _ in crops] if sym else 0, dilation=dil
    )
    if not sym:
        index = [slice(None), slice(None)]
        for a, b in crops:
            index.append(slice(max(a, 0), out.shape[len(index)] - max(b, 0)))
        out = out[tuple(index)]
        if any(a < 0 or b < 0 for a, b in crops):
            out = _pad_spatial(out, [(max(-a, 0), max(-b, 0)) for a, b in crops])
    return _to_channels_last(out) if fmt == "channels_last" else out


_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _pool_args(inputs: Any, pool_size: Any, strides: Any, data_format: Any, what):
    x = _t(inputs)
    n = _spatial_rank(x, what)
    fmt = _data_format(data_format)
    size = _tuple(pool_size, n, "pool_size")
    stride = size if strides is None else _tuple(strides, n, "strides")
    if fmt == "channels_last":
        x = _to_channels_first(x)
    return x, n, fmt, size, stride


@keras_op("MaxPool")
def max_pool(
    inputs: ArrayLike,
    pool_size: IntOrSeq,
    strides: IntOrSeq | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Max pooling over 1, 2 or 3 spatial axes.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels-first).
        pool_size: an int or one per spatial axis.
        strides: defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The pooled tensor, in the layout of `inputs`.
    """
    x, n, fmt, size, stride = _pool_args(
        inputs, pool_size, strides, data_format, "max_pool"
    )
    pad: Any = 0
    if padding.lower() == "same":
        pads = _same_pads(x.shape[2:], size, stride, (1,) * n)
        if all(a == b and 2 * a <= k for (a, b), k in zip(pads, size)):
            pad = [a for a, _ in pads]
        else:
            low = -math.inf if x.is_floating_point() else torch.iinfo(x.dtype).min
            x = _pad_spatial(x, pads, value=low)
    out = _MAX_POOL[n](x, size, stride, pad)
    return _to_channels_last(out) if fmt == "channels_last" else out


@keras_op("AveragePool")
def average_pool(
    inputs: ArrayLike,
    pool_size: IntOrSeq,
    strides: IntOrSeq | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Average pooling; with `"same"` padding, padded cells are not counted."""
    x, n, fmt, size, stride = _pool_args(
        inputs, pool_size, strides, data_format, "average_pool"
    )
    if padding.lower() != "same":
        out = _AVG_POOL[n](x, size, stride, 0)
    else:
        pads = _same_pads(x.shape[2:], size, stride, (1,) * n)
        if all(a == b and 2 * a <= k for (a, b), k in zip(pads, size)):
            out = _AVG_POOL[n](
                x, size, stride, [a for a, _ in pads], count_include_pad=False
            )
        else:
            # Sum over the zero-padded input, divided by the number of real
            # cells in each window.
            area = math.prod(size)
            total = _AVG_POOL[n](_pad_spatial(x, pads), size, stride, 0) * area
            ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
            count = _AVG_POOL[n](_pad_spatial(ones, pads), size, stride, 0) * area
            out = total / count
    return _to_channels_last(out) if fmt == "channels_last" else out


def _size_arg(value: IntOrSeq) -> int | tuple[int, ...]:
    return value if isinstance(value, int) else tuple(int(v) for v in value)


_ADAPTIVE_AVG: dict[int, Any] = {
    1: F.adaptive_avg_pool1d,
    2: F.adaptive_avg_pool2d,
    3: F.adaptive_avg_pool3d,
}
_ADAPTIVE_MAX: dict[int, Any] = {
    1: F.adaptive_max_pool1d,
    2: F.adaptive_max_pool2d,
    3: F.adaptive_max_pool3d,
}


def _adaptive_pool(
    pools: dict[int, Any],
    what: str,
    inputs: ArrayLike,
    output_size: IntOrSeq,
    data_format: str | None,
) -> Tensor:
    """The torch adaptive pool for the inputs' spatial rank, on channels-first
    views; `what` names the op in errors."""
    x = _t(inputs)
    n = _spatial_rank(x, what)
    fmt = _data_format(data_format)
    if fmt == "channels_last":
        x = _to_channels_first(x)
    out = pools[n](x, _tuple(output_size, n, "output_size"))
    return _to_channels_last(out) if fmt == "channels_last" else out


@keras_op("AdaptiveAveragePool")
def adaptive_average_pool(
    inputs: ArrayLike, output_size: IntOrSeq, data_format: str | None = None
) -> Tensor:
    """Average pooling to a fixed spatial `output_size`."""
    return _adaptive_pool(
        _ADAPTIVE_AVG, "adaptive_average_pool", inputs, output_size, data_format
    )


@keras_op("AdaptiveMaxPool")
def adaptive_max_pool(
    inputs: ArrayLike, output_size: IntOrSeq, data_format: str | None = None
) -> Tensor:
    """Max pooling to a fixed spatial `output_size`."""
    return _adaptive_pool(
        _ADAPTIVE_MAX, "adaptive_max_pool", inputs, output_size, data_format
    )


@keras_op("Unfold")
def unfold(
    x: ArrayLike,
    kernel_size: IntOrSeq,
    dilation: IntOrSeq = 1,
    padding: IntOrSeq = 0,
    stride: IntOrSeq = 1,
) -> Tensor:
    """Sliding local blocks of a channels-first `(N, C, H, W)` batch, as
    `(N, C * kh * kw, L)` (torch's `unfold`)."""
    return F.unfold(
        _t(x),
        _size_arg(kernel_size),
        dilation=_size_arg(dilation),
        padding=_size_arg(padding),
        stride=_size_arg(stride),
    )


@keras_op("Fold")
def fold(
    x: ArrayLike,
    output_size: IntOrSeq,
    kernel_size: IntOrSeq,
    dilation: IntOrSeq = 1,
    padding: IntOrSeq = 0,
    stride: IntOrSeq = 1,
) -> Tensor:
    """The inverse of `unfold`: sums blocks `(N, C * kh * kw, L)` back into
    `(N, C, H, W)`."""
    return F.fold(
        _t(x),
        _size_arg(output_size),
        _size_arg(kernel_size),
        dilation=_size_arg(dilation),
        padding=_size_arg(padding),
        stride=_size_arg(stride),
    )


@keras_op("DepthToSpace")
def depth_to_space(
    x: ArrayLike, block_size: int, data_format: str = "channels_last"
) -> Tensor:
    """Moves channel blocks into `block_size` x `block_size` spatial tiles.

    Channels-last inputs use TensorFlow's channel order `(row, col, c)`;
    channels-first inputs use torch's `pixel_shuffle` order `(c, row, col)`,
    as Keras's torch backend does.
    """
    x = _t(x)
    b = int(block_size)
    if _data_format(data_format) == "channels_first":
        return F.pixel_shuffle(x, b)
    n, h, w, c = x.shape
    y = x.reshape(n, h, w, b, b, c // (b * b)).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h * b, w * b, c // (b * b))


@keras_op("SpaceToDepth")
def space_to_depth(
    x: ArrayLike, block_size: int, data_format: str = "channels_last"
) -> Tensor:
    """Moves `block_size` x `block_size` spatial tiles into channels (the
    inverse of `depth_to_space`)."""
    x = _t(x)
    b = int(block_size)
    if _data_format(data_format) == "channels_first":
        return F.pixel_unshuffle(x, b)
    n, h, w, c = x.shape
    y = x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h // b, w // b, b * b * c)


# --------------------------------------------------------------------------
# encodings


@keras_op("OneHot")
def one_hot(
    x: ArrayLike,
    num_classes: int,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
) -> Tensor:
    """One-hot encoding of integer labels (negative labels give all zeros).

    Args:
        x: integer tensor of labels.
        num_classes: depth of the encoding.
        axis: where the new class axis goes.
        dtype: output dtype (floatx() by default).
        sparse: unsupported (must be False).

    Returns:
        A tensor with one more axis than `x`.
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported by the torch backend.")
    x = _t(x).long()
    out = F.one_hot(torch.clamp(x, min=0), num_classes)
    out = out * (x >= 0).unsqueeze(-1)
    out = out.to(_tdt(dtype) if dtype is not None else _floatx())
    if axis != -1 and axis != out.ndim - 1:
        out = torch.movedim(out, -1, axis)
    return out


@keras_op("MultiHot")
def multi_hot(
    inputs: ArrayLike,
    num_classes: int | None = None,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    **kwargs: Any,
) -> Tensor:
    """Multi-hot encoding: 1 for every class present in each row of `inputs`."""
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("multi_hot needs `num_classes`.")
    x = _t(inputs)
    reduce = 1 if x.ndim > 1 else 0
    return torch.amax(
        one_hot(x, num_classes, axis=axis, dtype=dtype, sparse=sparse), dim=reduce
    )


# --------------------------------------------------------------------------
# losses


def _same_shape(target: Tensor, output: Tensor, what: str) -> None:
    if target.shape != output.shape:
        raise ValueError(
            f"{what}: `target` and `output` must have the same shape, "
            f"received target.shape={tuple(target.shape)}, "
            f"output.shape={tuple(output.shape)}."
        )


def _float_pair(target: Any, output: Any) -> tuple[Tensor, Tensor]:
    o = _to_float(_t(output))
    t = _t(target)
    if t.dtype != o.dtype:
        t = t.to(o.dtype)
    return t, o


@keras_op("BinaryCrossentropy")
def binary_crossentropy(
    target: ArrayLike, output: ArrayLike, from_logits: bool = False
) -> Tensor:
    """Element-wise binary cross-entropy (no reduction).

    Probabilities are clipped to `[epsilon, 1 - epsilon]`; logits use the
    stable `log(1 + exp(-|x|))` form.
    """
    t, o = _float_pair(target, output)
    _same_shape(t, o, "binary_crossentropy")
    if from_logits:
        return F.binary_cross_entropy_with_logits(o, t, reduction="none")
    eps = config.epsilon()
    o = torch.clamp(o, eps, 1.0 - eps)
    return -(t * torch.log(o) + (1.0 - t) * torch.log1p(-o))


@keras_op("CategoricalCrossentropy")
def categorical_crossentropy(
    target: ArrayLike, output: ArrayLike, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """Cross-entropy between one-hot (or soft) `target` and `output` over `axis`.

    Probabilities are renormalised to sum to one and clipped to
    `[epsilon, 1 - epsilon]`, as in Keras.
    """
    t, o = _float_pair(target, output)
    _same_shape(t, o, "categorical_crossentropy")
    if o.ndim < 1:
        raise ValueError("categorical_crossentropy expects inputs of rank >= 1.")
    if from_logits:
        log_prob = F.log_softmax(o, dim=axis)
    else:
        eps = config.epsilon()
        o = o / torch.sum(o, dim=axis, keepdim=True)
        log_prob = torch.log(torch.clamp(o, eps, 1.0 - eps))
    return -torch.sum(t * log_prob, dim=axis)


@keras_op("SparseCategoricalCrossentropy")
def sparse_categorical_crossentropy(
    target: ArrayLike, output: ArrayLike, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """Cross-entropy between integer labels `target` and `output` over `axis`.

    `target` has `output`'s shape without the class axis (a trailing size-1
    axis is also accepted). Uses torch's fused `cross_entropy`/`nll_loss`,
    so no one-hot matrix is built.
    """
    o = _to_float(_t(output))
    t = _t(target).long()
    if o.ndim < 1:
        raise ValueError(
            "sparse_categorical_crossentropy expects `output` of rank >= 1."
        )
    if t.ndim == o.ndim and t.shape[axis] == 1:
        t = t.squeeze(axis)
    expected = list(o.shape)
    del expected[axis]
    if list(t.shape) != expected:
        raise ValueError(
            "sparse_categorical_crossentropy: `target` must have the shape of "
            "`output` without the class axis, received "
            f"target.shape={tuple(_t(target).shape)}, output.shape={tuple(o.shape)}."
        )
    squeeze = o.ndim == 1
    if squeeze:
        o, t = o.unsqueeze(0), t.unsqueeze(0)
    else:
        o = o.movedim(axis % o.ndim, 1)
    if from_logits:
        out = F.cross_entropy(o, t, reduction="none")
    else:
        eps = config.epsilon()
        o = o / torch.sum(o, dim=1, keepdim=True)
        out = F.nll_loss(torch.log(torch.clamp(o, eps, 1.0 - eps)), t, reduction="none")
    return out.squeeze(0) if squeeze else out


@keras_op("CTCLoss")
def ctc_loss(
    target: ArrayLike,
    output: ArrayLike,
    target_length: ArrayLike,
    output_length: ArrayLike,
    mask_index: int = 0,
) -> Tensor:
    """Connectionist temporal classification loss, per batch element.

    Args:
        target: `(batch, max_label_length)` int labels.
        output: `(batch, max_time, num_classes)` logits.
        target_length: `(batch,)` label lengths.
        output_length: `(batch,)` output lengths.
        mask_index: the blank class.

    Returns:
        `(batch,)` negative log-likelihoods.
    """
    o = _t(output)
    o = o.to(_tdt(result_type(o.dtype, "float32")))
    log_probs = F.log_softmax(o.transpose(0, 1), dim=-1)
    return F.ctc_loss(
        log_probs,
        _t(target).long(),
        _t(output_length).long(),
        _t(target_length).long(),
        blank=mask_index,
        reduction="none",
    )


@keras_op("CTCDecode")
def ctc_decode(
    inputs: ArrayLike,
    sequence_lengths: ArrayLike,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int | None = 0,
) -> tuple[Tensor, Tensor]:
    """Decodes CTC outputs, greedily or by prefix beam search.

    Args:
        inputs: `(batch, max_time, num_classes)` logits.
        sequence_lengths: `(batch,)` valid lengths.
        strategy: `"greedy"` (best class per step) or `"beam_search"`.
        beam_width: the number of prefixes kept per step (beam search).
        top_paths: the number of best paths returned (beam search).
        merge_repeated: merge repeated classes (greedy only, as in Keras).
        mask_index: the blank class; `None` means the last class.

    Returns:
        `(decoded, scores)`: `decoded` is `(top_paths, batch, max_time)`
        int32 with -1 padding (`top_paths` is 1 for greedy); `scores` is
        `(batch, top_paths)`: the negative summed max logits for greedy, the
        log-probability of each path for beam search.

    Example:
        >>> logits = torch.tensor([[[0.1, 2.0, 0.3], [0.2, 0.1, 3.0]]])
        >>> ctc_decode(logits, [2], strategy="beam_search", beam_width=4)[0]
        tensor([[[1, 2]]], dtype=torch.int32)
    """
    x = _t(inputs)
    x = x.to(_tdt(result_type(x.dtype, "float32")))
    if strategy == "beam_search":
        return _ctc_beam_search(
            x, _t(sequence_lengths), beam_width, top_paths, mask_index
        )
    if strategy != "greedy":
        raise ValueError(
            "ctc_decode expects `strategy` 'greedy' or 'beam_search', received: "
            f"{strategy!r}."
        )
    lengths = _t(sequence_lengths).long()
    batch, steps, classes = x.shape
    blank = classes - 1 if mask_index is None else mask_index
    scores, idx = torch.max(x, dim=-1)
    pad = torch.arange(steps, device=x.device)[None, :] >= lengths[:, None]
    idx = torch.where(pad, blank, idx)
    scores = torch.where(pad, 0.0, scores)
    if merge_repeated:
        rep = F.pad(idx[:, 1:] == idx[:, :-1], (1, 0))
        idx = torch.where(rep, blank, idx)
    invalid = idx == blank
    idx = torch.where(invalid, -1, idx)
    order = torch.where(invalid, steps, torch.arange(steps, device=x.device))
    order = torch.argsort(order, dim=-1, stable=True)
    idx = torch.take_along_dim(idx, order, dim=-1)
    return idx.to(torch.int32)[None], -torch.sum(scores, dim=1, keepdim=True)


def _ctc_beam_search(
    x: Tensor, lengths: Tensor, beam_width: int, top_paths: int, mask_index: int | None
) -> tuple[Tensor, Tensor]:
    """CTC prefix beam search, one batch element at a time.

    Each kept prefix carries two log-probabilities: of the frames so far
    ending in a blank, and ending in its last label. A step extends every
    prefix by every label, merges equal prefixes (log-sum-exp per track) and
    keeps the `beam_width` most probable.
    """
    batch, steps, classes = x.shape
    if is_fake(x):
        # Shape inference only (symbolic call): the search itself needs values.
        return (
            torch.full((top_paths, batch, steps), -1, dtype=torch.int32),
            torch.zeros((batch, top_paths), dtype=x.dtype),
        )
    blank = classes - 1 if mask_index is None else mask_index
    logp = torch.log_softmax(x, dim=-1)
    lens = [int(n) for n in lengths.reshape(-1).tolist()]
    paths = torch.full((top_paths, batch, steps), -1, dtype=torch.int32)
    scores = torch.full((batch, top_paths), -torch.inf, dtype=x.dtype)
    for b in range(batch):
        prefixes, totals = _ctc_beam_one(logp[b, : max(lens[b], 1)], blank, beam_width)
        k = min(top_paths, totals.shape[0])
        best = torch.argsort(totals, descending=True, stable=True)[:k]
        paths[:k, b, : prefixes.shape[1]] = prefixes[best].to(torch.int32).cpu()
        scores[b, :k] = totals[best].cpu()
    return paths.to(x.device), scores.to(x.device)


def _ctc_beam_one(logp: Tensor, blank: int, beam_width: int) -> tuple[Tensor, Tensor]:
    """Prefixes `(n, T)` (-1 padded) and their total log-probabilities `(n,)`."""
    steps, classes = logp.shape
    dev, neg = logp.device, -torch.inf
    labels = torch.tensor([c for c in range(classes) if c != blank], device=dev)
    prefixes = torch.full((1, steps), -1, dtype=torch.long, device=dev)
    length = torch.zeros(1, dtype=torch.long, device=dev)  # labels per prefix
    p_blank = torch.zeros(1, dtype=logp.dtype, device=dev)  # log 1: empty prefix
    p_label = torch.full((1,), neg, dtype=logp.dtype, device=dev)
    rows = torch.arange(steps, device=dev)
    for t in range(steps):
        n, m = prefixes.shape[0], labels.shape[0]
        last = torch.where(
            length > 0, prefixes.gather(1, (length - 1).clamp(min=0)[:, None])[:, 0], -1
        )
        total = torch.logaddexp(p_blank, p_label)
        # Staying on the same prefix: a blank, or the last label repeated.
        stay_blank = total + logp[t, blank]
        stay_label = p_label + torch.where(
            last >= 0, logp[t, last.clamp(min=0)], torch.tensor(neg, device=dev)
        )
        # Extending by each label (n, m): after a repeat only the blank track
        # can extend, or the two copies would collapse into one.
        grow = (
            torch.where(
                labels[None, :] == last[:, None], p_blank[:, None], total[:, None]
            )
            + logp[t, labels][None, :]
        )
        grown = prefixes.repeat_interleave(m, dim=0)  # (n*m, T)
        at = length.repeat_interleave(m)
        grown[rows[None, :] == at[:, None]] = labels.repeat(n)
        cand = torch.cat([prefixes, grown])
        cand_blank = torch.cat(
            [stay_blank, torch.full((n * m,), neg, dtype=logp.dtype, device=dev)]
        )
        cand_label = torch.cat([stay_label, grow.reshape(-1)])
        cand_len = torch.cat([length, at + 1])
        uniq, inverse = torch.unique(cand, dim=0, return_inverse=True)
        p_blank = _logsumexp_into(inverse, cand_blank, uniq.shape[0])
        p_label = _logsumexp_into(inverse, cand_label, uniq.shape[0])
        length = torch.zeros(uniq.shape[0], dtype=torch.long, device=dev)
        length.scatter_(0, inverse, cand_len)
        keep = torch.argsort(
            torch.logaddexp(p_blank, p_label), descending=True, stable=True
        )[:beam_width]
        prefixes, length = uniq[keep], length[keep]
        p_blank, p_label = p_blank[keep], p_label[keep]
    return prefixes, torch.logaddexp(p_blank, p_label)


def _logsumexp_into(index: Tensor, values: Tensor, size: int) -> Tensor:
    """Log-sum-exp of `values` grouped by `index` into `size` buckets."""
    top = torch.full((size,), -torch.inf, dtype=values.dtype, device=values.device)
    top = top.scatter_reduce(0, index, values, "amax")
    safe = torch.where(torch.isinf(top), torch.zeros_like(top), top)
    acc = torch.zeros_like(top).scatter_add(0, index, torch.exp(values - safe[index]))
    return torch.log(acc) + safe


# --------------------------------------------------------------------------
# normalization and statistics


def _axes_list(axes: Any, ndim: int) -> list[int]:
    if isinstance(axes, int):
        axes = [axes]
    return sorted(a % ndim for a in axes)


@keras_op("Moments")
def moments(
    x: ArrayLike, axes: Any, keepdims: bool = False, synchronized: bool = False
) -> tuple[Tensor, Tensor]:
    """Mean and (population) variance of `x` over `axes`.

    float16 inputs are computed in float32 and clipped back into range.

    Raises:
        NotImplementedError: for `synchronized=True`.
    """
    if synchronized:
        raise NotImplementedError("moments(synchronized=True) is not supported.")
    x = _to_float(_t(x))
    dtype = x.dtype
    if dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    dims = _axes_list(axes, x.ndim)
    var, mean = torch.var_mean(x, dim=dims, keepdim=keepdims, correction=0)
    if dtype != x.dtype:
        info = torch.finfo(dtype)
        mean = torch.clamp(mean, info.min, info.max).to(dtype)
        var = torch.clamp(var, info.min, info.max).to(dtype)
    return mean, var


@keras_op("BatchNorm")
def batch_normalization(
    x: ArrayLike,
    mean: ArrayLike,
    variance: ArrayLike,
    axis: int,
    offset: ArrayLike = None,
    scale: ArrayLike = None,
    epsilon: float = 1e-3,
) -> Tensor:
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, with the 1-D
    statistics laid along `axis`."""
    x = _t(x)
    shape = [1] * x.ndim
    shape[axis] = -1
    inv = torch.rsqrt(_t(variance).reshape(shape) + epsilon)
    if scale is not None:
        inv = inv * _t(scale).reshape(shape)
    out = (x - _t(mean).reshape(shape)) * inv
    if offset is not None:
        out = out + _t(offset).reshape(shape)
    return out


@keras_op("Normalize")
def normalize(
    x: ArrayLike, axis: int = -1, order: int = 2, epsilon: float | None = None
) -> Tensor:
    """`x` divided by its `order`-norm along `axis` (at least `epsilon`)."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"`order` must be an int >= 1, received: {order!r}.")
    x = _to_float(_t(x))
    if x.ndim == 0:
        x = x.reshape(1)
    eps = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
        return x * torch.clamp(inv, max=1.0 / eps)
    norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(norm, min=eps)


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """At least float32 (half precision is too coarse for statistics)."""
    if dtype in (torch.float32, torch.float64):
        return dtype
    return torch.float32


def _norm_dims(axis: Any, ndim: int) -> list[int]:
    return _axes_list(axis, ndim)


def _contiguous_tail(dims: list[int], ndim: int) -> bool:
    return dims == list(range(ndim - len(dims), ndim))


@keras_op("LayerNorm")
def layer_normalization(
    x: ArrayLike,
    gamma: ArrayLike = None,
    beta: ArrayLike = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
    **kwargs: Any,
) -> Tensor:
    """Layer normalization over `axis`, computed in at least float32.

    `rms_scaling=True` (a keyword) scales by the inverse standard deviation
    without centering, as Keras does.
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    x = _t(x)
    dtype = x.dtype
    eps = config.epsilon() if epsilon is None else epsilon
    xc = x.to(_compute_dtype(dtype))
    dims = _norm_dims(axis, xc.ndim)
    bshape = [xc.shape[d] if d in dims else 1 for d in range(xc.ndim)]
    g = None if gamma is None else _t(gamma).to(xc.dtype)
    b = None if beta is None else _t(beta).to(xc.dtype)
    if rms_scaling:
        var = torch.var(xc, dim=dims, keepdim=True, correction=0)
        out = xc * torch.rsqrt(var + eps)
        if g is not None:
            out = out * g.reshape(bshape)
    elif _contiguous_tail(dims, xc.ndim):
        shape = tuple(xc.shape[d] for d in dims)
        out = F.layer_norm(
            xc,
            shape,
            None if g is None else g.reshape(shape),
            None if b is None else b.reshape(shape),
            eps,
        )
    else:
        var, mean = torch.var_mean(xc, dim=dims, keepdim=True, correction=0)
        out = (xc - mean) * torch.rsqrt(var + eps)
        if g is not None:
            out = out * g.reshape(bshape)
        if b is not None:
            out = out + b.reshape(bshape)
    return out.to(dtype)


@keras_op("RMSNorm")
def rms_normalization(
    x: ArrayLike,
    scale: ArrayLike = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
) -> Tensor:
    """`x / sqrt(mean(x**2) + epsilon) * scale` over `axis`, in >= float32."""
    x = _t(x)
    dtype = x.dtype
    eps = config.epsilon() if epsilon is None else epsilon
    xc = x.to(_compute_dtype(dtype))
    dims = _norm_dims(axis, xc.ndim)
    s = None if scale is None else _t(scale).to(xc.dtype)
    if _contiguous_tail(dims, xc.ndim):
        shape = tuple(xc.shape[d] for d in dims)
        out = F.rms_norm(xc, shape, None if s is None else s.reshape(shape), eps)
    else:
        out = xc * torch.rsqrt(
            torch.mean(torch.square(xc), dim=dims, keepdim=True) + eps
        )
        if s is not None:
            out = out * s
    return out.to(dtype)


@keras_op("PSNR")
def psnr(x1: ArrayLike, x2: ArrayLike, max_val: float) -> Tensor:
    """Peak signal-to-noise ratio between two images, in dB.

    Raises:
        ValueError: when the shapes differ.
    """
    a, b = _to_float(_t(x1)), _to_float(_t(x2))
    if a.shape != b.shape:
        raise ValueError(
            f"psnr expects inputs of the same shape, received {tuple(a.shape)} "
            f"and {tuple(b.shape)}."
        )
    mse = torch.mean(torch.square(a - b))
    mv = torch.as_tensor(max_val, dtype=a.dtype, device=a.device)
    return 20.0 * torch.log10(mv) - 10.0 * torch.log10(mse)


# --------------------------------------------------------------------------
# attention


_NOT_FLASH = [
    SDPBackend.EFFICIENT_ATTENTION,
    SDPBackend.CUDNN_ATTENTION,
    SDPBackend.MATH,
]


def attention_kernels(flash_attention: bool | None) -> Any:
    """The context in which `scaled_dot_product_attention` honours the flag.

    `True` allows only the flash kernel (torch raises where it cannot run),
    `False` every kernel but it; `None` defers to
    `keras.config.is_flash_attention_enabled()` and, when that is automatic
    too, lets torch choose (no context at all: the fast path).
    """
    if flash_attention is None:
        flash_attention = config.is_flash_attention_enabled()
    if flash_attention is None:
        return contextlib.nullcontext()
    if flash_attention:
        return sdpa_kernel([SDPBackend.FLASH_ATTENTION])
    return sdpa_kernel(_NOT_FLASH)


@keras_op("DotProductAttention")
def dot_product_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    bias: ArrayLike = None,
    mask: ArrayLike = None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
) -> Tensor:
    """Scaled dot-product attention on `(batch, seq, heads, head_dim)` inputs.

    Args:
        query: `(B, T, N, H)` (or `(B, T, H)` for one head).
        key: `(B, S, K, H)`; `K` may divide `N` (grouped-query attention).
        value: `(B, S, K, H)`.
        bias: added to the logits, broadcastable to `(B, N, T, S)`.
        mask: bool, broadcastable to `(B, N, T, S)`; False positions are
            excluded.
        scale: logits scale, `1 / sqrt(H)` by default.
        is_causal: apply a causal (lower-triangular) mask.
        flash_attention: `True` runs only torch's flash kernel, `False`
            never; `None` follows `keras.config.is_flash_attention_enabled()`
            (automatic by default: torch picks its fastest kernel).
        attn_logits_soft_cap: if set, logits become `cap * tanh(logits / cap)`.

    Returns:
        `(B, T, N, H)`, the layout of `query`.
    """
    q, k, v = _t(query), _t(key), _t(value)
    three_d = q.ndim == 3
    if three_d:
        q, k, v = q.unsqueeze(2), k.unsqueeze(2), v.unsqueeze(2)
    if q.ndim != 4:
        raise ValueError(
            "dot_product_attention expects 3-D or 4-D `query`, received shape "
            f"{tuple(_t(query).shape)}."
        )
    q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, N, T, H)
    n_q, n_kv = q.shape[1], k.shape[1]
    if n_q != n_kv:
        if n_q % n_kv:
            raise ValueError(
                f"dot_product_attention: {n_q} query heads are not a multiple of "
                f"{n_kv} key/value heads."
            )
        k = k.repeat_interleave(n_q // n_kv, dim=1)
        v = v.repeat_interleave(n_q // n_kv, dim=1)
    t_len, s_len = q.shape[2], k.shape[2]
    keep = None if mask is None else _t(mask).to(torch.bool)
    if is_causal:
        causal = torch.ones(t_len, s_len, dtype=torch.bool, device=q.device).tril()
        keep = causal if keep is None else keep & causal
    b = None if bias is None else _t(bias).to(q.dtype)
    if attn_logits_soft_cap is None:
        attn_mask: Tensor | None = b
        if keep is not None:
            # An additive mask with a large finite negative (not a bool mask)
            # keeps fully masked rows finite, as Keras does.
            if attn_mask is None:
                attn_mask = torch.zeros(keep.shape, dtype=q.dtype, device=q.device)
            attn_mask = attn_mask.masked_fill(~keep, torch.finfo(q.dtype).min)
        with attention_kernels(flash_attention):
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn_mask, scale=scale
            )
    else:
        sc = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
        logits = torch.matmul(q, k.transpose(-1, -2)) * sc
        cap = attn_logits_soft_cap
        logits = cap * torch.tanh(logits / cap)
        if b is not None:
            logits = logits + b
        if keep is not None:
            logits = logits.masked_fill(~keep, torch.finfo(logits.dtype).min)
        out = torch.matmul(torch.softmax(logits, dim=-1), v)
    out = out.transpose(1, 2)
    return out.squeeze(2) if three_d else out


__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv",
    "conv_transpose",
    "ctc_decode",
    "ctc_loss",
    "depth_to_space",
    "depthwise_conv",
    "dot_product_attention",
    "elu",
    "fold",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "layer_normalization",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "multi_hot",
    "normalize",
    "one_hot",
    "polar",
    "psnr",
    "relu",
    "relu6",
    "rms_normalization",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "space_to_depth",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
    "unfold",
]
