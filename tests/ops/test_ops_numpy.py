"""`cornu.ops.numpy` against NumPy (values) and real Keras (values and dtypes)."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest
import torch
from _ops_cases import (
    F32,
    G32,
    I32,
    J32,
    M45,
    NAN,
    POS,
    SPD,
    SQ,
    T234,
    UNIT,
    V4,
    B,
    assert_close,
    real_keras,
)

from cornu import ops


class Case(NamedTuple):
    op: str
    args: tuple
    kwargs: dict
    ref: Any  # a NumPy reference, or None to compare with Keras only
    tol: float = 1e-5
    keras: bool = True  # False where Keras's torch backend fails or is wrong


def c(
    op: str,
    *args: Any,
    ref: Any = "np",
    tol: float = 1e-5,
    keras: bool = True,
    **kwargs: Any,
) -> Any:
    if ref == "np":
        ref = getattr(np, op)
    case = Case(op, args, kwargs, ref, tol, keras)
    return pytest.param(case, id=f"{op}-{len(CASES)}")


CASES: list[Any] = []


def add(*cases: Any) -> None:
    CASES.extend(cases)


# element-wise unary ------------------------------------------------------
for name in (
    "abs absolute negative square sign floor ceil trunc exp exp2 expm1 sin cos "
    "tan sinh cosh tanh arcsinh arctan deg2rad rad2deg sinc fabs cbrt i0 "
    "isfinite isnan isinf isneginf isposinf signbit logical_not"
).split():
    add(c(name, F32))
for name in "log log10 log2 log1p sqrt reciprocal".split():
    add(c(name, POS))
for name in "arcsin arccos arctanh".split():
    add(c(name, UNIT))
add(
    c("arccosh", POS + 1.0),
    c("abs", I32),
    c("square", I32),
    c("sign", I32),
    c("sqrt", J32),
    c("exp", I32),
    c("round", F32 * 10),
    c("round", F32 * 10, decimals=1, ref=lambda x, decimals: np.round(x, decimals)),
    c("round", I32 * 7, decimals=-1, ref=lambda x, decimals: np.round(x, decimals)),
    c("real", F32),
    c("imag", F32),
    c("conjugate", F32),
    c("conj", F32),
    c("copy", F32),
    c("isreal", F32),
    c("nan_to_num", NAN),
    c("nan_to_num", NAN, nan=1.5, ref=lambda x, nan: np.nan_to_num(x, nan=nan)),
    c("bitwise_not", I32),
    c("bitwise_invert", I32, ref=np.invert),
)

# element-wise binary -----------------------------------------------------
for name in (
    "add subtract multiply divide true_divide maximum minimum fmax fmin "
    "equal not_equal less less_equal greater greater_equal arctan2 hypot "
    "logaddexp logaddexp2 nextafter heaviside"
).split():
    add(c(name, F32, G32))
for name in "logical_and logical_or logical_xor".split():
    add(c(name, B, F32 > 0))
for name in "add subtract multiply maximum minimum power".split():
    add(c(name, I32, J32))
for name in "bitwise_and bitwise_or bitwise_xor gcd lcm".split():
    add(c(name, I32, J32))
add(
    c("add", F32, 2.5),
    c("add", 3, F32),
    c("multiply", I32, 2),
    c("subtract", B, B.astype("int32"), ref=lambda a, b: a.astype("int32") - b),
    c("divide", I32, J32),
    c("floor_divide", I32, J32),
    c("floor_divide", F32, POS),
    c("mod", I32, J32),
    c("mod", F32, POS),
    c("fmod", I32, J32),
    c("fmod", F32, POS),
    c("power", POS, G32),
    c("power", F32, 2),
    c(
        "divide_no_nan",
        F32,
        np.where(B, G32, 0).astype("float32"),
        ref=lambda a, b: np.where(b == 0, 0, a / np.where(b == 0, 1, b)),
    ),
    c("maximum", F32, 0.0),
    c("minimum", I32, 1),
    c("isclose", F32, F32 + 1e-7),
    c("allclose", F32, F32 + 1e-7),
    c("left_shift", J32, 2),
    c("right_shift", J32 * 16, 2),
    c("bitwise_left_shift", J32, 2, ref=np.left_shift),
    c("bitwise_right_shift", J32 * 16, 2, ref=np.right_shift),
    c("ldexp", F32, I32),
    c("clip", F32, -0.5, 0.5),
    c("clip", I32, -2, 2),
    c("clip", F32, G32 - 1, G32 + 1),
)

# reductions --------------------------------------------------------------
for name in "sum mean max min prod std var all any amax amin ptp median".split():
    add(
        c(name, F32),
        c(name, F32, axis=1),
        c(name, F32, axis=0, keepdims=True),
        c(name, T234, axis=(0, 2)),
    )
for name in "argmax argmin".split():
    add(c(name, F32), c(name, F32, axis=1), c(name, F32, axis=0, keepdims=True))
for name in "sum mean prod max".split():
    add(c(name, I32, axis=1))
add(
    c("count_nonzero", I32),
    c("count_nonzero", I32, axis=1),
    c("max", F32, initial=1.0),
    c("average", F32, ref=lambda x: np.average(x)),
    c("average", F32, axis=1, weights=POS[0], ref=np.average),
    c("average", F32, axis=1, weights=POS, ref=np.average),
    c("quantile", F32, 0.3),
    c("quantile", F32, [0.1, 0.5], axis=1),
    c("quantile", T234, 0.7, axis=(0, 2), keepdims=True),
    c("quantile", F32, 0.3, axis=0, method="nearest"),
    c("percentile", F32, 40.0, axis=1),
    c("cumsum", F32),
    c("cumsum", I32, axis=1),
    c("cumprod", F32, axis=0),
    c("trapezoid", F32, ref=np.trapezoid),
    c("trapezoid", F32, dx=0.5, axis=0),
    c("diff", F32),
    c("diff", F32, n=2, axis=0),
)
for name in "nansum nanmean nanmax nanmin nanprod nanstd nanvar nanmedian".split():
    add(c(name, NAN, axis=1), c(name, NAN[:2]))
add(
    c("nanargmax", NAN[:2], axis=1),
    c("nanargmin", NAN[:2], axis=1),
    c("nancumsum", NAN, axis=1),
    c("nancumprod", NAN, axis=0),
    c("nanquantile", NAN, 0.4, axis=1),
    c("nanpercentile", NAN[:2], 40, axis=1),
)

# creation ----------------------------------------------------------------
add(
    c("zeros", (2, 3)),
    c("ones", 4),
    c("full", (2, 3), 7),
    c("full", (2, 2), 1.5),
    c("zeros_like", I32),
    c("ones_like", F32),
    c("full_like", F32, 3.0),
    c("arange", 5),
    c("arange", 1, 7, 2),
    c("arange", 0.5, 3.0, 0.5),
    c("linspace", 0.0, 1.0, 7),
    c("linspace", 0.0, 1.0, 4, endpoint=False),
    c("linspace", [0.0, 1.0], [2.0, 5.0], 3, axis=1, keras=False),
    c("logspace", 0.0, 2.0, 5),
    c("logspace", 0.0, 3.0, 4, base=2.0),
    c("geomspace", 1.0, 1000.0, 4),
    c("eye", 3),
    c("eye", 3, 4, k=1),
    c("eye", 4, 3, k=-1),
    c("identity", 3),
    c("tri", 3, 4, k=1),
    c("array", [[1, 2], [3, 4]]),
    c("bartlett", 5),
    c("blackman", 6),
    c("hamming", 5),
    c("hanning", 7),
    c("kaiser", 6, 3.0),
)

# shapes and joining ------------------------------------------------------
add(
    c("reshape", F32, (4, 3)),
    c("reshape", F32, (-1,)),
    c("transpose", T234),
    c("transpose", T234, (1, 0, 2)),
    c("expand_dims", F32, 1),
    c("expand_dims", F32, (0, 3)),
    c("squeeze", F32[None, :, None]),
    c("squeeze", F32[None], axis=0),
    c("ravel", F32),
    c("broadcast_to", V4, (3, 4)),
    c("moveaxis", T234, 0, -1),
    c("swapaxes", T234, 0, 2),
    c("concatenate", [F32, G32], ref=lambda xs: np.concatenate(xs)),
    c("concatenate", [F32, G32], axis=1),
    c("concatenate", [F32, G32], axis=None, keras=False),
    c("concatenate", [F32, I32], axis=1),
    c("stack", [F32, G32]),
    c("stack", [F32, G32], axis=-1),
    c("hstack", [F32, G32]),
    c("vstack", [F32, G32]),
    c("dstack", [F32, G32]),
    c("column_stack", [V4, V4], keras=False),
    c("append", F32, G32),
    c("append", F32, G32, axis=0),
    c("split", F32, 2, axis=1),
    c("split", F32, [1, 3], axis=1),
    c("array_split", F32, 3, axis=1),
    c("hsplit", F32, 2),
    c("vsplit", F32[:2], 2),
    c("dsplit", T234, 2),
    c("tile", F32, 2),
    c("tile", F32, (2, 1)),
    c("repeat", F32, 2),
    c("repeat", F32, 2, axis=1),
    c("repeat", F32, [1, 2, 3], axis=0, keras=False),
    c("flip", F32),
    c("flip", F32, axis=1),
    c("fliplr", F32),
    c("flipud", F32),
    c("roll", F32, 2),
    c("roll", F32, 1, axis=1),
    c("rot90", F32),
    c("rot90", T234, k=2, axes=(1, 2)),
    c("pad", F32, ((1, 2), (0, 1))),
    c("pad", F32, 1, constant_values=3.0, keras=False),
    c("pad", F32, ((1, 2), (2, 1)), mode="reflect"),
    c("pad", F32, ((2, 3), (1, 4)), mode="symmetric", keras=False),
    c("pad", F32, ((1, 2), (2, 1)), mode="edge", keras=False),
    c("pad", F32, ((2, 1), (3, 2)), mode="wrap", keras=False),
    c("pad", T234, ((0, 0), (1, 1), (2, 0)), mode="reflect"),
)

# indexing and searching --------------------------------------------------
IDX = np.array([[0, 2], [3, -1]])
add(
    c("take", F32, IDX, keras=False),
    c("take", F32, IDX, axis=1),
    c("take", M45, np.array([3, 0, 1]), axis=0),
    c("take", T234, np.array([2, -1]), axis=2),
    c("take_along_axis", F32, np.argsort(F32, axis=1), axis=1),
    c("take_along_axis", F32, np.argsort(F32, axis=0)[:2], axis=0),
    c("where", F32 > 0, F32, G32),
    c("where", F32 > 0, F32, 0.0),
    c("where", B, I32, F32),
    c("where", B, ref=lambda cnd: np.stack(np.where(cnd))),
    c(
        "select",
        [F32 < -0.5, F32 > 0.5],
        [F32, G32],
        default=1.0,
        ref=lambda cl, ch, default: np.select(cl, ch, default),
    ),
    c("nonzero", B),
    c("diag", V4),
    c("diag", F32, k=1),
    c("diagflat", F32[:2, :2]),
    c("diagonal", T234, offset=1, axis1=1, axis2=2),
    c("trace", F32),
    c("trace", T234, axis1=1, axis2=2),
    c("tril", F32),
    c("triu", F32, k=1),
    c("sort", F32),
    c("sort", F32, axis=0),
    c("argsort", F32),
    c("argsort", F32, axis=0),
    c("searchsorted", np.array([1.0, 2.0, 3.0, 5.0], "float32"), F32 * 3),
    c("searchsorted", np.array([1, 2, 2, 3]), np.array([2, 0, 4]), side="right"),
    c("digitize", F32, np.array([-1.0, 0.0, 1.0], "float32")),
    c("unique", np.array([3, 1, 3, 2, 1])),
    c(
        "unique",
        np.array([3, 1, 3, 2, 1]),
        return_inverse=True,
        return_counts=True,
        ref=lambda x, **kw: np.unique(x, **kw),
    ),
    c(
        "unique",
        np.array([3, 1, 3, 2, 1]),
        return_index=True,
        ref=lambda x, **kw: np.unique(x, **kw),
    ),
    c("bincount", np.array([0, 1, 1, 3])),
    c(
        "bincount",
        np.array([0, 1, 1, 3]),
        weights=np.array([0.5, 1.0, 2.0, 1.0]),
        minlength=6,
    ),
    c("histogram", V4, bins=3),
    c("isin", I32, np.array([1, 2, 3])),
    c("unravel_index", np.array([3, 7, 11]), (3, 4)),
    c("meshgrid", V4[:2], V4, ref=lambda *x: np.meshgrid(*x)),
    c(
        "meshgrid",
        V4[:2],
        V4,
        indexing="ij",
        ref=lambda *x, indexing: np.meshgrid(*x, indexing=indexing),
    ),
)

# products and linear algebra ---------------------------------------------
add(
    c("matmul", F32, M45),
    c("matmul", T234, M45),
    c("matmul", V4, M45),
    c("matmul", I32, J32.T),
    c("dot", F32, M45),
    c("dot", V4, V4),
    c("dot", T234, M45),
    c("dot", F32, 2.0),
    c("tensordot", T234, M45, axes=1),
    c("tensordot", T234, F32, axes=([1, 2], [0, 1])),
    c("inner", F32, G32),
    c("outer", V4, F32[0]),
    c("vdot", F32, G32),
    c("kron", F32[:2, :2], G32[:2, :3]),
    c("cross", F32[:, :3], G32[:, :3]),
    c(
        "cross",
        F32[:, :2],
        G32[:, :2],
        ref=lambda a, b: a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0],
    ),
    c("einsum", "ij,jk->ik", F32, M45),
    c("einsum", "bij->bji", T234),
    c("vander", V4),
    c("vander", V4, N=3, increasing=True),
    c("slogdet", SQ, ref=lambda x: tuple(np.linalg.slogdet(x))),
    c("corrcoef", F32),
    c("correlate", V4, V4[:2]),
    c("correlate", V4, V4[:3], mode="same"),
    c("correlate", V4, V4[:3], mode="full"),
    c("correlate", V4[:2], V4, mode="valid"),
    c("correlate", V4[:2], V4, mode="full"),
    c("correlate", V4[:2], V4, mode="same", keras=False),
)
_ = SPD


def _run_cornu(case: Case) -> Any:
    return getattr(ops, case.op)(*case.args, **case.kwargs)


@pytest.mark.parametrize("case", CASES)
def test_matches_numpy(case: Case) -> None:
    got = _run_cornu(case)
    if case.ref is None:
        pytest.skip("no NumPy reference")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy warns on all-NaN slices
        want = case.ref(*case.args, **case.kwargs)
    assert_close(got, want, rtol=case.tol, atol=case.tol)


KERAS = real_keras()
# Ops whose Keras result differs on purpose (see the module's docs), or
# that Keras's torch backend does not run.
KERAS_SKIP = {"vdot", "histogram", "unique", "bincount", "imag", "cross", "nonzero"}


@pytest.mark.skipif(KERAS is None, reason="real Keras (torch backend) not installed")
@pytest.mark.parametrize("case", CASES)
def test_matches_keras(case: Case) -> None:
    if case.op in KERAS_SKIP or not case.keras:
        pytest.skip("Keras's torch backend fails here or differs from NumPy")
    got = _run_cornu(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's own deprecation noise
        want = getattr(KERAS.ops, case.op)(*case.args, **case.kwargs)
    assert_close(got, want, rtol=1e-4, atol=1e-5)
    flat_got = got if isinstance(got, (list, tuple)) else [got]
    flat_want = want if isinstance(want, (list, tuple)) else [want]
    for g, w in zip(flat_got, flat_want):
        if isinstance(w, torch.Tensor):
            assert g.dtype == w.dtype, f"{case.op}: {g.dtype} != {w.dtype}"
