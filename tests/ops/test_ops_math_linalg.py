"""`cornu.ops.math` and `cornu.ops.linalg` against NumPy and real Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _ops_cases import F32, RNG, SPD, SQ, T234, V4, assert_close, real_keras

import cornu
from cornu import ops

KERAS = real_keras()
needs_keras = pytest.mark.skipif(KERAS is None, reason="real Keras not installed")

DATA = RNG.standard_normal((6, 3)).astype("float32")
IDS = np.array([0, 0, 2, 1, 2, -1])


def _segment_ref(how: str, num: int = 3) -> np.ndarray:
    init = {"sum": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}[how]
    out = np.full((num, 3), init)
    fn = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}[how]
    for row, i in zip(DATA, IDS):
        if 0 <= i < num:
            out[i] = fn(out[i], row)
    return out


@pytest.mark.parametrize("how", ["sum", "prod", "max", "min"])
def test_segment_reductions(how: str) -> None:
    fn = getattr(ops, f"segment_{how}")
    assert_close(fn(DATA, IDS), _segment_ref(how), rtol=1e-6)
    assert_close(fn(DATA, IDS, num_segments=4), _segment_ref(how, 4), rtol=1e-6)


def test_top_k_in_top_k_logsumexp() -> None:
    values, idx = ops.top_k(F32, 2)
    assert idx.dtype == torch.int32
    assert_close(values, -np.sort(-F32, axis=-1)[:, :2])
    assert_close(idx, np.argsort(-F32, axis=-1)[:, :2])
    targets = np.array([0, 1, 2])
    want = [t in np.argsort(-row)[:2] for t, row in zip(targets, F32)]
    assert_close(ops.in_top_k(targets, F32, 2), np.array(want))
    want = np.log(np.exp(F32.astype("float64")).sum(axis=1))
    assert_close(ops.logsumexp(F32, axis=1), want, rtol=1e-6)
    assert_close(
        ops.logsumexp(F32), np.log(np.exp(F32.astype("float64")).sum()), rtol=1e-6
    )


@pytest.mark.parametrize(
    ("name", "ref"),
    [
        ("rsqrt", lambda x: 1 / np.sqrt(np.abs(x) + 0.1)),
        ("erf", None),
        ("erfc", None),
        ("erfinv", None),
    ],
)
def test_special_functions(name: str, ref: Any) -> None:
    x = np.clip(F32, -0.9, 0.9)
    if name == "rsqrt":
        assert_close(ops.rsqrt(np.abs(x) + 0.1), ref(x), rtol=1e-5)
        return
    torch_fn = getattr(torch.special, name)
    assert_close(
        getattr(ops, name)(x),
        torch_fn(torch.tensor(x, dtype=torch.float64)),
        rtol=1e-5,
        atol=1e-6,
    )
    assert getattr(ops, name)(np.array([0, 1])).dtype == torch.float32


def test_cdist_and_extract_sequences() -> None:
    a, b = T234, RNG.standard_normal((2, 5, 4)).astype("float32")
    want = np.sqrt(((a[:, :, None] - b[:, None]) ** 2).sum(-1))
    assert_close(ops.cdist(a, b), want, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="last dimensions differ"):
        ops.cdist(a, b[..., :3])
    x = np.arange(10, dtype="float32")
    frames = ops.extract_sequences(x, 4, 3)
    assert_close(frames, np.stack([x[i : i + 4] for i in (0, 3, 6)]))


def test_ffts_match_numpy() -> None:
    re, im = F32, RNG.standard_normal((3, 4)).astype("float32")
    z = re + 1j * im
    for fn, ref in (
        (ops.fft, np.fft.fft),
        (ops.fft2, np.fft.fft2),
        (ops.ifft2, np.fft.ifft2),
    ):
        r, i = fn((re, im))
        assert_close(r, ref(z).real, rtol=1e-4, atol=1e-5)
        assert_close(i, ref(z).imag, rtol=1e-4, atol=1e-5)
    r, i = ops.rfft(re, fft_length=6)
    assert_close(r, np.fft.rfft(re, 6).real, atol=1e-5)
    assert_close(ops.irfft((r, i), 6), np.fft.irfft(np.fft.rfft(re, 6), 6), atol=1e-5)
    with pytest.raises(ValueError, match="tuple"):
        ops.fft(re)


@pytest.mark.parametrize(
    ("seq", "stride", "fft", "window", "center"),
    [(8, 4, 8, "hann", True), (8, 2, 16, "hamming", False), (6, 3, 8, None, True)],
)
def test_stft_istft(seq: int, stride: int, fft: int, window: Any, center: bool) -> None:
    x = RNG.standard_normal((2, 64)).astype("float32")
    re, im = ops.stft(x, seq, stride, fft, window=window, center=center)
    n_frames = (64 + (fft if center else 0) - fft) // stride + 1
    assert tuple(re.shape) == (2, n_frames, fft // 2 + 1)
    if KERAS is not None:
        kre, kim = KERAS.ops.stft(x, seq, stride, fft, window=window, center=center)
        assert_close(re, kre, atol=1e-4)
        assert_close(im, kim, atol=1e-4)
        y = ops.istft((re, im), seq, stride, fft, window=window, center=center)
        ky = KERAS.ops.istft((kre, kim), seq, stride, fft, window=window, center=center)
        assert_close(y, ky, atol=1e-4)
    if window == "hann" and center:
        y = ops.istft((re, im), seq, stride, fft, length=64, window=window)
        assert_close(y, x, atol=1e-4)


def test_view_as_complex_and_real() -> None:
    x = RNG.standard_normal((3, 2)).astype("float32")
    z = ops.view_as_complex(x)
    assert_close(z, x[:, 0] + 1j * x[:, 1])
    assert_close(ops.view_as_real(z), x)
    with pytest.raises(ValueError, match="last axis of size 2"):
        ops.view_as_complex(F32)


# --------------------------------------------------------------------------
# linalg


def test_decompositions() -> None:
    chol = ops.cholesky(SPD)
    assert_close(chol, np.linalg.cholesky(SPD), rtol=1e-4, atol=1e-5)
    assert_close(ops.cholesky(SPD, upper=True), np.linalg.cholesky(SPD).T, atol=1e-5)
    assert_close(ops.cholesky_inverse(chol), np.linalg.inv(SPD), rtol=1e-4, atol=1e-5)
    assert_close(ops.det(SQ), np.linalg.det(SQ), rtol=1e-4)
    assert_close(ops.inv(SQ), np.linalg.inv(SQ), rtol=1e-4, atol=1e-5)
    w, v = ops.eigh(SPD)
    assert_close(w, np.linalg.eigh(SPD)[0], rtol=1e-4)
    assert_close(v @ torch.diag(w) @ v.T, SPD, rtol=1e-4, atol=1e-4)
    w, v = ops.eig(SQ)
    assert_close(
        torch.sort(w.real).values,
        np.sort(np.linalg.eigvals(SQ).real),
        rtol=1e-4,
        atol=1e-5,
    )
    q, r = ops.qr(F32.T)
    assert tuple(q.shape) == (4, 3) and tuple(r.shape) == (3, 3)
    assert_close(q @ r, F32.T, atol=1e-5)
    q, r = ops.qr(F32.T, mode="complete")
    assert tuple(q.shape) == (4, 4)
    u, s, vh = ops.svd(F32, full_matrices=False)
    assert_close(u @ torch.diag(s) @ vh, F32, atol=1e-5)
    assert_close(ops.svd(F32, compute_uv=False), np.linalg.svd(F32)[1], rtol=1e-5)
    lu, piv = ops.lu_factor(SQ)
    assert piv.dtype == torch.int32
    lu_np, rows = lu.numpy(), list(range(3))
    for i, p in enumerate(piv.tolist()):  # 0-based LAPACK row swaps
        rows[i], rows[p] = rows[p], rows[i]
    lower = np.tril(lu_np, -1) + np.eye(3)
    assert_close(lower @ np.triu(lu_np), SQ[rows], atol=1e-5)


def test_solvers_norms_and_rank() -> None:
    b = RNG.standard_normal((3, 2)).astype("float32")
    assert_close(ops.solve(SQ, b), np.linalg.solve(SQ, b), rtol=1e-4, atol=1e-5)
    assert_close(ops.solve(SQ, b[:, 0]), np.linalg.solve(SQ, b[:, 0]), atol=1e-5)
    low = np.tril(SQ)
    assert_close(
        ops.solve_triangular(low, b, lower=True),
        np.linalg.solve(low, b),
        rtol=1e-4,
        atol=1e-5,
    )
    assert_close(
        ops.solve_triangular(low.T, b[:, 0]),
        np.linalg.solve(low.T, b[:, 0]),
        rtol=1e-4,
        atol=1e-5,
    )
    a = RNG.standard_normal((6, 3)).astype("float32")
    y = RNG.standard_normal(6).astype("float32")
    assert_close(ops.lstsq(a, y), np.linalg.lstsq(a, y, rcond=None)[0], atol=1e-5)
    assert_close(ops.pinv(a), np.linalg.pinv(a), atol=1e-5)
    assert ops.matrix_rank(np.outer(V4, V4)) == 1
    assert_close(ops.matrix_power(SQ, 3), np.linalg.matrix_power(SQ, 3), rtol=1e-4)
    assert_close(ops.matrix_power(SQ, -1), np.linalg.inv(SQ), rtol=1e-4, atol=1e-5)
    for kwargs in (
        {},
        {"ord": 1},
        {"ord": "fro"},
        {"ord": np.inf},
        {"axis": 1},
        {"axis": 0, "ord": 3, "keepdims": True},
        {"ord": "nuc", "axis": (0, 1)},
    ):
        assert_close(ops.norm(F32, **kwargs), np.linalg.norm(F32, **kwargs), rtol=1e-5)
    assert_close(
        ops.norm(T234, axis=(1, 2)), np.linalg.norm(T234, axis=(1, 2)), rtol=1e-5
    )
    assert ops.norm(np.array([3, 4])).dtype == torch.float32
    with pytest.raises(ValueError, match="square matrices"):
        ops.inv(F32)


def test_jvp() -> None:
    x = torch.tensor(V4)
    out, tangent = ops.jvp(lambda t: t**2, (x,), (torch.ones(4),))
    assert_close(out, V4**2)
    assert_close(tangent, 2 * V4)


@needs_keras
def test_linalg_matches_keras() -> None:
    b = RNG.standard_normal((3, 2)).astype("float32")
    for name, args in [
        ("det", (SQ,)),
        ("inv", (SQ,)),
        ("solve", (SQ, b)),
        ("norm", (F32,)),
        ("cholesky", (SPD,)),
        ("pinv", (F32,)),
        ("solve_triangular", (np.triu(SQ), b)),
        ("lu_factor", (SQ,)),
    ]:
        got = getattr(ops, name)(*args)
        want = getattr(KERAS.ops, name)(*args)
        assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_gammainc_matches_closed_forms_for_integer_shapes():
    x = np.linspace(0.1, 6.0, 13)
    closed = {
        1.0: 1 - np.exp(-x),
        2.0: 1 - (1 + x) * np.exp(-x),
        3.0: 1 - (1 + x + x**2 / 2) * np.exp(-x),
    }
    for a, expected in closed.items():
        got = ops.gammainc(np.full_like(x, a), x)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)
    # Keras's documented example, and int inputs computing in floatx.
    np.testing.assert_allclose(
        ops.gammainc([1.0, 2.0, 3.0], [0.5, 1.0, 2.0]).numpy(),
        [0.39346936, 0.26424113, 0.3233236],
        rtol=1e-6,
    )
    assert ops.gammainc(np.array([2], "int32"), np.array([1], "int32")).dtype == (
        torch.float32
    )
    symbolic = ops.gammainc(cornu.Input((3,)), cornu.Input((1,)))
    assert symbolic.shape == (None, 3) and symbolic.dtype == "float32"
