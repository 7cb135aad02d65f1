"""`keras.ops.numpy`: NumPy-like functions lowered to torch kernels.

Every function accepts torch tensors, numpy arrays and Python scalars (and
nested lists of them), returns torch tensors on `cornu.config.device()`,
follows Keras's argument names and defaults and Keras's dtype rules (see
`cornu.ops.dtypes`), and also works on KerasTensors, where it records a
graph node named like Keras's operation class (`Add`, `Mean`, ...).
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.core.keras_tensor import any_symbolic
from cornu.core.operation import OPS_BY_CLASS_NAME, symbolic_op
from cornu.ops.core import convert_to_tensor, get_item, keras_op
from cornu.ops.dtypes import result_type

Tensor = torch.Tensor
ArrayLike = Any
Axis = int | Sequence[int] | None

_std = config.standardize_dtype


# --------------------------------------------------------------------------
# helpers


def _t(x: Any) -> Tensor:
    """`x` as a tensor; tensors pass through untouched (the hot path)."""
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


def _dt(x: Any) -> Any:
    """What `x` contributes to dtype promotion (Python scalars are weak)."""
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, bool):
        return bool
    if isinstance(x, int):
        return int
    if isinstance(x, float):
        return float
    return _t(x).dtype


def _tdt(name: Any) -> torch.dtype:
    return config.torch_dtype(name)


def _floatx() -> torch.dtype:
    return config.torch_dtype(config.floatx())


def _is_float(x: Tensor) -> bool:
    return x.is_floating_point()


def _to_float(x: Tensor) -> Tensor:
    """Integers and bools become `floatx()`; floats and complex stay."""
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(_floatx())


def _axes(axis: Axis, ndim: int) -> tuple[int, ...] | None:
    """`axis` as a tuple of non-negative ints, or None for all axes."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(a % ndim if ndim else a for a in axis)
    a = int(axis)  # type: ignore[arg-type]
    return (a % ndim if ndim else a,)


def _weak_scalar(t: Any, s: Any) -> bool:
    """True when torch's own tensor-scalar promotion gives Keras's result, so
    the Python scalar can go to the kernel as is (no tensor allocated)."""
    if not isinstance(t, Tensor) or isinstance(s, bool):
        return False
    if isinstance(s, float):
        return t.is_floating_point() or t.is_complex()
    return isinstance(s, int) and t.dtype != torch.bool


def _pair(x1: Any, x2: Any) -> tuple[Tensor, Tensor]:
    """Both operands as tensors, Python scalars converted as Keras does."""
    return _t(x1), _t(x2)


def _promote(*xs: Any, to_float: bool = False) -> list[Tensor]:
    """Tensors cast to a common dtype.

    Keras's torch backend converts Python scalars as Keras does and then
    lets torch promote, which agrees with `result_type` except that 64-bit
    tensors stay 64-bit; so does this. `to_float` lifts integer results to
    floatx().
    """
    ts = [_t(x) for x in xs]
    dtype = ts[0].dtype
    for t in ts[1:]:
        if t.dtype != dtype:
            dtype = (
                torch.result_type(ts[0], t)
                if len(ts) == 2
                else _tdt(result_type(*(u.dtype for u in ts)))
            )
            break
    if to_float and not (dtype.is_floating_point or dtype.is_complex):
        dtype = _floatx()
    return [t if t.dtype == dtype else t.to(dtype) for t in ts]


def _promote_keras(*xs: Any, to_float: bool = False) -> list[Tensor]:
    """Tensors cast to Keras's `result_type` of the inputs (and `float`)."""
    kinds = [_dt(x) for x in xs]
    if to_float:
        kinds.append(float)
    dtype = _tdt(result_type(*kinds))
    return [_t(x).to(dtype) for x in xs]


def _cast_like(x: Tensor, dtype: torch.dtype) -> Tensor:
    return x if x.dtype == dtype else x.to(dtype)


def _rename(fn: Callable[..., Any], name: str, doc: str) -> Callable[..., Any]:
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    fn.__module__ = __name__
    return fn


def _unary(
    torch_fn: Callable[[Tensor], Tensor], name: str, class_name: str, doc: str
) -> Callable[[ArrayLike], Tensor]:
    """An element-wise op whose dtype follows torch's (same as Keras's)."""

    def op(x: ArrayLike) -> Tensor:
        return torch_fn(_t(x))

    return keras_op(class_name)(_rename(op, name, doc))


def _float_unary(
    torch_fn: Callable[[Tensor], Tensor], name: str, class_name: str, doc: str
) -> Callable[[ArrayLike], Tensor]:
    """An element-wise op that computes in float: ints/bools give floatx()."""

    def op(x: ArrayLike) -> Tensor:
        return torch_fn(_to_float(_t(x)))

    return keras_op(class_name)(_rename(op, name, doc))


def _predicate(
    torch_fn: Callable[[Tensor], Tensor], name: str, class_name: str, doc: str
) -> Callable[[ArrayLike], Tensor]:
    def op(x: ArrayLike) -> Tensor:
        return torch_fn(_t(x))

    return keras_op(class_name)(_rename(op, name, doc))


def _binary(
    torch_fn: Callable[[Tensor, Tensor], Tensor],
    name: str,
    class_name: str,
    doc: str,
    promote: bool = False,
    to_float: bool = False,
) -> Callable[[ArrayLike, ArrayLike], Tensor]:
    """A broadcasting binary op.

    By default torch's own promotion applies (it agrees with Keras's on
    tensors); `promote` casts both sides to Keras's `result_type` first,
    and `to_float` also lifts integer results to floatx().
    """

    def op(x1: ArrayLike, x2: ArrayLike) -> Tensor:
        if promote or to_float:
            if to_float:
                dtype = result_type(_dt(x1), _dt(x2), float)
            else:
                dtype = result_type(_dt(x1), _dt(x2))
            td = _tdt(dtype)
            return torch_fn(_t(x1).to(td), _t(x2).to(td))
        a, b = _pair(x1, x2)
        return torch_fn(a, b)

    return keras_op(class_name)(_rename(op, name, doc))


# --------------------------------------------------------------------------
# arithmetic


