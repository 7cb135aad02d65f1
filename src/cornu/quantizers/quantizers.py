"""The quantization math: abs-max int8 quantization and integer products.

`abs_max_quantize(x, axis)` maps `x` to int8 with one scale per slice along
the non-reduced axes, `scale = 127 / (max |x| + epsilon)`, as Keras does;
dequantizing divides by the scale. `int_matmul` / `int_einsum` multiply two
int8 tensors exactly (an int32 result on every device), and
`with_dequantized_gradient` gives a quantized product the gradient of its
dequantized float counterpart, as Keras's quantized layers do.
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
    "int_einsum",
    "int_matmul",
    "with_dequantized_gradient",
]
