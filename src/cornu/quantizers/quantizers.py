"""The quantization math: abs-max int8/int4 quantization and integer products.

`abs_max_quantize(x, axis)` maps `x` to int8 with one scale per slice along
the non-reduced axes, `scale = 127 / (max |x| + epsilon)`, as Keras does;
dequantizing divides by the scale. `int_matmul` / `int_einsum` multiply two
int8 tensors exactly (an int32 result on every device), and
`with_dequantized_gradient` gives a quantized product the gradient of its
dequantized float counterpart, as Keras's quantized layers do. For int4, `pack_int4` / `unpack_int4` hold
two values per int8 byte, and `abs_max_quantize_grouped_with_zero_point`
quantizes groups of rows asymmetrically (a step and a zero point each).
For float8 training, `quantize_and_dequantize` rounds through a float8 dtype
and `compute_float8_scale` / `compute_float8_amax_history` give the delayed
scaling updates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from cornu import config


def abs_max_quantize(
    inputs: torch.Tensor,
    axis: int | Sequence[int],
    value_range: tuple[int, int] = (-127, 127),
    dtype: str = "int8",
    epsilon: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Quantizes `inputs` to integers with an abs-max scale per slice.

    Args:
        inputs: a float tensor.
        axis: the axis or axes reduced for the scale (kept with size 1).
        value_range: the integer range; values are rounded half to even,
            then clipped into it.
        dtype: the integer dtype of the result.
        epsilon: added to the maximum (default `config.epsilon()`).

    Returns:
        `(quantized, scale)`: `quantized ≈ inputs * scale`, and `scale` in
        `inputs`'s dtype with the reduced axes kept.

    Example:
    >>> q, s = abs_max_quantize(torch.tensor([[1.0, -2.0], [0.5, 0.25]]), axis=-1)
    >>> q.tolist(), tuple(s.shape)
    ([[64, -127], [127, 63]], (2, 1))
    """
    eps = config.epsilon() if epsilon is None else epsilon
    dims = (axis,) if isinstance(axis, int) else tuple(axis)
    x = inputs.detach() if inputs.requires_grad else inputs
    denom = torch.amax(torch.abs(x), dim=dims, keepdim=True) + eps
    # A true division (a scalar over a tensor divides by its reciprocal in
    # torch, one ulp away from Keras's scale).
    scale = torch.div(denom.new_tensor(float(value_range[1])), denom).to(x.dtype)
    q = torch.clamp(torch.round(x * scale), value_range[0], value_range[1])
    return q.to(config.torch_dtype(dtype)), scale


def _exact_dtype(device: torch.device) -> torch.dtype:
    # float64 holds every int8 x int8 dot product of realistic length exactly
    # and runs on BLAS; devices without float64 use int32 arithmetic.
    return torch.float64 if device.type in ("cpu", "meta") else torch.int32


def int_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """`a @ b` for int8 `a` and `b`, as an exact int32 tensor.

    Example:
    >>> a = torch.tensor([[100, -100]], dtype=torch.int8)
    >>> int_matmul(a, a.T).tolist()
    [[20000]]
    """
    if (
        a.device.type == "cuda"
        and a.dim() == 2
        and b.dim() == 2
        and a.shape[0] > 16
        and a.shape[1] >= 16
        and a.shape[1] % 8 == 0
        and b.shape[1] % 8 == 0
    ):
        try:
            return torch._int_mm(a, b)
        except RuntimeError:
            pass
    if a.device.type == "cuda":
        # cuBLAS has no integer GEMM here; float32 is exact below 2**24
        # (and autocast must not round it to 16 bits).
        with torch.autocast("cuda", enabled=False):
            return torch.matmul(a.float(), b.float()).to(torch.int32)
    dtype = _exact_dtype(a.device)
    return torch.matmul(a.to(dtype), b.to(dtype)).to(torch.int32)


