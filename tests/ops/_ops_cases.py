"""Shared inputs and helpers for the `cornu.ops` tests."""

from __future__ import annotations

import importlib
import os
from typing import Any

import numpy as np
import torch

RNG = np.random.default_rng(0)

F32 = RNG.standard_normal((3, 4)).astype("float32")
G32 = RNG.standard_normal((3, 4)).astype("float32")
POS = (RNG.random((3, 4)) + 0.5).astype("float32")
UNIT = (RNG.random((3, 4)) * 1.8 - 0.9).astype("float32")
I32 = RNG.integers(-5, 6, (3, 4)).astype("int32")
J32 = RNG.integers(1, 6, (3, 4)).astype("int32")
B = RNG.random((3, 4)) > 0.5
V4 = RNG.standard_normal(4).astype("float32")
M45 = RNG.standard_normal((4, 5)).astype("float32")
T234 = RNG.standard_normal((2, 3, 4)).astype("float32")
SQ = (RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype("float32")
SPD = (SQ @ SQ.T + np.eye(3)).astype("float32")
NAN = F32.copy()
NAN[0, 1] = np.nan
NAN[2, :] = np.nan
IMG = RNG.random((2, 6, 8, 3)).astype("float32")


def to_numpy(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    if isinstance(x, (list, tuple)):
        return type(x)(to_numpy(v) for v in x)
    return np.asarray(x)


def assert_close(got: Any, want: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Recursively compares nested results as float64 (NaNs equal)."""
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)), f"expected a sequence, got {type(got)}"
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_close(g, w, rtol, atol)
        return
    g, w = to_numpy(got), np.asarray(to_numpy(want))
    assert g.shape == w.shape, f"shape {g.shape} != {w.shape}"
    if np.iscomplexobj(w) or np.iscomplexobj(g):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    else:
        np.testing.assert_allclose(
            g.astype("float64"),
            w.astype("float64"),
            rtol=rtol,
            atol=atol,
            equal_nan=True,
        )


def real_keras() -> Any:
    """Real Keras on its torch backend, or None when unavailable."""
    if os.environ.get("KERAS_BACKEND", "torch") != "torch":
        return None
    os.environ["KERAS_BACKEND"] = "torch"
    try:
        return importlib.import_module("keras")
    except Exception:  # noqa: BLE001 - any import failure means "no oracle"
        return None
