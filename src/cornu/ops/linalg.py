"""`keras.ops.linalg`: decompositions, solvers and norms over `torch.linalg`.

All functions work on batches of matrices (leading axes are batch axes).
Integer inputs are computed in floatx().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from cornu.ops.core import keras_op
from cornu.ops.dtypes import result_type
from cornu.ops.numpy import _t, _tdt, _to_float

Tensor = torch.Tensor
ArrayLike = Any


def _square(x: Tensor, what: str) -> Tensor:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{what} expects (batches of) square matrices, received shape "
            f"{tuple(x.shape)}."
        )
    return x


def _f(x: Any) -> Tensor:
    return _to_float(_t(x))


@keras_op("Cholesky")
def cholesky(x: ArrayLike, upper: bool = False) -> Tensor:
    """Cholesky factor `L` (or `U` when `upper`) of a positive-definite matrix."""
    return torch.linalg.cholesky(_square(_f(x), "cholesky"), upper=upper)


@keras_op("CholeskyInverse")
def cholesky_inverse(x: ArrayLike, upper: bool = False) -> Tensor:
    """The inverse of `A` given its Cholesky factor `x`."""
    return torch.cholesky_inverse(_square(_f(x), "cholesky_inverse"), upper=upper)


@keras_op("Det")
def det(x: ArrayLike) -> Tensor:
    """Determinant."""
    return torch.linalg.det(_square(_f(x), "det"))


@keras_op("Eig")
def eig(x: ArrayLike) -> tuple[Tensor, Tensor]:
    """Eigenvalues and right eigenvectors of a general matrix (complex)."""
    return tuple(torch.linalg.eig(_square(_f(x), "eig")))  # type: ignore[return-value]


@keras_op("Eigh")
def eigh(x: ArrayLike) -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix."""
    return tuple(torch.linalg.eigh(_square(_f(x), "eigh")))  # type: ignore[return-value]


@keras_op("Inv")
def inv(x: ArrayLike) -> Tensor:
    """Matrix inverse."""
    return torch.linalg.inv(_square(_f(x), "inv"))


@keras_op("LuFactor")
def lu_factor(x: ArrayLike) -> tuple[Tensor, Tensor]:
    """Packed LU factorisation and 0-based int32 pivots (as JAX/SciPy)."""
    lu, piv = torch.linalg.lu_factor(_f(x))
    return lu, (piv - 1).to(torch.int32)


@keras_op("Norm")
def norm(
    x: ArrayLike, ord: Any = None, axis: Any = None, keepdims: bool = False
) -> Tensor:
    """Vector or matrix norm.

    Args:
        x: input tensor.
        ord: the norm order (`None`, an int/float, `"fro"`, `"nuc"`, inf).
        axis: an int (vector norm), a pair (matrix norm), or None (the
            2-norm of the flattened input, or `ord` over a 1-D/2-D input).
        keepdims: keep reduced axes with size 1.

    Returns:
        The norm, in floatx() for integer inputs.
    """
    x = _t(x)
    dtype = _tdt(result_type(x.dtype, float)) if x.dtype != torch.int64 else None
    x = _to_float(x) if dtype is None else x.to(dtype)
    if isinstance(axis, list):
        axis = tuple(axis)
    if axis is None and ord is None:
        out = torch.linalg.vector_norm(x, 2, dim=None, keepdim=keepdims)
        return out
    if axis is None:
        axis = tuple(range(x.ndim)) if x.ndim <= 2 else None
        if axis is None:
            raise ValueError(
                "norm with `ord` and no `axis` expects a 1-D or 2-D input, received "
                f"shape {tuple(x.shape)}."
            )
    if isinstance(axis, int) or len(axis) == 1:
        return torch.linalg.vector_norm(
            x, 2 if ord is None else ord, dim=axis, keepdim=keepdims
        )
    return torch.linalg.matrix_norm(
        x, "fro" if ord is None else ord, dim=axis, keepdim=keepdims
    )


@keras_op("Qr")
def qr(x: ArrayLike, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """QR decomposition; `mode` is `"reduced"` or `"complete"`."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` must be 'reduced' or 'complete', received: {mode!r}.")
    return tuple(torch.linalg.qr(_f(x), mode=mode))  # type: ignore[return-value]


def _common(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    a, b = _t(a), _t(b)
    dtype = _tdt(result_type(a.dtype, b.dtype, float))
    return a.to(dtype), b.to(dtype)


@keras_op("Solve")
def solve(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Solves `a @ x = b` for `x` (`b` a vector or a matrix)."""
    a, b = _common(a, b)
    return torch.linalg.solve(_square(a, "solve"), b)


@keras_op("SolveTriangular")
def solve_triangular(a: ArrayLike, b: ArrayLike, lower: bool = False) -> Tensor:
    """Solves `a @ x = b` for a triangular `a` (upper unless `lower`)."""
    a, b = _common(a, b)
    vec = b.ndim == a.ndim - 1
    if vec:
        b = b.unsqueeze(-1)
    out = torch.linalg.solve_triangular(a, b, upper=not lower)
    return out.squeeze(-1) if vec else out


@keras_op("SVD")
def svd(x: ArrayLike, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition `(u, s, vh)`, or just `s`."""
    x = _f(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


@keras_op("Lstsq")
def lstsq(a: ArrayLike, b: ArrayLike, rcond: float | None = None) -> Tensor:
    """Least-squares solution of `a @ x = b` (any shape of `a`)."""
    a, b = _common(a, b)
    vec = b.ndim == 1
    if vec:
        b = b.unsqueeze(-1)
    if a.device.type == "cpu":
        out = torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    else:
        # CUDA's only driver (gels) needs full-rank tall matrices.
        out = torch.linalg.pinv(a, rtol=rcond) @ b
    return out.squeeze(-1) if vec else out


@keras_op("MatrixRank")
def matrix_rank(x: ArrayLike, tol: float | None = None) -> Tensor:
    """Numerical rank (int32): singular values above `tol` (or the default
    `max(m, n) * eps * s_max`)."""
    return torch.linalg.matrix_rank(_f(x), atol=tol).to(torch.int32)


@keras_op("Pinv")
def pinv(x: ArrayLike, rcond: float | None = None) -> Tensor:
    """Moore-Penrose pseudo-inverse (singular values below `rcond * s_max`
    are treated as zero)."""
    return torch.linalg.pinv(_f(x), rtol=rcond)


@keras_op("MatrixPower")
def matrix_power(x: ArrayLike, n: int) -> Tensor:
    """`x` multiplied by itself `n` times (`n < 0` inverts first)."""
    x = _t(x)
    if n < 0:
        x = _to_float(x)
    return torch.linalg.matrix_power(_square(x, "matrix_power"), n)


def jvp(
    fun: Callable[..., Any], primals: Any, tangents: Any, has_aux: bool = False
) -> Any:
    """Jacobian-vector product of `fun` at `primals` along `tangents`.

    Returns:
        `(outputs, tangent_outputs)` (and `aux` when `has_aux`).
    """
    primals = tuple(_t(p) for p in primals)
    tangents = tuple(_t(t) for t in tangents)
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)


__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "lstsq",
    "lu_factor",
    "matrix_power",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]
