"""`cornu.ops` core: conversion, slicing, scatter, control flow, rearrange."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import torch
from _ops_cases import F32, RNG, T234, assert_close

from cornu import config, ops


def test_convert_to_tensor_follows_keras() -> None:
    assert ops.convert_to_tensor(3).dtype == torch.int32
    assert ops.convert_to_tensor([1.0, 2]).dtype == torch.float32
    assert ops.convert_to_tensor(np.ones(2, "float64")).dtype == torch.float64
    assert ops.convert_to_tensor(True).dtype == torch.bool
    assert ops.convert_to_tensor([1, 2], dtype="float16").dtype == torch.float16
    t = torch.ones(2)
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor(F32).device == config.device()
    assert_close(ops.convert_to_numpy(torch.ones(2, dtype=torch.bfloat16)), np.ones(2))
    assert ops.is_tensor(t) and not ops.is_tensor(F32)
    assert ops.shape(F32) == (3, 4) and ops.dtype(F32) == "float32"
    assert ops.cast(F32, "int32").dtype == torch.int32


def test_saturate_cast() -> None:
    x = np.array([-1.0, 0.4, 255.6, 300.0, 3e9], "float32")
    assert_close(ops.saturate_cast(x, "uint8"), np.array([0, 0, 255, 255, 255]))
    big = ops.saturate_cast(x, "int32")
    assert big.dtype == torch.int32 and int(big[-1]) > 2**31 - 200
    assert_close(
        ops.saturate_cast(np.array([-300, 300]), "int8"), np.array([-128, 127])
    )


def test_slices_and_items() -> None:
    assert_close(ops.slice(T234, (0, 1, 2), (2, 2, 2)), T234[:, 1:3, 2:4])
    assert_close(ops.slice(T234, torch.tensor([1, 0, 0]), [1, 3, 2]), T234[1:, :, :2])
    upd = np.zeros((1, 2, 2), "float32")
    want = T234.copy()
    want[1:2, 1:3, 0:2] = 0
    assert_close(ops.slice_update(T234, (1, 1, 0), upd), want)
    assert_close(ops.get_item(F32, (slice(None), 1)), F32[:, 1])
    parts = ops.unstack(T234, axis=1)
    assert len(parts) == 3
    assert_close(parts[1], T234[:, 1])
    with pytest.raises(ValueError, match="`num` is 2"):
        ops.unstack(T234, num=2, axis=1)


def test_scatter_and_scatter_update() -> None:
    idx = np.array([[0, 1], [2, 3], [0, 1]])
    out = ops.scatter(idx, np.array([1.0, 2.0, 3.0], "float32"), (3, 4))
    want = np.zeros((3, 4))
    want[0, 1], want[2, 3] = 4.0, 2.0
    assert_close(out, want)
    rows = ops.scatter(np.array([[1]]), np.ones((1, 4), "float32"), (3, 4))
    assert_close(rows, np.eye(3)[[1]].T * np.ones((3, 4)))
    base = np.arange(12, dtype="float32").reshape(3, 4)
    idx = np.array([[0, 0], [1, 2], [0, 0]])
    vals = np.array([10.0, -1.0, 5.0], "float32")
    over = ops.scatter_update(base, idx[1:], vals[1:])
    want = base.copy()
    want[1, 2], want[0, 0] = -1, 5
    assert_close(over, want)
    for red, fn in (
        ("add", np.add),
        ("max", np.maximum),
        ("min", np.minimum),
        ("mul", np.multiply),
    ):
        want = base.copy()
        for (i, j), v in zip(idx, vals):
            want[i, j] = fn(want[i, j], v)
        assert_close(ops.scatter_update(base, idx, vals, reduction=red), want)
    with pytest.raises(ValueError, match="`reduction` must be"):
        ops.scatter_update(base, idx, vals, reduction="mean")


def test_control_flow() -> None:
    assert ops.cond(torch.tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.switch(5, [lambda x: x + 1, lambda x: x * 10], 3) == 30
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 0) == 6
    i, s = ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (0, 0))
    assert int(i) == 5 and int(s) == 10
    assert (
        int(ops.while_loop(lambda i: i < 100, lambda i: i * 2, 1, maximum_iterations=3))
        == 8
    )
    carry, ys = ops.scan(
        lambda c, x: (c + x, c * x), torch.tensor(0.0), torch.arange(1.0, 5.0)
    )
    assert float(carry) == 10.0
    assert_close(ys, np.array([0.0, 2.0, 9.0, 24.0]))
    carry, ys = ops.scan(lambda c, x: (c + 1, None), 0, length=3, reverse=True)
    assert int(carry) == 3 and ys is None
    assert_close(ops.map(lambda x: x.sum(), T234), T234.sum(axis=(1, 2)))
    assert_close(
        ops.vectorized_map(lambda x: x @ x, torch.tensor(F32)), (F32 * F32).sum(-1)
    )


@pytest.mark.parametrize("n", [1, 2, 5, 8])
@pytest.mark.parametrize("reverse", [False, True])
def test_associative_scan(n: int, reverse: bool) -> None:
    x = RNG.standard_normal((3, n)).astype("float32")
    got = ops.associative_scan(lambda a, b: a + b, x, reverse=reverse, axis=1)
    want = np.flip(np.cumsum(np.flip(x, 1), 1), 1) if reverse else np.cumsum(x, 1)
    assert_close(got, want, atol=1e-5)
    # A structured, non-commutative operator: composing affine maps.
    a, b = RNG.random(n).astype("float32"), RNG.random(n).astype("float32")
    got_a, got_b = ops.associative_scan(
        lambda p, q: (p[0] * q[0], q[0] * p[1] + q[1]), (a, b)
    )
    acc_a, acc_b, wa, wb = 1.0, 0.0, [], []
    for ai, bi in zip(a, b):
        acc_a, acc_b = acc_a * ai, ai * acc_b + bi
        wa.append(acc_a)
        wb.append(acc_b)
    assert_close(got_a, np.array(wa), atol=1e-5)
    assert_close(got_b, np.array(wb), atol=1e-5)


def test_custom_gradient_both_styles() -> None:
    @ops.custom_gradient
    def tf_style(x: torch.Tensor):
        return x * 2, lambda upstream: upstream * 100

    @ops.custom_gradient
    def torch_style(x: torch.Tensor):
        def grad(*args, upstream):
            return upstream * args[0]

        return x * 2, grad

    x = torch.tensor([1.0, 3.0], requires_grad=True)
    (g,) = torch.autograd.grad(tf_style(x).sum(), x)
    assert_close(g, np.array([100.0, 100.0]))
    (g,) = torch.autograd.grad(torch_style(x).sum(), x)
    assert_close(g, np.array([1.0, 3.0]))
    assert_close(tf_style(x), np.array([2.0, 6.0]))


def test_stop_gradient() -> None:
    x = torch.ones(2, requires_grad=True)
    assert not ops.stop_gradient(x * 2).requires_grad


def test_rearrange() -> None:
    x = RNG.standard_normal((2, 6, 4)).astype("float32")
    assert_close(ops.rearrange(x, "b h w -> b w h"), x.transpose(0, 2, 1))
    assert_close(ops.rearrange(x, "b h w -> b (h w)"), x.reshape(2, 24))
    assert_close(
        ops.rearrange(x, "b (h1 h2) w -> b h1 h2 w", h1=2), x.reshape(2, 2, 3, 4)
    )
    assert_close(
        ops.rearrange(x, "b (h1 h2) w -> (b h2) (h1 w)", h2=3),
        x.reshape(2, 2, 3, 4).transpose(0, 2, 1, 3).reshape(6, 8),
    )
    with pytest.raises(ValueError, match="names 2 input axes"):
        ops.rearrange(x, "b h -> h b")


@pytest.mark.parametrize(
    "module", ["core", "dtypes", "numpy", "nn", "math", "linalg", "image", "einops"]
)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(f"cornu.ops.{module}")
    globs = {"torch": torch, "np": np, **vars(mod)}
    result = doctest.testmod(mod, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