def int_einsum(equation: str, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """`einsum(equation, a, b)` for int8 operands, as an exact int32 tensor."""
    if a.device.type == "cuda":
        with torch.autocast("cuda", enabled=False):
            return torch.einsum(equation, a.float(), b.float()).to(torch.int32)
    dtype = _exact_dtype(a.device)
    return torch.einsum(equation, a.to(dtype), b.to(dtype)).to(torch.int32)


class _DequantizedGradient(torch.autograd.Function):
    """Forward: a precomputed quantized result; backward: the input gradient
    of `float_fn`, the same product with the dequantized weight."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, inputs: torch.Tensor, output: torch.Tensor, float_fn: Callable
    ) -> torch.Tensor:
        ctx.save_for_backward(inputs)
        ctx.float_fn = float_fn
        return output.detach()

    @staticmethod
    def backward(ctx: Any, upstream: torch.Tensor) -> Any:  # type: ignore[override]
        (inputs,) = ctx.saved_tensors
        with torch.enable_grad():
            x = inputs.detach().requires_grad_(True)
            y = ctx.float_fn(x)
            (grad,) = torch.autograd.grad(y, x, upstream.to(y.dtype))
        return grad, None, None


def with_dequantized_gradient(
    inputs: torch.Tensor, output: torch.Tensor, float_fn: Callable
) -> torch.Tensor:
    """`output`, whose gradient with respect to `inputs` is that of `float_fn`.

    Args:
        inputs: the float inputs of a quantized product.
        output: the product computed in integers (no gradient).
        float_fn: the same linear map on float inputs, with the dequantized
            weight.
    """
    if not (torch.is_grad_enabled() and inputs.requires_grad):
        return output
    return _DequantizedGradient.apply(inputs, output, float_fn)


def abs_max_quantize_grouped_with_zero_point(
    inputs: torch.Tensor,
    block_size: int,
    value_range: tuple[int, int] = (-8, 7),
    dtype: str = "int8",
    epsilon: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Asymmetric quantization of a 2D tensor in groups of rows.

    The rows (axis 0, the contracted axis of a kernel) are cut into groups
    of `block_size` (the last one zero-padded); each group has, per column,
    a step `scale = (max - min + epsilon) / (qmax - qmin)` and a zero point
    `round(-min / scale) + qmin`, as Keras computes them. Dequantizing is
    `(q - zero) * scale`.

    Args:
        inputs: a float tensor of shape `(rows, columns)`.
        block_size: the number of rows per group.
        value_range: the integer range `(qmin, qmax)`.
        dtype: the integer dtype of the quantized values.
        epsilon: added to the range (default `config.epsilon()`).

    Returns:
        `(quantized, scale, zero)` of shapes `(rows, columns)`,
        `(groups, columns)` (in `inputs`'s dtype) and `(groups, columns)`
        (int8), `groups = ceil(rows / block_size)`.

    Example:
    >>> q, s, z = abs_max_quantize_grouped_with_zero_point(
    ...     torch.tensor([[0.0], [1.5], [3.0]]), block_size=2
    ... )
    >>> q.flatten().tolist(), z.flatten().tolist()
    ([-8, 7, 7], [-8, -8])
    """
    eps = config.epsilon() if epsilon is None else epsilon
    qmin, qmax = value_range
    x = inputs.detach()
    rows, columns = x.shape
    groups = -(-rows // block_size)
    padded = torch.cat([x, x.new_zeros(groups * block_size - rows, columns)])
    blocks = padded.reshape(groups, block_size, columns)
    low = torch.amin(blocks, dim=1, keepdim=True)
    high = torch.amax(blocks, dim=1, keepdim=True)
    scale = ((high - low) + eps) / (qmax - qmin)
    zero = torch.clamp(torch.round(-low / scale) + qmin, qmin, qmax)
    q = torch.clamp(torch.round(blocks / scale) + zero, qmin, qmax)
    q = q.to(config.torch_dtype(dtype)).reshape(groups * block_size, columns)[:rows]
    return q, scale.squeeze(1), zero.squeeze(1).to(torch.int8)


def dequantize_grouped(
    values: torch.Tensor,
    scale: torch.Tensor,
    zero: torch.Tensor,
    g_idx: torch.Tensor,
    group_axis: int = -1,
) -> torch.Tensor:
    """`(values - zero) * scale` with each position's group taken from `g_idx`.

    Args:
        values: the quantized tensor (any integer or float dtype).
        scale: the per-group steps, groups along `group_axis`.
        zero: the per-group zero points, shaped like `scale`.
        g_idx: for each position along the dequantized axis, its group.
        group_axis: the axis of `scale` / `zero` that holds the groups.
    """
    groups = g_idx.to(torch.long)
    scales = torch.index_select(scale, group_axis, groups)
    zeros = torch.index_select(zero, group_axis, groups).to(scales.dtype)
    return (values - zeros) * scales


def pack_int4(
    values: torch.Tensor, axis: int = 0, dtype: str = "int8"
) -> tuple[torch.Tensor, tuple[int, ...], int]:
    """Packs int4 values (`[-8, 7]`, held in int8) two per byte along `axis`.

    Element `2i` goes in the low nibble and `2i + 1` in the high nibble of
    byte `i`; an odd length is padded with a zero, as Keras packs.

    Args:
        values: an int8 (or uint8) tensor.
        axis: the axis that is halved.
        dtype: `"int8"` or `"uint8"`, the dtype of `values` and of the result.

    Returns:
        `(packed, packed_shape, original_length)`.

    Example:
    >>> packed, shape, n = pack_int4(torch.tensor([[-3, 7], [2, -8], [1, 0]], dtype=torch.int8))
    >>> packed.tolist(), shape, n
    ([[45, -121], [1, 0]], (2, 2), 3)
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    if values.dtype is not config.torch_dtype(dtype):
        raise TypeError(
            f"Expected {dtype} tensor for packing, got "
            f"{str(values.dtype).replace('torch.', '')}."
        )
    x = torch.movedim(values.detach(), axis, 0).to(torch.int16)
    n = x.shape[0]
    if n % 2:
        x = torch.cat([x, x.new_zeros((1, *x.shape[1:]))])
    packed = (x[0::2] & 0x0F) | ((x[1::2] & 0x0F) << 4)  # 0..255
    packed = packed.to(torch.uint8)
    if dtype == "int8":
        packed = packed.view(torch.int8)
    packed = torch.movedim(packed, 0, axis)
    return packed, tuple(packed.shape), n


def unpack_int4(
    packed: torch.Tensor, orig_len: int, axis: int = 0, dtype: str = "int8"
) -> torch.Tensor:
    """The inverse of `pack_int4`: two values per byte, trimmed to `orig_len`.

    Args:
        packed: an int8 or uint8 tensor of packed nibbles.
        orig_len: the length of `axis` before packing.
        axis: the packed axis.
        dtype: `"int8"` gives signed values in `[-8, 7]`, `"uint8"` gives
            `[0, 15]`.

    Example:
    >>> packed = torch.tensor([[45, -121], [1, 0]], dtype=torch.int8)
    >>> unpack_int4(packed, 3).tolist()
    [[-3, 7], [2, -8], [1, 0]]
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    if packed.dtype not in (torch.int8, torch.uint8):
        raise TypeError(
            f"Expected int8 or uint8 tensor for unpacking, got {packed.dtype}"
        )
    x = torch.movedim(packed, axis, 0).to(torch.int16)
    low, high = x & 0x0F, (x >> 4) & 0x0F
    if dtype == "int8":
        # Nibbles 8..15 are the negative values -8..-1.
        low, high = (low ^ 8) - 8, (high ^ 8) - 8
    out = torch.stack([low, high], dim=1).reshape(-1, *x.shape[1:])[:orig_len]
    return torch.movedim(out.to(config.torch_dtype(dtype)), 0, axis)


def compute_float8_scale(
    amax: torch.Tensor, scale: torch.Tensor, dtype_max: Any, margin: int = 0
) -> torch.Tensor:
    """The next float8 scale of delayed scaling, as Keras computes it.

    The scale divides values before the float8 cast; the new one maps
    `amax` to `dtype_max / 2**margin`, and keeps `scale` where `amax` is zero
    or not finite.

    Example:
    >>> compute_float8_scale(torch.tensor(2.0), torch.tensor(1.0), 448.0).item()
    0.004464285913854837
    """
    inverse = torch.reciprocal(scale)
    top = torch.as_tensor(dtype_max, dtype=torch.float32, device=amax.device)
    factor = torch.div(torch.div(top, amax), 2**margin)
    factor = torch.where(amax > 0.0, factor, inverse)
    factor = torch.where(torch.isfinite(amax), factor, inverse)
    return torch.reciprocal(factor)


def compute_float8_amax_history(
    x: torch.Tensor, amax_history: torch.Tensor
) -> torch.Tensor:
    """`amax_history` rolled by one, with `max |x|` written at position 0.

    Example:
    >>> compute_float8_amax_history(torch.tensor([-3.0, 1.0]), torch.tensor([1.0, 2.0, 0.0])).tolist()
    [3.0, 0.0, 1.0]
    """
    amax = torch.amax(torch.abs(x.detach())).to(amax_history.dtype)
    rolled = torch.roll(amax_history, shifts=-1)
    return torch.cat([amax.reshape(1), rolled[1:]])


def quantize_and_dequantize(
    inputs: torch.Tensor, scale: torch.Tensor, quantized_dtype: str, compute_dtype: str
) -> torch.Tensor:
    """`inputs` divided by `scale`, clipped and cast to a float8 dtype, and back.

    Args:
        inputs: a float tensor.
        scale: the scalar scale.
        quantized_dtype: `"float8_e4m3fn"` or `"float8_e5m2"`.
        compute_dtype: the dtype of the computation and of the result.

    Example:
    >>> quantize_and_dequantize(torch.tensor([0.3, 500.0]), torch.tensor(1.0),
    ...                         "float8_e4m3fn", "float32").tolist()
    [0.3125, 448.0]
    """
    low = getattr(torch, quantized_dtype)
    dtype = config.torch_dtype(compute_dtype)
    top = torch.tensor(torch.finfo(low).max, dtype=dtype, device=inputs.device)
    s = scale.to(dtype)
    x = torch.clamp(inputs / s, -top, top)
    return x.to(low).to(dtype) * s


class Quantizer:
    """The base of quantizers: `quantizer(x)` returns quantized values."""

    def __init__(self, output_dtype: str = "int8") -> None:
        self.output_dtype = output_dtype

    def __call__(self, x: Any) -> Any:
        return x

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Quantizer:
        return cls(**config)

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{self} does not implement get_config()")


class AbsMaxQuantizer(Quantizer):
    """Abs-max quantization (`abs_max_quantize`) as a reusable object.

    Args:
        axis: the default reduced axis or axes (`-1` when not given).
        value_range: the integer range (`(-127, 127)`).
        epsilon: added to the maximum (default `config.epsilon()`).
        output_dtype: the integer dtype (`"int8"`).

    Example:
    >>> q, s = AbsMaxQuantizer()(torch.tensor([[2.0, -1.0]]))
    >>> q.tolist()
    [[127, -64]]
    """

    def __init__(
        self,
        axis: int | Sequence[int] | None = None,
        value_range: tuple[int, int] = (-127, 127),
        epsilon: float | None = None,
        output_dtype: str = "int8",
    ) -> None:
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else tuple(_axes(axis))
        self.value_range = tuple(value_range)
        self.epsilon = config.epsilon() if epsilon is None else epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires value_range to "
                "be within the interval [-128, 127]. Received: "
                f"value_range={value_range}"
            )

    def __call__(  # type: ignore[override]
        self, x: torch.Tensor, axis: int | Sequence[int] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        axes = axis if axis is not None else self.axis
        return abs_max_quantize(
            x,
            -1 if axes is None else axes,
            self.value_range,  # type: ignore[arg-type]
            self.output_dtype,
            self.epsilon,
        )

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "value_range": self.value_range,
            "epsilon": self.epsilon,
            "output_dtype": self.output_dtype,
        }
        if self.axis is not None:
            config["axis"] = self.axis
        return config


def _axes(axis: int | Sequence[int]) -> Sequence[int]:
    return (axis,) if isinstance(axis, int) else axis


__all__ = [
    "AbsMaxQuantizer",
    "Quantizer",
    "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point",
    "compute_float8_amax_history",
    "compute_float8_scale",
    "dequantize_grouped",
    "pack_int4",
    "unpack_int4",
    "int_einsum",
    "int_matmul",
    "with_dequantized_gradient",
]
