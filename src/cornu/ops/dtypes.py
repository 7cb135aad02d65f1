"""Keras's dtype promotion rules (`keras.backend.result_type`).

Keras promotes dtypes on a lattice borrowed from JAX, not NumPy's table:
Python `int`/`float` are *weak* (they adopt the other operand's kind and
width), integers meet floats at the weak float (so `int32 + float16` is
`float16` and `int32 + 1.0` is `floatx()`), and 64-bit results are narrowed
to 32 bits unless both sides were already 64-bit tensors in an op that keeps
them (the torch kernels decide that, not this table).
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from cornu import config

BOOL_TYPES = ("bool",)
INT_TYPES = (
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
)
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
COMPLEX_TYPES = ("complex64", "complex128")
_WEAK = ("int", "float", "complex")

# Each dtype's immediate successors; "int"/"float"/"complex" are the weak
# Python scalar kinds.
_LATTICE: dict[str, tuple[str, ...]] = {
    "bool": ("int",),
    "int": ("uint8", "int8", "float"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16", "complex"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex": ("complex64",),
    "complex64": ("complex128",),
    "complex128": (),
}


def _upper_bounds() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}

    def visit(n: str) -> frozenset[str]:
        if n not in out:
            acc = {n}
            for m in _LATTICE[n]:
                acc |= visit(m)
            out[n] = frozenset(acc)
        return out[n]

    for n in _LATTICE:
        visit(n)
    return out


_UB = _upper_bounds()
_NARROW = {
    "int64": "int32",
    "uint64": "uint32",
    "float64": "float32",
    "complex128": "complex64",
}


@functools.lru_cache(maxsize=512)
def _join(nodes: frozenset[str]) -> str:
    common = frozenset.intersection(*(_UB[n] for n in nodes))
    # The least upper bound is the common bound every other one is above.
    least = [c for c in common if common <= _UB[c]]
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(sorted(nodes))} have no implicit promotion "
            "path. Cast the inputs explicitly."
        )
    return least[0]


def _parse(value: Any) -> tuple[str, bool]:
    """(dtype name, weak) for a dtype, a Python type or a value."""
    if value is int:
        return "int32", True
    if value is float:
        return "float32", True
    if value is complex:
        return "complex64", True
    if value is bool:
        return "bool", False
    if value is None:
        return config.floatx(), False
    return config.standardize_dtype(value), False


def _weak_kind(name: str) -> str:
    if name == "bool":
        return name
    if name.startswith("complex"):
        return "complex"
    if "float" in name:
        return "float"
    return "int"


@functools.lru_cache(maxsize=1024)
def _result_type_cached(parsed: tuple[tuple[str, bool], ...], floatx: str) -> str:
    names = [p[0] for p in parsed]
    weaks = [p[1] for p in parsed]
    if len(parsed) == 1:
        out, weak = names[0], weaks[0]
    elif len(set(names)) == 1 and not all(weaks):
        out, weak = names[0], False
    elif all(weaks):
        out, weak = _join(frozenset(names)), True
    else:
        nodes = frozenset(_weak_kind(n) if w else n for n, w in parsed)
        out = _join(nodes)
        weak = out in _WEAK
    if weak and out != "bool":
        # A weak result takes floatx()'s width.
        bits = floatx[-2:]
        kind = _weak_kind(out) if out not in _WEAK else out
        if kind == "int":
            out = "uint" + bits if out.startswith("uint") else "int" + bits
        elif kind == "complex":
            out = "complex128" if bits == "64" else "complex64"
        else:
            out = "float" + bits
    return _NARROW.get(out, out)


def result_type(*dtypes: Any) -> str:
    """The dtype Keras gives to an operation over inputs of these dtypes.

    Args:
        *dtypes: dtype names, torch/numpy dtypes, or the Python types `int`,
            `float` (weakly typed, as Python scalars are) and `bool`. `None`
            stands for `floatx()`.

    Returns:
        The promoted dtype's name.

    Example:
        >>> result_type("int32", "float16")
        'float16'
        >>> result_type("int8", int)
        'int8'
        >>> result_type("int32", float)
        'float32'
    """
    if not dtypes:
        return config.floatx()
    return _result_type_cached(tuple(_parse(d) for d in dtypes), config.floatx())


def scalar_type(x: Any) -> Any:
    """The dtype (or weak Python type) `x` contributes to promotion."""
    if isinstance(x, bool):
        return bool
    if isinstance(x, int):
        return int
    if isinstance(x, float):
        return float
    if isinstance(x, complex):
        return complex
    dt = getattr(x, "dtype", None)
    if dt is not None:
        return dt
    return config.standardize_dtype(torch.as_tensor(x).dtype)


def is_float(dtype: Any) -> bool:
    """True for floating dtypes (not complex)."""
    return config.standardize_dtype(dtype) in FLOAT_TYPES


def is_int(dtype: Any) -> bool:
    """True for (signed or unsigned) integer dtypes."""
    return config.standardize_dtype(dtype) in INT_TYPES


__all__ = ["result_type"]