@keras_op("Add")
def add(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Adds two tensors element-wise, with broadcasting.

    Args:
        x1: first operand.
        x2: second operand.

    Returns:
        The element-wise sum.
    """
    if isinstance(x1, Tensor) and (isinstance(x2, Tensor) or _weak_scalar(x1, x2)):
        return torch.add(x1, x2)
    if _weak_scalar(x2, x1):
        return torch.add(x2, x1)
    return torch.add(*_pair(x1, x2))


@keras_op("Subtract")
def subtract(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Subtracts `x2` from `x1` element-wise, with broadcasting."""
    if _weak_scalar(x1, x2):
        return torch.sub(x1, x2)
    if _weak_scalar(x2, x1):
        return torch.rsub(x2, x1)
    a, b = _pair(x1, x2)
    # torch refuses bool subtraction; Keras takes the other side's dtype.
    if a.dtype == torch.bool:
        a = a.to(b.dtype if b.dtype != torch.bool else torch.int32)
    if b.dtype == torch.bool:
        b = b.to(a.dtype)
    return torch.subtract(a, b)


@keras_op("Multiply")
def multiply(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Multiplies two tensors element-wise, with broadcasting."""
    if isinstance(x1, Tensor) and (isinstance(x2, Tensor) or _weak_scalar(x1, x2)):
        return torch.mul(x1, x2)
    if _weak_scalar(x2, x1):
        return torch.mul(x2, x1)
    return torch.mul(*_pair(x1, x2))


@keras_op("Divide")
def divide(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Divides `x1` by `x2` element-wise; integer inputs give floats."""
    if isinstance(x1, Tensor) and x1.is_floating_point():
        if (isinstance(x2, Tensor) and x2.dtype == x1.dtype) or _weak_scalar(x1, x2):
            return torch.div(x1, x2)
    a, b = _promote(x1, x2, to_float=True)
    return torch.div(a, b)


@keras_op("TrueDivide")
def true_divide(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Same as `divide`."""
    return divide(x1, x2)


@keras_op("DivideNoNan")
def divide_no_nan(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """`x1 / x2`, with 0 wherever `x2` is 0 (no NaN or inf)."""
    a, b = _promote_keras(x1, x2, to_float=True)
    zero = b == 0
    return torch.where(
        zero,
        torch.zeros((), dtype=a.dtype, device=a.device),
        a / torch.where(zero, torch.ones_like(b), b),
    )


@keras_op("FloorDivide")
def floor_divide(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Largest integer not above `x1 / x2`, element-wise."""
    a, b = _promote_keras(x1, x2)
    if a.dtype == torch.bool:
        a, b = a.to(torch.int32), b.to(torch.int32)
        return torch.floor_divide(a, b).to(torch.bool)
    return torch.floor_divide(a, b)


def _remainder(
    torch_fn: Callable[[Tensor, Tensor], Tensor], x1: ArrayLike, x2: ArrayLike
) -> Tensor:
    """`torch_fn` on the promoted operands; bools divide as int32."""
    a, b = _promote(x1, x2)
    if a.dtype == torch.bool:
        return torch_fn(a.to(torch.int32), b.to(torch.int32))
    return torch_fn(a, b)


@keras_op("Mod")
def mod(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Remainder of the division, with the sign of the divisor (as numpy)."""
    return _remainder(torch.remainder, x1, x2)


@keras_op("Fmod")
def fmod(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Remainder of the division, with the sign of the dividend (C fmod)."""
    return _remainder(torch.fmod, x1, x2)


@keras_op("Power")
def power(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """`x1` raised to the power `x2`, element-wise."""
    if isinstance(x1, Tensor) and isinstance(x2, (Tensor, float, int)):
        if not isinstance(x2, Tensor) and (
            x1.is_floating_point() or isinstance(x2, int)
        ):
            return torch.pow(x1, x2)
    return torch.pow(*_pair(x1, x2))


@keras_op("Negative")
def negative(x: ArrayLike) -> Tensor:
    """Numerical negative, element-wise."""
    return torch.negative(_t(x))


@keras_op("Absolute")
def absolute(x: ArrayLike) -> Tensor:
    """Absolute value, element-wise (bools are returned as they are)."""
    x = _t(x)
    return x if x.dtype == torch.bool else torch.abs(x)


@keras_op("Abs")
def abs(x: ArrayLike) -> Tensor:
    """Absolute value, element-wise. Same as `absolute`."""
    x = _t(x)
    return x if x.dtype == torch.bool else torch.abs(x)


@keras_op("Fabs")
def fabs(x: ArrayLike) -> Tensor:
    """Absolute value as a float tensor."""
    return torch.abs(_to_float(_t(x)))


@keras_op("Square")
def square(x: ArrayLike) -> Tensor:
    """Element-wise square (bools give int32)."""
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return torch.square(x)


@keras_op("Sqrt")
def sqrt(x: ArrayLike) -> Tensor:
    """Non-negative square root, element-wise."""
    return torch.sqrt(_to_float(_t(x)))


@keras_op("Reciprocal")
def reciprocal(x: ArrayLike) -> Tensor:
    """`1 / x`, element-wise."""
    return torch.reciprocal(_to_float(_t(x)))


@keras_op("Sign")
def sign(x: ArrayLike) -> Tensor:
    """-1, 0 or 1 according to the sign of each element."""
    x = _t(x)
    if x.is_complex():
        return torch.sgn(x)
    return torch.sign(x)


def _pair_same_dtype(x1: ArrayLike, x2: ArrayLike) -> tuple[Tensor, Tensor]:
    """Both operands as tensors, promoted as Keras does where dtypes differ."""
    a, b = _pair(x1, x2)
    if a.dtype != b.dtype:
        a, b = _promote_keras(x1, x2)
    return a, b


def _extremum(
    torch_fn: Callable[[Tensor, Tensor], Tensor],
    clamp_side: str,
    x1: ArrayLike,
    x2: ArrayLike,
) -> Tensor:
    """`torch_fn` on both operands; a tensor against a number that keeps its
    dtype is one `clamp` of the tensor on `clamp_side` (`"min"`/`"max"`)."""
    if isinstance(x1, Tensor) and isinstance(x2, (int, float)):
        if not isinstance(x2, bool) and (x1.is_floating_point() or isinstance(x2, int)):
            if x1.dtype != torch.bool:
                if clamp_side == "min":
                    return torch.clamp(x1, min=x2)
                return torch.clamp(x1, max=x2)
    return torch_fn(*_pair_same_dtype(x1, x2))


@keras_op("Maximum")
def maximum(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Element-wise maximum (NaN propagates)."""
    return _extremum(torch.maximum, "min", x1, x2)


@keras_op("Minimum")
def minimum(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Element-wise minimum (NaN propagates)."""
    return _extremum(torch.minimum, "max", x1, x2)


@keras_op("Fmax")
def fmax(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Element-wise maximum, ignoring NaNs where the other side is a number."""
    return torch.fmax(*_pair_same_dtype(x1, x2))


@keras_op("Fmin")
def fmin(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Element-wise minimum, ignoring NaNs where the other side is a number."""
    return torch.fmin(*_pair_same_dtype(x1, x2))


@keras_op("Clip")
def clip(x: ArrayLike, x_min: ArrayLike, x_max: ArrayLike) -> Tensor:
    """Limits the values of `x` to `[x_min, x_max]` (bools give int32).

    Args:
        x: input tensor.
        x_min: lower bound (a scalar or a broadcastable tensor).
        x_max: upper bound (a scalar or a broadcastable tensor).

    Returns:
        The clipped tensor.
    """
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    if not isinstance(x_min, (int, float)):
        x_min = _t(x_min)
    if not isinstance(x_max, (int, float)):
        x_max = _t(x_max)
    if isinstance(x_min, Tensor) or isinstance(x_max, Tensor):
        lo = x_min if isinstance(x_min, Tensor) else None
        hi = x_max if isinstance(x_max, Tensor) else None
        if lo is None and x_min is not None:
            lo = torch.as_tensor(x_min, dtype=x.dtype, device=x.device)
        if hi is None and x_max is not None:
            hi = torch.as_tensor(x_max, dtype=x.dtype, device=x.device)
        out = torch.clamp(x, lo, hi)
        return out
    return torch.clamp(x, x_min, x_max)


# --------------------------------------------------------------------------
# element-wise math

exp = _float_unary(torch.exp, "exp", "Exp", "Exponential, element-wise.")
exp2 = _float_unary(torch.exp2, "exp2", "Exp2", "`2 ** x`, element-wise.")
expm1 = _float_unary(torch.expm1, "expm1", "Expm1", "`exp(x) - 1`, element-wise.")
log = _float_unary(torch.log, "log", "Log", "Natural logarithm, element-wise.")
log10 = _float_unary(torch.log10, "log10", "Log10", "Base-10 logarithm.")
log2 = _float_unary(torch.log2, "log2", "Log2", "Base-2 logarithm.")
log1p = _float_unary(torch.log1p, "log1p", "Log1p", "`log(1 + x)`, element-wise.")
sin = _float_unary(torch.sin, "sin", "Sin", "Sine, element-wise.")
cos = _float_unary(torch.cos, "cos", "Cos", "Cosine, element-wise.")
tan = _float_unary(torch.tan, "tan", "Tan", "Tangent, element-wise.")
arcsin = _float_unary(torch.arcsin, "arcsin", "Arcsin", "Inverse sine.")
arccos = _float_unary(torch.arccos, "arccos", "Arccos", "Inverse cosine.")
arctan = _float_unary(torch.arctan, "arctan", "Arctan", "Inverse tangent.")
sinh = _float_unary(torch.sinh, "sinh", "Sinh", "Hyperbolic sine.")
cosh = _float_unary(torch.cosh, "cosh", "Cosh", "Hyperbolic cosine.")
tanh = _float_unary(torch.tanh, "tanh", "Tanh", "Hyperbolic tangent.")
arcsinh = _float_unary(torch.arcsinh, "arcsinh", "Arcsinh", "Inverse sinh.")
arccosh = _float_unary(torch.arccosh, "arccosh", "Arccosh", "Inverse cosh.")
arctanh = _float_unary(torch.arctanh, "arctanh", "Arctanh", "Inverse tanh.")
deg2rad = _float_unary(torch.deg2rad, "deg2rad", "Deg2rad", "Degrees to radians.")
rad2deg = _float_unary(torch.rad2deg, "rad2deg", "Rad2deg", "Radians to degrees.")
sinc = _float_unary(torch.sinc, "sinc", "Sinc", "`sin(pi x) / (pi x)`.")
i0 = _float_unary(torch.special.i0, "i0", "I0", "Modified Bessel function of order 0.")


def _cbrt(x: Tensor) -> Tensor:
    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)


cbrt = _float_unary(_cbrt, "cbrt", "Cbrt", "Real cube root, element-wise.")


floor = _float_unary(torch.floor, "floor", "Floor", "Floor, element-wise.")
ceil = _float_unary(torch.ceil, "ceil", "Ceil", "Ceiling, element-wise.")


@keras_op("Trunc")
def trunc(x: ArrayLike) -> Tensor:
    """Rounds towards zero, element-wise (integers are returned as is)."""
    x = _t(x)
    if not x.is_floating_point():
        return x
    return torch.trunc(x)


@keras_op("Round")
def round(x: ArrayLike, decimals: int = 0) -> Tensor:
    """Rounds half to even, to `decimals` decimal places.

    Args:
        x: input tensor.
        decimals: number of decimal places (may be negative).

    Returns:
        The rounded tensor, with the dtype of `x`.
    """
    x = _t(x)
    if x.is_floating_point():
        return torch.round(x, decimals=decimals)
    if decimals >= 0:
        return x
    # Integer rounding to tens, hundreds...: go through float and come back.
    return torch.round(x.to(torch.float64), decimals=decimals).to(x.dtype)


@keras_op("Conjugate")
def conjugate(x: ArrayLike) -> Tensor:
    """Complex conjugate, element-wise."""
    return torch.conj(_t(x)).resolve_conj()


@keras_op("Conj")
def conj(x: ArrayLike) -> Tensor:
    """Complex conjugate, element-wise."""
    return torch.conj(_t(x)).resolve_conj()


@keras_op("Real")
def real(x: ArrayLike) -> Tensor:
    """Real part of each element."""
    x = _t(x)
    return torch.real(x) if x.is_complex() else x


@keras_op("Imag")
def imag(x: ArrayLike) -> Tensor:
    """Imaginary part of each element (zeros for real inputs)."""
    x = _t(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


@keras_op("Angle")
def angle(x: ArrayLike) -> Tensor:
    """Counter-clockwise angle of each complex element, in radians."""
    return torch.angle(_to_float(_t(x)))


arctan2 = _binary(
    torch.arctan2,
    "arctan2",
    "Arctan2",
    "Element-wise `arctan(x1 / x2)`, by quadrant.",
    to_float=True,
)
hypot = _binary(
    torch.hypot,
    "hypot",
    "Hypot",
    "`sqrt(x1**2 + x2**2)`, element-wise.",
    to_float=True,
)
logaddexp = _binary(
    torch.logaddexp,
    "logaddexp",
    "Logaddexp",
    "`log(exp(x1) + exp(x2))`, stably.",
    to_float=True,
)
logaddexp2 = _binary(
    torch.logaddexp2,
    "logaddexp2",
    "Logaddexp2",
    "`log2(2**x1 + 2**x2)`, stably.",
    to_float=True,
)
nextafter = _binary(
    torch.nextafter,
    "nextafter",
    "Nextafter",
    "The next floating point value after `x1` towards `x2`.",
    to_float=True,
)


@keras_op("Heaviside")
def heaviside(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Heaviside step: 0 where `x1 < 0`, `x2` where `x1 == 0`, 1 where `x1 > 0`."""
    a, b = _promote_keras(x1, x2)
    if a.dtype != torch.bool and not a.is_floating_point():
        a, b = a.to(_floatx()), b.to(_floatx())
    return torch.heaviside(a, b)


@keras_op("Ldexp")
def ldexp(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """`x1 * 2**x2`, element-wise (`x2` integer)."""
    b = _t(x2)
    if b.is_floating_point():
        raise TypeError(
            f"ldexp exponent must be an integer tensor, received dtype {b.dtype}."
        )
    dtype = _tdt(result_type(_dt(x1), _dt(x2), float))
    return torch.ldexp(_t(x1).to(dtype), b)


# --------------------------------------------------------------------------
# comparison and logic


def _cmp(
    torch_fn: Callable[[Any, Any], Tensor], name: str, cls: str, doc: str
) -> Callable[[ArrayLike, ArrayLike], Tensor]:
    def op(x1: ArrayLike, x2: ArrayLike) -> Tensor:
        if isinstance(x1, Tensor) and not isinstance(x2, (list, tuple, np.ndarray)):
            return torch_fn(x1, x2 if isinstance(x2, (Tensor, int, float)) else _t(x2))
        return torch_fn(*_pair(x1, x2))

    return keras_op(cls)(_rename(op, name, doc))


equal = _cmp(torch.eq, "equal", "Equal", "`x1 == x2`, element-wise.")
not_equal = _cmp(torch.ne, "not_equal", "NotEqual", "`x1 != x2`, element-wise.")
less = _cmp(torch.lt, "less", "Less", "`x1 < x2`, element-wise.")
less_equal = _cmp(torch.le, "less_equal", "LessEqual", "`x1 <= x2`, element-wise.")
greater = _cmp(torch.gt, "greater", "Greater", "`x1 > x2`, element-wise.")
greater_equal = _cmp(
    torch.ge, "greater_equal", "GreaterEqual", "`x1 >= x2`, element-wise."
)
logical_and = _binary(
    torch.logical_and, "logical_and", "LogicalAnd", "Element-wise logical AND."
)
logical_or = _binary(
    torch.logical_or, "logical_or", "LogicalOr", "Element-wise logical OR."
)
logical_xor = _binary(
    torch.logical_xor, "logical_xor", "LogicalXor", "Element-wise logical XOR."
)


@keras_op("LogicalNot")
def logical_not(x: ArrayLike) -> Tensor:
    """Element-wise logical NOT."""
    return torch.logical_not(_t(x))


isnan = _predicate(torch.isnan, "isnan", "Isnan", "True where `x` is NaN.")
isinf = _predicate(torch.isinf, "isinf", "Isinf", "True where `x` is +/-inf.")
isfinite = _predicate(
    torch.isfinite, "isfinite", "Isfinite", "True where `x` is neither inf nor NaN."
)
isneginf = _predicate(torch.isneginf, "isneginf", "Isneginf", "True where `x` is -inf.")
isposinf = _predicate(torch.isposinf, "isposinf", "Isposinf", "True where `x` is +inf.")
isreal = _predicate(
    torch.isreal, "isreal", "Isreal", "True where `x` has no imaginary part."
)
signbit = _predicate(
    lambda x: torch.signbit(x) if x.dtype != torch.bool else torch.zeros_like(x),
    "signbit",
    "Signbit",
    "True where the sign bit of `x` is set.",
)


@keras_op("Isclose")
def isclose(
    x1: ArrayLike,
    x2: ArrayLike,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,
) -> Tensor:
    """True where `|x1 - x2| <= atol + rtol * |x2|`, element-wise."""
    a, b = _promote(x1, x2)
    return torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


@keras_op("AllClose")
def allclose(
    x1: ArrayLike,
    x2: ArrayLike,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,
) -> Tensor:
    """True (a 0-d bool tensor) when all elements are `isclose`."""
    a, b = _promote(x1, x2)
    return torch.all(torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


# --------------------------------------------------------------------------
# bitwise


def _int_args(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    a, b = _promote(x, y)
    return a, b


def _bitwise(torch_fn: Callable[..., Tensor], name: str, cls: str, doc: str):
    def op(x: ArrayLike, y: ArrayLike) -> Tensor:
        return torch_fn(*_int_args(x, y))

    return keras_op(cls)(_rename(op, name, doc))


bitwise_and = _bitwise(torch.bitwise_and, "bitwise_and", "BitwiseAnd", "`x & y`.")
bitwise_or = _bitwise(torch.bitwise_or, "bitwise_or", "BitwiseOr", "`x | y`.")
bitwise_xor = _bitwise(torch.bitwise_xor, "bitwise_xor", "BitwiseXor", "`x ^ y`.")
bitwise_left_shift = _bitwise(
    torch.bitwise_left_shift, "bitwise_left_shift", "BitwiseLeftShift", "`x << y`."
)
bitwise_right_shift = _bitwise(
    torch.bitwise_right_shift, "bitwise_right_shift", "BitwiseRightShift", "`x >> y`."
)
left_shift = _bitwise(torch.bitwise_left_shift, "left_shift", "LeftShift", "`x << y`.")
right_shift = _bitwise(
    torch.bitwise_right_shift, "right_shift", "RightShift", "`x >> y`."
)


@keras_op("BitwiseInvert")
def bitwise_invert(x: ArrayLike) -> Tensor:
    """Bit-wise NOT (`~x`)."""
    return torch.bitwise_not(_t(x))


@keras_op("BitwiseNot")
def bitwise_not(x: ArrayLike) -> Tensor:
    """Bit-wise NOT (`~x`)."""
    return torch.bitwise_not(_t(x))


gcd = _bitwise(torch.gcd, "gcd", "Gcd", "Greatest common divisor of `|x1|`, `|x2|`.")
lcm = _bitwise(torch.lcm, "lcm", "Lcm", "Least common multiple of `|x1|`, `|x2|`.")


# --------------------------------------------------------------------------
# reductions


def _reduce_axes(x: Tensor, axis: Axis) -> tuple[int, ...] | None:
    return _axes(axis, x.ndim)


@keras_op("Sum")
def sum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum of elements over `axis` (all axes when `None`).

    Small integer and bool inputs are summed as int32, as in Keras.

    Args:
        x: input tensor.
        axis: an axis or tuple of axes to reduce.
        keepdims: keep reduced axes with size 1.

    Returns:
        The sum.
    """
    x = _stack_if_list(x)
    if axis == () or axis == []:
        return x
    # torch sums integers in int64; Keras keeps the input's integer type
    # (widening only the small ones to int32).
    dtype = _sum_dtype(x.dtype)
    dims = _reduce_axes(x, axis)
    if dims is None:
        out = torch.sum(x, dtype=dtype)
        return _keep(out, x.ndim) if keepdims else out
    return torch.sum(x, dim=dims, keepdim=keepdims, dtype=dtype)


_SMALL_INTS = (torch.bool, torch.uint8, torch.int8, torch.int16)


def _sum_dtype(dtype: torch.dtype) -> torch.dtype | None:
    if dtype in _SMALL_INTS:
        return torch.int32
    if dtype.is_floating_point or dtype.is_complex:
        return None
    return dtype


def _narrow_dtype(dtype: torch.dtype) -> torch.dtype:
    """Keras's `result_type(dtype)`: 64-bit types narrowed, small ints to int32."""
    if dtype in _SMALL_INTS:
        return torch.int32
    return _tdt(result_type(dtype))


def _keep(out: Tensor, ndim: int) -> Tensor:
    return out.reshape((1,) * ndim)


def _stack_if_list(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if (
        isinstance(x, (list, tuple))
        and x
        and builtins.all(isinstance(v, Tensor) for v in x)
    ):
        return torch.stack(list(x))
    return _t(x)


@keras_op("Mean")
def mean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over `axis`; integer and bool inputs give float32.

    Args:
        x: input tensor.
        axis: an axis or tuple of axes (all axes when `None`).
        keepdims: keep reduced axes with size 1.

    Returns:
        The mean, float16/bfloat16 inputs accumulated in float32.

    Example:
        >>> mean([[1, 2], [3, 4]], axis=0)
        tensor([2., 3.])
    """
    x = _stack_if_list(x)
    if axis == () or axis == []:
        return x
    dims = _reduce_axes(x, axis)
    if x.dtype == torch.float32 or x.dtype == torch.float64 or x.is_complex():
        if dims is None:
            out = torch.mean(x)
            return _keep(out, x.ndim) if keepdims else out
        return torch.mean(x, dim=dims, keepdim=keepdims)
    out_dtype = (
        x.dtype if x.is_floating_point() else _tdt(result_type(x.dtype, "float32"))
    )
    x32 = x.to(torch.float32)
    out = (
        torch.mean(x32) if dims is None else torch.mean(x32, dim=dims, keepdim=keepdims)
    )
    if dims is None and keepdims:
        out = _keep(out, x.ndim)
    return out.to(out_dtype)


def _minmax(
    torch_fn: Callable[..., Tensor],
    x: Any,
    axis: Axis,
    keepdims: bool,
    initial: Any,
    combine: Callable[[Tensor, Tensor], Tensor],
    what: str,
) -> Tensor:
    x = _t(x)
    if x.numel() == 0 and not isinstance(x, torch._subclasses.FakeTensor):
        if initial is None:
            raise ValueError(f"Cannot compute the {what} of an empty tensor.")
    if axis == () or axis == []:
        out = x
    else:
        dims = _reduce_axes(x, axis)
        if dims is None:
            out = torch_fn(x)
            if keepdims:
                out = _keep(out, x.ndim)
        else:
            out = torch_fn(x, dim=dims, keepdim=keepdims)
    if initial is not None:
        out = combine(out, torch.as_tensor(initial, dtype=out.dtype, device=out.device))
    return out


@keras_op("Max")
def max(
    x: ArrayLike, axis: Axis = None, keepdims: bool = False, initial: Any = None
) -> Tensor:
    """Maximum over `axis` (all axes when `None`).

    Args:
        x: input tensor.
        axis: an axis or tuple of axes.
        keepdims: keep reduced axes with size 1.
        initial: a lower bound for the result, also used for empty inputs.

    Returns:
        The maximum, with the dtype of `x`.
    """
    return _minmax(torch.amax, x, axis, keepdims, initial, torch.maximum, "max")


@keras_op("Min")
def min(
    x: ArrayLike, axis: Axis = None, keepdims: bool = False, initial: Any = None
) -> Tensor:
    """Minimum over `axis` (all axes when `None`); see `max`."""
    return _minmax(torch.amin, x, axis, keepdims, initial, torch.minimum, "min")


@keras_op("Amax")
def amax(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over `axis`. Same as `max`."""
    return _minmax(torch.amax, x, axis, keepdims, None, torch.maximum, "max")


@keras_op("Amin")
def amin(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over `axis`. Same as `min`."""
    return _minmax(torch.amin, x, axis, keepdims, None, torch.minimum, "min")


@keras_op("Prod")
def prod(
    x: ArrayLike, axis: Axis = None, keepdims: bool = False, dtype: Any = None
) -> Tensor:
    """Product of elements over `axis` (small ints and bools give int32)."""
    x = _t(x)
    td = _tdt(dtype) if dtype is not None else _narrow_dtype(x.dtype)
    x = x.to(td)
    if axis == () or axis == []:
        return x
    dims = _reduce_axes(x, axis)
    if dims is None:
        out = torch.prod(x, dtype=td)
        return _keep(out, x.ndim) if keepdims else out
    # torch.prod reduces one dim at a time.
    for d in sorted(dims, reverse=True):
        x = torch.prod(x, dim=d, keepdim=keepdims, dtype=td)
    return x


def _moment(
    x: Any, axis: Axis, keepdims: bool, fn: Callable[..., Tensor], keep_float: bool
) -> Tensor:
    x = _t(x)
    if keep_float and x.is_floating_point():
        out_dtype = x.dtype
    else:
        out_dtype = _tdt(result_type(x.dtype, float))
    if axis == () or axis == []:
        return torch.zeros_like(x, dtype=out_dtype)
    compute = x if x.dtype in (torch.float32, torch.float64) else x.to(torch.float32)
    dims = _reduce_axes(x, axis)
    out = fn(compute, dim=dims, keepdim=keepdims, correction=0)
    return out.to(out_dtype)


@keras_op("Var")
def var(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population variance (no Bessel correction) over `axis`."""
    return _moment(x, axis, keepdims, torch.var, keep_float=False)


@keras_op("Std")
def std(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation (no Bessel correction) over `axis`."""
    return _moment(x, axis, keepdims, torch.std, keep_float=True)


def _truth_reduce(
    torch_fn: Callable[..., Tensor], x: ArrayLike, axis: Axis, keepdims: bool
) -> Tensor:
    """`torch.all` / `torch.any` over `axis`, always bool; `axis=()` only
    casts."""
    x = _t(x)
    if axis == () or axis == []:
        return x.to(torch.bool)
    dims = _reduce_axes(x, axis)
    if dims is None:
        out = torch_fn(x).to(torch.bool)
        return _keep(out, x.ndim) if keepdims else out
    return torch_fn(x, dim=dims, keepdim=keepdims).to(torch.bool)


@keras_op("All")
def all(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """True where all elements along `axis` are truthy."""
    return _truth_reduce(torch.all, x, axis, keepdims)


@keras_op("Any")
def any(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """True where any element along `axis` is truthy."""
    return _truth_reduce(torch.any, x, axis, keepdims)


def _argext(torch_fn: Callable[..., Tensor], x: Any, axis: Any, keepdims: bool):
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        out = torch_fn(x.reshape(-1))
        if keepdims:
            out = _keep(out, x.ndim)
    else:
        out = torch_fn(x, dim=axis, keepdim=keepdims)
    return out.to(torch.int32)


@keras_op("Argmax")
def argmax(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int32) of the largest value along `axis` (flattened if `None`)."""
    return _argext(torch.argmax, x, axis, keepdims)


@keras_op("Argmin")
def argmin(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int32) of the smallest value along `axis` (flattened if `None`)."""
    return _argext(torch.argmin, x, axis, keepdims)


@keras_op("CountNonzero")
def count_nonzero(x: ArrayLike, axis: Axis = None) -> Tensor:
    """Number of non-zero values along `axis`, as int32."""
    x = _t(x)
    if axis == () or axis == []:
        return torch.ne(x, 0).to(torch.int32)
    return torch.count_nonzero(x, dim=_reduce_axes(x, axis)).to(torch.int32)


@keras_op("Ptp")
def ptp(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Range (`max - min`) of values along `axis`."""
    return subtract(
        max(x, axis=axis, keepdims=keepdims), min(x, axis=axis, keepdims=keepdims)
    )


@keras_op("Average")
def average(x: ArrayLike, axis: int | None = None, weights: Any = None) -> Tensor:
    """Weighted average along `axis` (`weights` 1-D along it, or x's shape)."""
    x = _t(x)
    if weights is None:
        dtype = _tdt(result_type(x.dtype, float))
        return mean(x.to(dtype), axis=axis)
    w = _t(weights)
    dtype = _tdt(result_type(x.dtype, w.dtype, float))
    x, w = x.to(dtype), w.to(dtype)
    if axis is not None and w.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        w = w.reshape(shape)
    return torch.sum(x * w, dim=axis) / torch.sum(w * torch.ones_like(x), dim=axis)


@keras_op("Median")
def median(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Median along `axis` (the mean of the two middle values, as numpy)."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


@keras_op("Quantile")
def quantile(
    x: ArrayLike,
    q: ArrayLike,
    axis: Axis = None,
    method: str = "linear",
    keepdims: bool = False,
) -> Tensor:
    """The `q`-th quantiles (`q` in [0, 1]) of `x` along `axis`.

    Args:
        x: input tensor.
        q: a scalar or 1-D tensor of probabilities.
        axis: an axis or tuple of axes (all when `None`).
        method: `"linear"`, `"lower"`, `"higher"`, `"midpoint"` or `"nearest"`.
        keepdims: keep reduced axes with size 1.

    Returns:
        A tensor with the quantiles first when `q` is 1-D.
    """
    if method not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}, received: {method!r}.")
    return _quantile(x, q, axis, method, keepdims, nan=False)


def _quantile(x: Any, q: Any, axis: Axis, method: str, keepdims: bool, nan: bool):
    x = _t(x)
    out_dtype = _tdt(result_type(x.dtype, float))
    compute = x.to(torch.float64 if x.dtype == torch.float64 else torch.float32)
    qt = _t(q).to(compute.dtype)
    ndim = x.ndim
    dims = _reduce_axes(x, axis)
    if dims is None:
        dims = tuple(range(ndim))
    keep = [d for d in range(ndim) if d not in dims]
    # Move the reduced axes last and merge them into one.
    moved = compute.permute(*keep, *dims)
    flat = moved.reshape(*[x.shape[d] for d in keep], -1)
    fn = torch.nanquantile if nan else torch.quantile
    out = fn(flat, qt, dim=-1, interpolation=method)
    if keepdims:
        shape = list(x.shape)
        for d in dims:
            shape[d] = 1
        out = out.reshape(*qt.shape, *shape)
    return out.to(out_dtype)


@keras_op("Percentile")
def percentile(
    x: ArrayLike,
    q: ArrayLike,
    axis: Axis = None,
    method: str = "linear",
    keepdims: bool = False,
) -> Tensor:
    """The `q`-th percentiles (`q` in [0, 100]); see `quantile`."""
    return quantile(x, divide(q, 100.0), axis=axis, method=method, keepdims=keepdims)


# NaN-ignoring reductions.


def _nan_fill(x: Tensor, value: float) -> Tensor:
    if not x.is_floating_point():
        return x
    return torch.where(
        torch.isnan(x), torch.full((), value, dtype=x.dtype, device=x.device), x
    )


@keras_op("Nansum")
def nansum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum treating NaNs as zero."""
    return sum(_nan_fill(_t(x), 0.0), axis=axis, keepdims=keepdims)


@keras_op("Nanprod")
def nanprod(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product treating NaNs as one."""
    return prod(_nan_fill(_t(x), 1.0), axis=axis, keepdims=keepdims)


@keras_op("Nanmean")
def nanmean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean ignoring NaNs (NaN where all values are NaN)."""
    x = _t(x)
    x = x.to(_tdt(result_type(x.dtype, float)))
    if axis == () or axis == []:
        return x
    return torch.nanmean(x, dim=_reduce_axes(x, axis), keepdim=keepdims)


@keras_op("Nanvar")
def nanvar(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population variance ignoring NaNs."""
    x = _t(x)
    x = x.to(_tdt(result_type(x.dtype, float)))
    dims = _reduce_axes(x, axis)
    m = torch.nanmean(x, dim=dims, keepdim=True)
    return torch.nanmean(torch.square(x - m), dim=dims, keepdim=keepdims)


@keras_op("Nanstd")
def nanstd(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation ignoring NaNs."""
    return torch.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _ignoring_nan(
    reduce_fn: Callable[..., Tensor],
    fill: float,
    all_nan: float,
    x: ArrayLike,
    axis: Any,
    keepdims: bool,
) -> Tensor:
    """`reduce_fn` over `axis` with NaNs replaced by `fill` (so they never
    win), giving `all_nan` where every value is NaN; non-floats reduce as
    they are."""
    x = _t(x)
    if not x.is_floating_point():
        return reduce_fn(x, axis=axis, keepdims=keepdims)
    nan = torch.isnan(x)
    out = reduce_fn(torch.where(nan, fill, x), axis=axis, keepdims=keepdims)
    return torch.where(all(nan, axis=axis, keepdims=keepdims), all_nan, out)


@keras_op("Nanmax")
def nanmax(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum ignoring NaNs (NaN where all values are NaN)."""
    return _ignoring_nan(max, -torch.inf, torch.nan, x, axis, keepdims)


@keras_op("Nanmin")
def nanmin(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum ignoring NaNs (NaN where all values are NaN)."""
    return _ignoring_nan(min, torch.inf, torch.nan, x, axis, keepdims)


@keras_op("Nanargmax")
def nanargmax(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest value ignoring NaNs (-1 where all are NaN)."""
    return _ignoring_nan(argmax, -torch.inf, -1, x, axis, keepdims)


@keras_op("Nanargmin")
def nanargmin(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest value ignoring NaNs (-1 where all are NaN)."""
    return _ignoring_nan(argmin, torch.inf, -1, x, axis, keepdims)


@keras_op("Nanmedian")
def nanmedian(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Median ignoring NaNs."""
    return _quantile(x, 0.5, axis, "linear", keepdims, nan=True)


@keras_op("Nanquantile")
def nanquantile(
    x: ArrayLike,
    q: ArrayLike,
    axis: Axis = None,
    method: str = "linear",
    keepdims: bool = False,
) -> Tensor:
    """Quantiles ignoring NaNs; see `quantile`."""
    return _quantile(x, q, axis, method, keepdims, nan=True)


@keras_op("Nanpercentile")
def nanpercentile(
    x: ArrayLike,
    q: ArrayLike,
    axis: Axis = None,
    method: str = "linear",
    keepdims: bool = False,
) -> Tensor:
    """Percentiles ignoring NaNs; see `quantile`."""
    return _quantile(x, divide(q, 100.0), axis, method, keepdims, nan=True)


# --------------------------------------------------------------------------
# cumulative


def _cum(torch_fn: Callable[..., Tensor], x: Any, axis: Any, dtype: Any) -> Tensor:
    x = _t(x)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    td = _tdt(result_type(dtype if dtype is not None else x.dtype))
    if td == torch.bool:
        td = torch.int32
    if td == torch.float16 and x.device.type == "cpu":
        return torch_fn(x, dim=axis, dtype=torch.float32).to(td)
    return torch_fn(x, dim=axis, dtype=td)


@keras_op("Cumsum")
def cumsum(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Cumulative sum along `axis` (of the flattened input when `None`)."""
    return _cum(torch.cumsum, x, axis, dtype)


@keras_op("Cumprod")
def cumprod(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Cumulative product along `axis` (of the flattened input when `None`)."""
    return _cum(torch.cumprod, x, axis, dtype)


@keras_op("Nancumsum")
def nancumsum(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Cumulative sum treating NaNs as zero."""
    return _cum(torch.cumsum, _nan_fill(_t(x), 0.0), axis, dtype)


@keras_op("Nancumprod")
def nancumprod(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Cumulative product treating NaNs as one."""
    return _cum(torch.cumprod, _nan_fill(_t(x), 1.0), axis, dtype)


@keras_op("Diff")
def diff(a: ArrayLike, n: int = 1, axis: int = -1) -> Tensor:
    """The `n`-th discrete difference along `axis`."""
    return torch.diff(_t(a), n=n, dim=axis)


@keras_op("Trapezoid")
def trapezoid(y: ArrayLike, x: ArrayLike = None, dx: float = 1.0, axis: int = -1):
    """Integral of `y` along `axis` by the trapezoidal rule."""
    y = _to_float(_t(y))
    if x is not None:
        return torch.trapezoid(y, x=_t(x), dim=axis)
    return torch.trapezoid(y, dx=dx, dim=axis)


# --------------------------------------------------------------------------
# creation


def _shape_arg(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, int):
        return (shape,)
    if isinstance(shape, Tensor):
        return tuple(int(s) for s in shape.tolist())
    return tuple(int(s) for s in shape)


def _dtype_or_floatx(dtype: Any) -> torch.dtype:
    return _tdt(dtype) if dtype is not None else _floatx()


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of zeros (floatx() by default)."""
    return torch.zeros(
        _shape_arg(shape), dtype=_dtype_or_floatx(dtype), device=config.device()
    )


def ones(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ones (floatx() by default)."""
    return torch.ones(
        _shape_arg(shape), dtype=_dtype_or_floatx(dtype), device=config.device()
    )


def empty(shape: Any, dtype: Any = None) -> Tensor:
    """An uninitialised tensor (floatx() by default)."""
    return torch.empty(
        _shape_arg(shape), dtype=_dtype_or_floatx(dtype), device=config.device()
    )


@keras_op("Full")
def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor filled with `fill_value` (floatx() unless `dtype` is given)."""
    td = _dtype_or_floatx(dtype)
    if isinstance(fill_value, Tensor) and fill_value.ndim > 0:
        return fill_value.to(td).expand(_shape_arg(shape)).clone()
    return torch.full(_shape_arg(shape), fill_value, dtype=td, device=config.device())


def identity(n: int, dtype: Any = None) -> Tensor:
    """The `n` x `n` identity matrix."""
    return torch.eye(n, dtype=_dtype_or_floatx(dtype), device=config.device())


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:
    """A 2-D tensor with ones on the `k`-th diagonal and zeros elsewhere."""
    M = N if M is None else M
    td = _dtype_or_floatx(dtype)
    if k == 0:
        return torch.eye(N, M, dtype=td, device=config.device())
    r = torch.arange(N, device=config.device())[:, None]
    c = torch.arange(M, device=config.device())[None, :]
    return (c - r == k).to(td)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:
    """A 2-D tensor with ones at and below the `k`-th diagonal."""
    M = N if M is None else M
    ones_ = torch.ones(N, M, dtype=_dtype_or_floatx(dtype), device=config.device())
    return torch.tril(ones_, diagonal=k)


@keras_op("ZerosLike")
def zeros_like(x: ArrayLike, dtype: Any = None) -> Tensor:
    """Zeros with the shape (and, by default, dtype) of `x`."""
    x = _t(x)
    return torch.zeros_like(x, dtype=_tdt(dtype) if dtype is not None else None)


@keras_op("OnesLike")
def ones_like(x: ArrayLike, dtype: Any = None) -> Tensor:
    """Ones with the shape (and, by default, dtype) of `x`."""
    x = _t(x)
    return torch.ones_like(x, dtype=_tdt(dtype) if dtype is not None else None)


@keras_op("EmptyLike")
def empty_like(x: ArrayLike, dtype: Any = None) -> Tensor:
    """An uninitialised tensor with the shape (and dtype) of `x`."""
    x = _t(x)
    return torch.empty_like(x, dtype=_tdt(dtype) if dtype is not None else None)


@keras_op("FullLike")
def full_like(x: ArrayLike, fill_value: Any, dtype: Any = None) -> Tensor:
    """`fill_value` with the shape (and, by default, dtype) of `x`."""
    x = _t(x)
    td = _tdt(dtype) if dtype is not None else x.dtype
    if isinstance(fill_value, Tensor) or isinstance(fill_value, (list, np.ndarray)):
        return _t(fill_value).to(td).expand(x.shape).clone()
    return torch.full_like(x, fill_value, dtype=td)


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Tensor:
    """Evenly spaced values in `[start, stop)`.

    Args:
        start: first value (or the stop, when `stop` is `None`).
        stop: end of the interval, excluded.
        step: spacing (1 by default).
        dtype: result dtype; by default int32 for ints, floatx() for floats.

    Returns:
        A 1-D tensor.
    """
    if dtype is None:
        parts = [start] + [v for v in (stop, step) if v is not None]
        dtype = result_type(*(_dt(v) for v in parts))
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, stop, step)]
    return torch.arange(*vals, dtype=_tdt(dtype), device=config.device())


def _space_dtype(start: Any, stop: Any, dtype: Any) -> torch.dtype:
    if dtype is not None:
        return _tdt(dtype)
    return _tdt(result_type(_dt(start), _dt(stop), float))


def _spaced(start: Any, stop: Any, num: int, endpoint: bool, axis: int, td):
    """`num` points from start to stop along a new axis `axis` (in float64)."""
    start_t = _t(start).to(torch.float64)
    stop_t = _t(stop).to(torch.float64)
    div = (num - 1) if endpoint else num
    steps = torch.arange(num, dtype=torch.float64, device=start_t.device)
    shape = torch.broadcast_shapes(start_t.shape, stop_t.shape)
    steps = steps.reshape((num,) + (1,) * len(shape))
    delta = (stop_t - start_t) / builtins.max(div, 1)
    out = start_t + steps * delta
    if endpoint and num > 1:
        out[-1] = stop_t
    out = torch.moveaxis(out, 0, axis) if shape else out
    return out, delta


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """`num` evenly spaced samples over `[start, stop]`.

    Returns:
        The samples, and the step too when `retstep`.
    """
    td = _space_dtype(start, stop, dtype)
    out, delta = _spaced(start, stop, num, endpoint, axis, td)
    out = out.to(td)
    if td.is_floating_point is False and not td.is_floating_point:
        out = torch.floor(out).to(td)
    if retstep:
        return out, delta.to(td)
    return out


def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: float = 10,
    dtype: Any = None,
    axis: int = 0,
) -> Tensor:
    """`base ** linspace(start, stop)`."""
    td = _space_dtype(start, stop, dtype)
    out, _ = _spaced(start, stop, num, endpoint, axis, td)
    return torch.pow(_t(base).to(torch.float64), out).to(td)


def geomspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    dtype: Any = None,
    axis: int = 0,
) -> Tensor:
    """Numbers spaced evenly on a log scale from `start` to `stop`."""
    td = _space_dtype(start, stop, dtype)
    s, e = _t(start).to(torch.float64), _t(stop).to(torch.float64)
    out, _ = _spaced(
        torch.log(torch.abs(s)), torch.log(torch.abs(e)), num, endpoint, 0, td
    )
    sgn = torch.sign(s)
    out = sgn * torch.exp(out)
    if num > 0:
        out[0] = s
        if endpoint and num > 1:
            out[-1] = e
    if out.ndim > 1:
        out = torch.moveaxis(out, 0, axis)
    return out.to(td)


@keras_op("Array")
def array(x: ArrayLike, dtype: Any = None) -> Tensor:
    """A tensor from array-like data."""
    return convert_to_tensor(x, dtype=dtype)


@keras_op("Copy")
def copy(x: ArrayLike) -> Tensor:
    """A copy of `x`."""
    return torch.clone(_t(x))


def _windowed(torch_fn: Callable[..., Tensor], name: str, doc: str):
    def op(x: int) -> Tensor:
        n = int(x)
        return torch_fn(n, periodic=False, dtype=_floatx(), device=config.device())

    return _rename(op, name, doc)


bartlett = _windowed(torch.bartlett_window, "bartlett", "The Bartlett window.")
blackman = _windowed(torch.blackman_window, "blackman", "The Blackman window.")
hamming = _windowed(torch.hamming_window, "hamming", "The Hamming window.")
hanning = _windowed(torch.hann_window, "hanning", "The Hann window.")


def kaiser(x: int, beta: float) -> Tensor:
    """The Kaiser window of length `x` and shape parameter `beta`."""
    return torch.kaiser_window(
        int(x),
        periodic=False,
        beta=float(beta),
        dtype=_floatx(),
        device=config.device(),
    )


# --------------------------------------------------------------------------
# shape manipulation


@keras_op("Reshape")
def reshape(x: ArrayLike, newshape: Any) -> Tensor:
    """`x` with a new shape (one dimension may be -1)."""
    if not isinstance(newshape, (list, tuple)):
        newshape = (newshape,)
    newshape = tuple(-1 if d is None else d for d in newshape)
    return torch.reshape(_t(x), newshape)


@keras_op("Transpose")
def transpose(x: ArrayLike, axes: Sequence[int] | None = None) -> Tensor:
    """Permutes the axes (reverses them when `axes` is `None`)."""
    x = _t(x)
    if axes is None:
        return x.permute(*range(x.ndim - 1, -1, -1))
    return x.permute(*axes)


@keras_op("ExpandDims")
def expand_dims(x: ArrayLike, axis: int | Sequence[int]) -> Tensor:
    """Inserts size-1 axes at the positions `axis` of the result."""
    x = _t(x)
    if isinstance(axis, (list, tuple)):
        out_ndim = x.ndim + len(axis)
        for a in sorted(ax % out_ndim for ax in axis):
            x = x.unsqueeze(a)
        return x
    return x.unsqueeze(axis)


@keras_op("Squeeze")
def squeeze(x: ArrayLike, axis: int | Sequence[int] | None = None) -> Tensor:
    """Removes size-1 axes (those in `axis`, or all of them).

    Raises:
        ValueError: when an axis in `axis` does not have size 1.
    """
    x = _t(x)
    if axis is None:
        return torch.squeeze(x)
    dims = _axes(axis, x.ndim) or ()
    for d in dims:
        if x.shape[d] != 1:
            raise ValueError(
                f"Cannot squeeze axis {d}: it has size {x.shape[d]}, not 1 "
                f"(input shape {tuple(x.shape)})."
            )
    return torch.squeeze(x, dim=dims)


@keras_op("Ravel")
def ravel(x: ArrayLike) -> Tensor:
    """`x` flattened to 1-D."""
    return torch.ravel(_t(x))


@keras_op("BroadcastTo")
def broadcast_to(x: ArrayLike, shape: Sequence[int]) -> Tensor:
    """`x` broadcast to `shape` (a view, no copy)."""
    return torch.broadcast_to(_t(x), tuple(shape))


@keras_op("Moveaxis")
def moveaxis(x: ArrayLike, source: Any, destination: Any) -> Tensor:
    """Moves axes `source` to positions `destination`."""
    return torch.moveaxis(_t(x), source, destination)


@keras_op("Swapaxes")
def swapaxes(x: ArrayLike, axis1: int, axis2: int) -> Tensor:
    """Interchanges two axes."""
    return torch.swapaxes(_t(x), axis1, axis2)


def _all_tensors(xs: Any) -> list[Tensor]:
    """Tensors with one common dtype (torch's promotion, as Keras's backend)."""
    xs = [_t(x) for x in xs]
    if len(xs) > 1 and builtins.any(x.dtype != xs[0].dtype for x in xs):
        dtype = functools.reduce(torch.promote_types, (x.dtype for x in xs))
        xs = [x.to(dtype) for x in xs]
    return xs


@keras_op("Concatenate")
def concatenate(xs: Sequence[ArrayLike], axis: int | None = 0) -> Tensor:
    """Joins tensors along an existing axis (flattened when `axis` is None).

    Args:
        xs: a sequence of tensors with equal shapes except along `axis`.
        axis: the axis to join along.

    Returns:
        The joined tensor, with Keras's `result_type` of the inputs.
    """
    if type(axis) is int and type(xs) is list and len(xs) == 2:
        a, b = xs  # the commonest case, two tensors of one dtype: to torch
        if type(a) is Tensor and type(b) is Tensor and a.dtype is b.dtype:
            return torch.cat(xs, axis)
    elif type(axis) is int:  # any number of tensors of one dtype: to torch
        dtype = None
        for x in xs:
            if type(x) is not Tensor or x.dtype is not dtype and dtype is not None:
                break
            dtype = x.dtype
        else:
            if dtype is not None:
                return torch.cat(xs, axis)  # type: ignore[arg-type]
    ts = _all_tensors(xs)
    if axis is None:
        return torch.cat([t.reshape(-1) for t in ts])
    return torch.cat(ts, dim=axis)


@keras_op("Stack")
def stack(x: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Joins tensors of equal shape along a new axis."""
    return torch.stack(_all_tensors(x), dim=axis)


@keras_op("Hstack")
def hstack(xs: Sequence[ArrayLike]) -> Tensor:
    """Stacks horizontally (along axis 1, axis 0 for 1-D inputs)."""
    return torch.hstack(_all_tensors(xs))


@keras_op("Vstack")
def vstack(xs: Sequence[ArrayLike]) -> Tensor:
    """Stacks vertically (along axis 0, 1-D inputs become rows)."""
    return torch.vstack(_all_tensors(xs))


@keras_op("Dstack")
def dstack(xs: Sequence[ArrayLike]) -> Tensor:
    """Stacks along the third axis."""
    return torch.dstack(_all_tensors(xs))


def column_stack(xs: Sequence[ArrayLike]) -> Tensor:
    """Stacks 1-D tensors as columns of a 2-D tensor."""
    return torch.column_stack(_all_tensors(xs))


@keras_op("Append")
def append(x1: ArrayLike, x2: ArrayLike, axis: int | None = None) -> Tensor:
    """`x2` appended to `x1` along `axis` (both flattened when `None`)."""
    return concatenate([x1, x2], axis=axis)


def _split_sizes(dim: int, indices: Any) -> list[int]:
    idx = [int(i) for i in indices]
    bounds = [0] + [builtins.min(builtins.max(i, 0), dim) for i in idx] + [dim]
    return [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]


@keras_op("Split")
def split(x: ArrayLike, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Splits `x` into equal sections, or at the given indices, along `axis`.

    Raises:
        ValueError: when `x` does not divide into `indices_or_sections` equal
            parts.
    """
    x = _t(x)
    dim = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if dim % indices_or_sections:
            raise ValueError(
                f"Cannot split axis {axis} of size {dim} into "
                f"{indices_or_sections} equal sections (input shape "
                f"{tuple(x.shape)})."
            )
        return list(torch.split(x, dim // indices_or_sections, dim=axis))
    return list(torch.split(x, _split_sizes(dim, indices_or_sections), dim=axis))


@keras_op("ArraySplit")
def array_split(x: ArrayLike, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Like `split`, but sections may differ in size by one."""
    return list(torch.tensor_split(_t(x), indices_or_sections, dim=axis))


@keras_op("Hsplit")
def hsplit(x: ArrayLike, indices_or_sections: Any) -> list[Tensor]:
    """Splits along axis 1 (axis 0 for 1-D inputs)."""
    x = _t(x)
    return split(x, indices_or_sections, axis=1 if x.ndim > 1 else 0)


@keras_op("Vsplit")
def vsplit(x: ArrayLike, indices_or_sections: Any) -> list[Tensor]:
    """Splits along axis 0."""
    return split(x, indices_or_sections, axis=0)


@keras_op("Dsplit")
def dsplit(x: ArrayLike, indices_or_sections: Any) -> list[Tensor]:
    """Splits along axis 2."""
    return split(x, indices_or_sections, axis=2)


@keras_op("Tile")
def tile(x: ArrayLike, repeats: Any) -> Tensor:
    """Repeats `x` `repeats` times along each axis."""
    x = _t(x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(int(r) for r in repeats)
    return torch.tile(x, reps)


@keras_op("Repeat")
def repeat(x: ArrayLike, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeats each element `repeats` times along `axis` (flattened if None)."""
    x = _t(x)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    if isinstance(repeats, int):
        # expand + reshape keeps the output size static (no data dependence).
        axis = axis % x.ndim
        shape = list(x.shape)
        y = x.unsqueeze(axis + 1)
        sizes = [-1] * y.ndim
        sizes[axis + 1] = repeats
        shape[axis] *= repeats
        return y.expand(sizes).reshape(shape)
    if isinstance(repeats, (list, tuple)):
        repeats = torch.tensor(repeats, device=x.device)
    return torch.repeat_interleave(x, _t(repeats), dim=axis)


@keras_op("Flip")
def flip(x: ArrayLike, axis: Axis = None) -> Tensor:
    """Reverses the order of elements along `axis` (all axes when None)."""
    x = _t(x)
    dims = _axes(axis, x.ndim)
    return torch.flip(x, dims=dims if dims is not None else tuple(range(x.ndim)))


@keras_op("Fliplr")
def fliplr(x: ArrayLike) -> Tensor:
    """Reverses axis 1."""
    return torch.fliplr(_t(x))


@keras_op("Flipud")
def flipud(x: ArrayLike) -> Tensor:
    """Reverses axis 0."""
    return torch.flipud(_t(x))


@keras_op("Roll")
def roll(x: ArrayLike, shift: Any, axis: Axis = None) -> Tensor:
    """Rolls elements along `axis` (of the flattened input when None)."""
    x = _t(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    dims = axis if isinstance(axis, int) else tuple(axis)
    return torch.roll(x, shift, dims=dims)


@keras_op("Rot90")
def rot90(array: ArrayLike, k: int = 1, axes: Sequence[int] = (0, 1)) -> Tensor:
    """Rotates by 90 degrees `k` times in the plane of `axes`.

    Raises:
        ValueError: for inputs of fewer than 2 dimensions.
    """
    x = _t(array)
    if x.ndim < 2:
        raise ValueError(
            f"rot90 expects an input with at least 2 dimensions, received shape "
            f"{tuple(x.shape)}."
        )
    return torch.rot90(x, k=k, dims=tuple(axes))


@keras_op("Pad")
def pad(
    x: ArrayLike,
    pad_width: Any,
    mode: str = "constant",
    constant_values: Any = None,
) -> Tensor:
    """Pads `x`.

    Args:
        x: input tensor.
        pad_width: `((before, after),) * ndim`, or one pair / one int for all.
        mode: `"constant"`, `"reflect"`, `"symmetric"`, `"edge"`/`"replicate"`
            or `"wrap"`/`"circular"`.
        constant_values: the fill value for `"constant"` (0 by default).

    Returns:
        The padded tensor.
    """
    x = _t(x)
    if constant_values is not None and mode != "constant":
        raise ValueError(
            "`constant_values` can only be given with mode='constant', "
            f"received mode={mode!r}."
        )
    pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    if mode == "constant":
        flat = [int(v) for pair in pw[::-1] for v in pair]
        value = 0 if constant_values is None else constant_values
        return torch.nn.functional.pad(x, flat, mode="constant", value=value)
    # Non-constant modes: pad one axis at a time with index gathers, which
    # works for any rank and dtype (torch's F.pad limits both).
    for d in range(x.ndim):
        before, after = int(pw[d, 0]), int(pw[d, 1])
        if before == 0 and after == 0:
            continue
        n = x.shape[d]
        idx = torch.arange(-before, n + after, device=x.device)
        if mode in ("edge", "replicate"):
            idx = idx.clamp(0, n - 1)
        elif mode in ("wrap", "circular"):
            idx = idx % n
        elif mode == "reflect":
            period = 2 * (n - 1) if n > 1 else 1
            idx = idx.abs() % period
            idx = torch.where(idx >= n, period - idx, idx)
        elif mode == "symmetric":
            period = 2 * n
            idx = idx % period
            idx = torch.where(idx >= n, period - 1 - idx, idx)
        else:
            raise ValueError(
                "`mode` must be one of 'constant', 'edge', 'reflect', "
                f"'symmetric', 'wrap', received: {mode!r}."
            )
        x = torch.index_select(x, d, idx)
    return x


# --------------------------------------------------------------------------
# indexing


def _fix_negative(indices: Tensor, size: int) -> Tensor:
    return torch.where(indices < 0, indices + size, indices)


@keras_op("Take")
def take(x: ArrayLike, indices: ArrayLike, axis: int | None = None) -> Tensor:
    """Gathers values of `x` at `indices` along `axis` (flattened if None).

    Negative indices count from the end.
    """
    # Tensor indexing is numpy's `take` along one axis: negative indices
    # count from the end and out-of-range ones raise, in one torch call.
    if type(indices) is Tensor and type(x) is Tensor and type(axis) is int:
        dtype = indices.dtype
        if dtype is torch.int64 or dtype is torch.int32:
            if axis == 0:
                return x[indices]
            return x[_LEADING_SLICES[axis % x.ndim] + (indices,)]
    x = _t(x)
    idx = _t(indices)
    if idx.dtype is not torch.int64 and idx.dtype is not torch.int32:
        idx = idx.long()
    if axis is None:
        return x.reshape(-1)[idx]
    axis = axis % x.ndim
    return x[idx] if axis == 0 else x[(slice(None),) * axis + (idx,)]


# `(slice(None),) * n`, made once: the index prefix that selects along axis n.
_LEADING_SLICES = tuple((slice(None),) * n for n in range(64))


@keras_op("TakeAlongAxis")
def take_along_axis(x: ArrayLike, indices: ArrayLike, axis: int | None = None):
    """Gathers values along `axis` at matching positions of `indices`."""
    x = _t(x)
    idx = _t(indices).long()
    if axis is None:
        x = x.reshape(-1)
        return torch.take_along_dim(x, _fix_negative(idx.reshape(-1), x.shape[0]))
    axis = axis % x.ndim
    idx = _fix_negative(idx, x.shape[axis])
    shape = list(
        torch.broadcast_shapes(
            tuple(1 if d == axis else s for d, s in enumerate(x.shape)),
            tuple(1 if d == axis else s for d, s in enumerate(idx.shape)),
        )
    )
    xs, ids = list(shape), list(shape)
    xs[axis], ids[axis] = x.shape[axis], idx.shape[axis]
    return torch.gather(x.expand(xs), axis, idx.expand(ids))


def _float_and_number(x: Any, number: Any) -> bool:
    """Whether `x` is a float tensor and `number` a plain (non-bool) number,
    a pair torch combines exactly as Keras does."""
    return (
        isinstance(x, Tensor)
        and x.is_floating_point()
        and isinstance(number, (int, float))
        and not isinstance(number, bool)
    )


@keras_op("Where")
def where(condition: ArrayLike, x1: ArrayLike = None, x2: ArrayLike = None) -> Any:
    """`x1` where `condition` holds, else `x2`; with one argument, the
    indices (a `(ndim, n)` int tensor) where it holds.

    Args:
        condition: a bool tensor (other dtypes are tested for non-zero).
        x1: values taken where `condition` is true.
        x2: values taken elsewhere.

    Returns:
        A tensor with the broadcast shape and Keras's `result_type`.
    """
    cond = _t(condition)
    if cond.dtype != torch.bool:
        cond = cond != 0
    if x1 is None and x2 is None:
        return torch.stack(torch.where(cond), dim=0)
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` must be given together, or neither.")
    if isinstance(x1, Tensor) and isinstance(x2, Tensor) and x1.dtype == x2.dtype:
        return torch.where(cond, x1, x2)
    if _float_and_number(x1, x2) or _float_and_number(x2, x1):
        return torch.where(cond, x1, x2)
    a, b = _promote(x1, x2)
    return torch.where(cond, a, b)


@keras_op("Select")
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0):
    """The element of the first `choicelist` entry whose condition holds."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            "`condlist` and `choicelist` must have the same length, received "
            f"{len(condlist)} and {len(choicelist)}."
        )
    choices = _all_tensors(choicelist)
    out = _t(default).to(choices[0].dtype) if choices else _t(default)
    for cond, choice in zip(reversed(condlist), reversed(choices)):
        out = torch.where(_t(cond).to(torch.bool), choice, out)
    return out


@keras_op("Nonzero")
def nonzero(x: ArrayLike) -> tuple[Tensor, ...]:
    """A tuple of int32 index tensors, one per axis, of non-zero values."""
    return tuple(t.to(torch.int32) for t in torch.nonzero(_t(x), as_tuple=True))


@keras_op("Diag")
def diag(x: ArrayLike, k: int = 0) -> Tensor:
    """The `k`-th diagonal of a 2-D `x`, or a 2-D matrix with 1-D `x` on it."""
    x = _t(x)
    if x.ndim not in (1, 2):
        raise ValueError(
            f"diag expects a 1-D or 2-D input, received shape {tuple(x.shape)}."
        )
    return torch.diag(x, diagonal=k)


@keras_op("Diagflat")
def diagflat(x: ArrayLike, k: int = 0) -> Tensor:
    """A 2-D matrix with the flattened `x` on its `k`-th diagonal."""
    return torch.diagflat(_t(x), offset=k)


@keras_op("Diagonal")
def diagonal(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal along axes `axis1`, `axis2` (moved to the last axis)."""
    return torch.diagonal(_t(x), offset=offset, dim1=axis1, dim2=axis2)


@keras_op("Trace")
def trace(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum along a diagonal (small ints and bools accumulate in int32)."""
    x = _t(x)
    d = torch.diagonal(x, offset=offset, dim1=axis1, dim2=axis2)
    dtype = torch.int32 if x.dtype in _SMALL_INTS else x.dtype
    return torch.sum(d, dim=-1, dtype=dtype)


@keras_op("Tril")
def tril(x: ArrayLike, k: int = 0) -> Tensor:
    """Zeros above the `k`-th diagonal (of the last two axes)."""
    return torch.tril(_t(x), diagonal=k)


@keras_op("Triu")
def triu(x: ArrayLike, k: int = 0) -> Tensor:
    """Zeros below the `k`-th diagonal (of the last two axes)."""
    return torch.triu(_t(x), diagonal=k)


@keras_op("UnravelIndex")
def unravel_index(indices: ArrayLike, shape: Sequence[int]) -> tuple[Tensor, ...]:
    """Flat indices into a tuple of coordinate tensors for `shape`."""
    idx = _t(indices)
    dtype = _tdt(result_type(idx.dtype))
    return tuple(i.to(dtype) for i in torch.unravel_index(idx, tuple(shape)))


@keras_op("Meshgrid")
def meshgrid(*x: ArrayLike, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D coordinate vectors."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"`indexing` must be 'xy' or 'ij', received: {indexing!r}.")
    return list(torch.meshgrid(*[_t(v) for v in x], indexing=indexing))


# --------------------------------------------------------------------------
# sorting and searching


@keras_op("Sort")
def sort(x: ArrayLike, axis: int = -1) -> Tensor:
    """Sorted values along `axis` (ascending)."""
    x = _t(x)
    if axis is None:
        return torch.sort(x.reshape(-1)).values
    return torch.sort(x, dim=axis, stable=True).values


@keras_op("Argsort")
def argsort(x: ArrayLike, axis: int | None = -1) -> Tensor:
    """Indices (int32) that sort `x` along `axis` (stable)."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op("Argpartition")
def argpartition(x: ArrayLike, kth: int, axis: int = -1) -> Tensor:
    """Indices that partition `x` around its `kth` smallest element.

    Any valid partition is allowed by NumPy; this returns a full argsort,
    which is one.
    """
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op("SearchSorted")
def searchsorted(sorted_sequence: ArrayLike, values: ArrayLike, side: str = "left"):
    """Insertion indices (int32) of `values` into a 1-D sorted sequence."""
    seq = _t(sorted_sequence)
    if seq.ndim != 1:
        raise ValueError(
            "searchsorted expects a 1-D `sorted_sequence`, received shape "
            f"{tuple(seq.shape)}."
        )
    if side not in ("left", "right"):
        raise ValueError(f"`side` must be 'left' or 'right', received: {side!r}.")
    vals = _t(values)
    dtype = _tdt(result_type(seq.dtype, vals.dtype))
    out = torch.searchsorted(seq.to(dtype), vals.to(dtype), side=side)
    return out.to(torch.int32)


@keras_op("Digitize")
def digitize(x: ArrayLike, bins: ArrayLike) -> Tensor:
    """Index (int32) of the bin each value of `x` falls into."""
    x, b = _t(x), _t(bins)
    dtype = _tdt(result_type(x.dtype, b.dtype))
    return torch.bucketize(x.to(dtype), b.to(dtype), right=True).to(torch.int32)


@keras_op("Unique")
def unique(
    x: ArrayLike,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """The unique elements of `x` (flattened unless `axis` is given).

    `size` pads (with `fill_value`, by default the smallest unique value) or
    truncates the result to a static length.
    """
    x = _t(x)
    out = torch.unique(
        x, sorted=True, return_inverse=True, return_counts=True, dim=axis
    )
    values, inverse, counts = out
    extras: list[Tensor] = []
    if return_index:
        flat_inv = inverse.reshape(-1)
        pos = torch.arange(flat_inv.numel(), device=x.device)
        first = torch.full(
            (values.shape[0 if axis is not None else 0],),
            flat_inv.numel(),
            device=x.device,
            dtype=torch.int64,
        )
        first = first.scatter_reduce(0, flat_inv, pos, reduce="amin")
        extras.append(first.to(torch.int32))
    if return_inverse:
        extras.append(inverse.to(torch.int32))
    if return_counts:
        extras.append(counts.to(torch.int32))
    if size is not None:
        n = values.shape[0]
        if n >= size:
            values = values[:size]
        else:
            fill = (
                values[:1]
                if fill_value is None
                else torch.full(
                    (1,) + tuple(values.shape[1:]),
                    fill_value,
                    dtype=values.dtype,
                    device=values.device,
                )
            )
            values = torch.cat([values, fill.expand(size - n, *values.shape[1:])])
        for i, e in enumerate(extras):
            if e.shape[0] == n and (
                not return_inverse or e is not extras[int(return_index)]
            ):
                if n >= size:
                    extras[i] = e[:size]
                else:
                    extras[i] = torch.cat([e, e.new_zeros(size - n)])
    if extras:
        return (values, *extras)
    return values


@keras_op("Histogram")
def histogram(x: ArrayLike, bins: int = 10, range: Any = None) -> tuple[Tensor, Tensor]:
    """Counts of `x` in `bins` equal-width bins, and the bin edges."""
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(
            f"histogram expects a 1-D input, received shape {tuple(x.shape)}."
        )
    xf = _to_float(x)
    if range is None:
        lo, hi = xf.min(), xf.max()
    else:
        lo = torch.as_tensor(range[0], dtype=xf.dtype, device=xf.device)
        hi = torch.as_tensor(range[1], dtype=xf.dtype, device=xf.device)
    edges = (
        lo + (hi - lo) * torch.arange(bins + 1, dtype=xf.dtype, device=xf.device) / bins
    )
    idx = ((xf - lo) / (hi - lo) * bins).floor().long()
    inside = (xf >= lo) & (xf <= hi)
    idx = idx.clamp(0, bins - 1)
    counts = torch.zeros(bins, dtype=torch.int32, device=xf.device)
    counts = counts.index_add(
        0, idx[inside], torch.ones_like(idx[inside], dtype=torch.int32)
    )
    return counts, edges


@keras_op("Bincount")
def bincount(
    x: ArrayLike, weights: Any = None, minlength: int = 0, sparse: bool = False
) -> Tensor:
    """Number of occurrences of each value in a non-negative int tensor.

    1-D or 2-D (counted per row) inputs; with `weights`, sums of weights.
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported by the torch backend.")
    x = _t(x).long()
    w = None if weights is None else _t(weights)
    if w is not None:
        dtype = _tdt(result_type(w.dtype))
    else:
        dtype = torch.int32
    if x.ndim == 1:
        n = builtins.max(int(x.max()) + 1 if x.numel() else 0, minlength)
        out = torch.zeros(
            n, dtype=dtype if w is not None else torch.int64, device=x.device
        )
        src = w.to(out.dtype) if w is not None else torch.ones_like(x)
        return out.index_add(0, x, src).to(dtype)
    if x.ndim == 2:
        n = builtins.max(int(x.max()) + 1 if x.numel() else 0, minlength)
        out = torch.zeros(
            x.shape[0],
            n,
            dtype=dtype if w is not None else torch.int64,
            device=x.device,
        )
        src = w.to(out.dtype) if w is not None else torch.ones_like(x)
        return out.scatter_add(1, x, src).to(dtype)
    raise ValueError(
        f"bincount expects a 1-D or 2-D input, received shape {tuple(x.shape)}."
    )


@keras_op("IsIn")
def isin(
    x1: ArrayLike, x2: ArrayLike, assume_unique: bool = False, invert: bool = False
) -> Tensor:
    """True where an element of `x1` is among the elements of `x2`."""
    a, b = _promote_keras(x1, x2)
    return torch.isin(a, b, assume_unique=assume_unique, invert=invert)


# --------------------------------------------------------------------------
# linear algebra


def _matmul_dtypes(a: Tensor, b: Tensor) -> tuple[torch.dtype, torch.dtype]:
    if a.dtype == torch.int8 and b.dtype == torch.int8:
        return torch.int32, torch.int32
    out = _tdt(result_type(a.dtype, b.dtype))
    compute = out
    if compute == torch.bool:
        compute = _floatx()
    elif compute == torch.float16 and a.device.type == "cpu":
        compute = torch.float32
    elif a.device.type == "cuda" and not compute.is_floating_point:
        compute = _floatx()
    return out, compute


@keras_op("Matmul")
def matmul(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Matrix product of two tensors (batched over leading axes).

    Args:
        x1: tensor of shape `(..., n, k)` (or `(k,)`).
        x2: tensor of shape `(..., k, m)` (or `(k,)`).

    Returns:
        The product, with Keras's `result_type` (int8 x int8 gives int32).
    """
    if type(x1) is Tensor and type(x2) is Tensor:
        dtype = x1.dtype
        if dtype is x2.dtype and dtype in _MATMUL_DTYPES:
            return torch.matmul(x1, x2)  # the common case, straight to torch
    a, b = _t(x1), _t(x2)
    out, compute = _matmul_dtypes(a, b)
    return torch.matmul(a.to(compute), b.to(compute)).to(out)


# Dtypes whose product torch computes in the dtype itself, as Keras does.
_MATMUL_DTYPES = frozenset({torch.float32, torch.float64, torch.bfloat16})


def _float_product(fn: Callable[..., Tensor], a: Tensor, b: Tensor, *args: Any):
    out = _tdt(result_type(a.dtype, b.dtype))
    compute = _tdt(result_type(out, float))
    if compute == torch.float16 and a.device.type == "cpu":
        compute = torch.float32
    return fn(a.to(compute), b.to(compute), *args).to(out)


@keras_op("Dot")
def dot(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Dot product, as `numpy.dot` (scalar, vector, matrix and N-d rules)."""
    a, b = _t(x1), _t(x2)

    def fn(a: Tensor, b: Tensor) -> Tensor:
        if a.ndim == 0 or b.ndim == 0:
            return a * b
        if b.ndim == 1:
            return torch.matmul(a, b)
        return torch.tensordot(a, b, dims=([-1], [b.ndim - 2]))

    return _float_product(fn, a, b)


@keras_op("Tensordot")
def tensordot(x1: ArrayLike, x2: ArrayLike, axes: Any = 2) -> Tensor:
    """Sum of products over the given axes (`int` or pair of axis lists)."""
    a, b = _t(x1), _t(x2)
    if isinstance(axes, (list, tuple)):
        axes = [list(v) if isinstance(v, (list, tuple)) else [v] for v in axes]
    return _float_product(lambda a, b: torch.tensordot(a, b, dims=axes), a, b)


@keras_op("Inner")
def inner(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Inner product over the last axes."""
    return _float_product(torch.inner, _t(x1), _t(x2))


@keras_op("Outer")
def outer(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Outer product of the flattened inputs."""
    a, b = _promote(_t(x1).reshape(-1), _t(x2).reshape(-1))
    return torch.outer(a, b)


@keras_op("Vdot")
def vdot(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Dot product of the flattened inputs (conjugating the first)."""
    return _float_product(
        lambda a, b: torch.vdot(a.reshape(-1), b.reshape(-1)), _t(x1), _t(x2)
    )


@keras_op("Kron")
def kron(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Kronecker product."""
    a, b = _promote(x1, x2)
    return torch.kron(a, b)


@keras_op("Cross")
def cross(
    x1: ArrayLike,
    x2: ArrayLike,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> Tensor:
    """Cross product of 3-vectors (2-vectors are padded with a zero z)."""
    a, b = _promote(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = torch.moveaxis(a, axisa, -1), torch.moveaxis(b, axisb, -1)
    two = a.shape[-1] == 2 and b.shape[-1] == 2
    if a.shape[-1] == 2:
        a = torch.nn.functional.pad(a, (0, 1))
    if b.shape[-1] == 2:
        b = torch.nn.functional.pad(b, (0, 1))
    compute = torch.float32 if a.dtype == torch.float16 else a.dtype
    a, b = torch.broadcast_tensors(a.to(compute), b.to(compute))
    out = torch.linalg.cross(a, b, dim=-1).to(_promote(x1, x2)[0].dtype)
    if two:
        return out[..., 2]
    return torch.moveaxis(out, -1, axisc)


def _einsum(*operands: ArrayLike, subscripts: str) -> Tensor:
    ts = [_t(o) for o in operands]
    if ts and builtins.all(t.dtype == torch.int8 for t in ts):
        # int8 products accumulate in int32, as Keras does.
        compute = torch.int32 if ts[0].device.type != "cuda" else _floatx()
        return torch.einsum(subscripts, *[t.to(compute) for t in ts]).to(torch.int32)
    if len({t.dtype for t in ts}) > 1:
        ts = _all_tensors(ts)
    return torch.einsum(subscripts, *ts)


# Recorded with the operands as call arguments and `subscripts` as config,
# as Keras's `Einsum` operation is.
OPS_BY_CLASS_NAME.setdefault("Einsum", _einsum)


def einsum(subscripts: str, *operands: ArrayLike, **kwargs: Any) -> Tensor:
    """Einstein summation, e.g. `einsum("ij,jk->ik", a, b)`."""
    if any_symbolic(operands):
        return symbolic_op(_einsum, "Einsum", operands, {"subscripts": subscripts})
    return _einsum(*operands, subscripts=subscripts)


einsum.__keras_op__ = "Einsum"  # type: ignore[attr-defined]


@keras_op("Vander")
def vander(x: ArrayLike, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D `x`."""
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(
            f"vander expects a 1-D input, received shape {tuple(x.shape)}."
        )
    return torch.vander(x, N=N, increasing=increasing)


@keras_op("Slogdet")
def slogdet(x: ArrayLike) -> tuple[Tensor, Tensor]:
    """Sign and natural log of the absolute determinant."""
    res = torch.linalg.slogdet(_to_float(_t(x)))
    return res.sign, res.logabsdet


@keras_op("Corrcoef")
def corrcoef(x: ArrayLike) -> Tensor:
    """Pearson correlation coefficients of the rows of `x`."""
    return torch.corrcoef(_to_float(_t(x)))


@keras_op("Correlate")
def correlate(x1: ArrayLike, x2: ArrayLike, mode: str = "valid") -> Tensor:
    """Cross-correlation of two 1-D sequences (`"valid"`, `"same"`, `"full"`).

    `out[k] = sum_n x1[n + k] * x2[n]`, as `numpy.correlate`.
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(
            f"`mode` must be 'valid', 'same' or 'full', received: {mode!r}."
        )
    a, b = _promote(x1, x2)
    out_dtype = a.dtype if a.is_floating_point() else _floatx()
    compute = torch.float64 if a.dtype == torch.float64 else torch.float32
    a, b = a.to(compute), b.to(compute)
    swap = b.shape[0] > a.shape[0]
    if swap:
        # numpy slides the shorter sequence; swapping reverses the result.
        a, b = b, a
    m = b.shape[0]
    if mode == "full":
        left, right = m - 1, m - 1
    elif mode == "same":
        left = m // 2
        right = m - 1 - left
    else:
        left = right = 0
    a = torch.nn.functional.pad(a, (left, right))
    out = torch.nn.functional.conv1d(a[None, None], b[None, None])[0, 0]
    if swap:
        out = torch.flip(out, (0,))
    return out.to(out_dtype)


# --------------------------------------------------------------------------
# misc


@keras_op("NanToNum")
def nan_to_num(
    x: ArrayLike,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    """Replaces NaN, +inf and -inf by finite numbers."""
    x = _t(x)
    if not x.is_floating_point():
        return x
    return torch.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def ndim(x: ArrayLike) -> int:
    """Number of dimensions of `x`."""
    if hasattr(x, "ndim"):
        return int(x.ndim)
    return _t(x).ndim


def size(x: ArrayLike) -> int:
    """Number of elements of `x`."""
    if isinstance(x, Tensor):
        return x.numel()
    if hasattr(x, "shape"):
        if builtins.any(d is None for d in x.shape):
            return None  # type: ignore[return-value]
        return int(np.prod(x.shape))
    return _t(x).numel()


@keras_op("View")
def view(x: ArrayLike, dtype: Any = None) -> Tensor:
    """The bytes of `x` reinterpreted as `dtype` (no copy)."""
    x = _t(x)
    if dtype is None:
        return x.view(x.dtype)
    return x.view(_tdt(dtype))


def vectorize(
    pyfunc: Callable[..., Any], *, excluded: Any = None, signature: str | None = None
) -> Callable[..., Any]:
    """A function applying `pyfunc` over the leading axis of its tensor inputs.

    Implemented with `torch.vmap`, so `pyfunc` must be written with tensor
    ops (no Python control flow on values). With `signature`, core
    dimensions stay inside `pyfunc`'s view.
    """
    excluded = set(excluded or ())

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        pos = [i for i in range(len(args)) if i not in excluded]
        ts = [_t(args[i]) for i in pos]
        core = _core_dims(signature, len(ts)) if signature else [0] * len(ts)
        loop_ndim = builtins.max((t.ndim - c for t, c in zip(ts, core)), default=0)
        if loop_ndim == 0:
            return pyfunc(*args, **kwargs)
        shapes = [t.shape[: t.ndim - c] for t, c in zip(ts, core)]
        batch = torch.broadcast_shapes(*shapes)
        ts = [t.expand(*batch, *t.shape[t.ndim - c :]) for t, c in zip(ts, core)]

        def call(*vals: Any) -> Any:
            full = list(args)
            for i, v in zip(pos, vals):
                full[i] = v
            return pyfunc(*full, **kwargs)

        fn = call
        for _ in range(len(batch)):
            fn = torch.vmap(fn)
        return fn(*ts)

    return wrapped


def _core_dims(signature: str, n: int) -> list[int]:
    ins = signature.split("->")[0]
    groups = [g.strip().strip("()") for g in ins.split("),")]
    dims = [len([d for d in g.split(",") if d.strip()]) for g in groups]
    return (dims + [0] * n)[:n]


__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "angle",
    "any",
    "append",
    "arange",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "argmax",
    "argmin",
    "argpartition",
    "argsort",
    "array",
    "array_split",
    "average",
    "bartlett",
    "bincount",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "blackman",
    "broadcast_to",
    "cbrt",
    "ceil",
    "clip",
    "column_stack",
    "concatenate",
    "conj",
    "conjugate",
    "copy",
    "corrcoef",
    "correlate",
    "cos",
    "cosh",
    "count_nonzero",
    "cross",
    "cumprod",
    "cumsum",
    "deg2rad",
    "diag",
    "diagflat",
    "diagonal",
    "diff",
    "digitize",
    "divide",
    "divide_no_nan",
    "dot",
    "dsplit",
    "dstack",
    "einsum",
    "empty",
    "empty_like",
    "equal",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "eye",
    "fabs",
    "flip",
    "fliplr",
    "flipud",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "full",
    "full_like",
    "gcd",
    "geomspace",
    "get_item",
    "greater",
    "greater_equal",
    "hamming",
    "hanning",
    "heaviside",
    "histogram",
    "hsplit",
    "hstack",
    "hypot",
    "i0",
    "identity",
    "imag",
    "inner",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "kaiser",
    "kron",
    "lcm",
    "ldexp",
    "left_shift",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logspace",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "meshgrid",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "nan_to_num",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmedian",
    "nanmin",
    "nanpercentile",
    "nanprod",
    "nanquantile",
    "nanstd",
    "nansum",
    "nanvar",
    "ndim",
    "negative",
    "nextafter",
    "nonzero",
    "not_equal",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "percentile",
    "power",
    "prod",
    "ptp",
    "quantile",
    "rad2deg",
    "ravel",
    "real",
    "reciprocal",
    "repeat",
    "reshape",
    "right_shift",
    "roll",
    "rot90",
    "round",
    "searchsorted",
    "select",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "size",
    "slogdet",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "trace",
    "transpose",
    "trapezoid",
    "tri",
    "tril",
    "triu",
    "true_divide",
    "trunc",
    "unique",
    "unravel_index",
    "vander",
    "var",
    "vdot",
    "vectorize",
    "view",
    "vsplit",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
]
