"""`cornu.ops.nn` against NumPy references and real Keras."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from _ops_cases import RNG, assert_close, real_keras
from numpy.lib.stride_tricks import sliding_window_view

from cornu import ops

KERAS = real_keras()
needs_keras = pytest.mark.skipif(KERAS is None, reason="real Keras not installed")

X = RNG.standard_normal((3, 5)).astype("float32") * 3


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _softmax(x: np.ndarray, axis: Any = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "log_sigmoid": lambda x: -np.log1p(np.exp(-x)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: (
        1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))
    ),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(x)),
    "gelu": lambda x: (
        0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    ),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "sparse_plus": lambda x: np.where(
        x <= -1, 0, np.where(x >= 1, x, 0.25 * (x + 1) ** 2)
    ),
    "sparse_sigmoid": lambda x: np.clip(0.5 * (x + 1), 0, 1),
    "squareplus": lambda x: 0.5 * (x + np.sqrt(x**2 + 4)),
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_numpy(name: str) -> None:
    got = getattr(ops, name)(X)
    assert got.dtype == torch.float32
    assert_close(got, ACTIVATIONS[name](X.astype("float64")), rtol=1e-5, atol=1e-5)


@needs_keras
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_keras(name: str) -> None:
    for x in (X, X.astype("float16"), np.arange(-3, 3).astype("int32")):
        try:
            want = getattr(KERAS.ops, name)(x)
        except NotImplementedError:  # torch kernels without integer support
            continue
        got = getattr(ops, name)(x)
        assert_close(got, want, rtol=2e-3, atol=2e-3)
        assert got.dtype == want.dtype, (x.dtype, got.dtype, want.dtype)


@pytest.mark.parametrize(
    ("call", "ref"),
    [
        (
            lambda: ops.gelu(X, approximate=False),
            lambda: 0.5 * X * (1 + torch.erf(torch.tensor(X) / 2**0.5)).numpy(),
        ),
        (lambda: ops.elu(X, alpha=0.5), lambda: np.where(X > 0, X, 0.5 * np.expm1(X))),
        (
            lambda: ops.leaky_relu(X, negative_slope=0.1),
            lambda: np.where(X > 0, X, 0.1 * X),
        ),
        (lambda: ops.threshold(X, 0.5, -1.0), lambda: np.where(X > 0.5, X, -1.0)),
        (lambda: ops.glu(X[:, :4]), lambda: X[:, :2] * _sigmoid(X[:, 2:4])),
        (lambda: ops.softmax(X, axis=0), lambda: _softmax(X, axis=0)),
        (lambda: ops.softmax(X, axis=None), lambda: _softmax(X, axis=(0, 1))),
        (lambda: ops.softmax(X[None], axis=(0, 2)), lambda: _softmax(X[None], (0, 2))),
        (lambda: ops.log_softmax(X, axis=0), lambda: np.log(_softmax(X, axis=0))),
        (lambda: ops.squareplus(X, b=1), lambda: 0.5 * (X + np.sqrt(X**2 + 1))),
    ],
)
def test_activation_arguments(call: Any, ref: Any) -> None:
    assert_close(call(), ref(), rtol=1e-5, atol=1e-5)


def test_sparsemax_is_a_sparse_projection_onto_the_simplex() -> None:
    out = ops.sparsemax(X)
    assert_close(out.sum(-1), np.ones(3), atol=1e-6)
    assert (out >= 0).all() and (out == 0).any()
    # Martins & Astudillo's closed form, row by row.
    for row, got in zip(X.astype("float64"), out):
        z = np.sort(row)[::-1]
        k = np.arange(1, z.size + 1)
        support = 1 + k * z > np.cumsum(z)
        kz = k[support][-1]
        tau = (np.cumsum(z)[kz - 1] - 1) / kz
        assert_close(got, np.maximum(row - tau, 0), atol=1e-6)


def test_glu_rejects_odd_axis() -> None:
    with pytest.raises(ValueError, match="even size along axis -1"):
        ops.glu(X)


# --------------------------------------------------------------------------
# convolution and pooling, against a NumPy sliding-window reference


def _same_pads(size: tuple, k: tuple, s: tuple, d: tuple) -> list:
    pads = []
    for n, kk, ss, dd in zip(size, k, s, d):
        eff = (kk - 1) * dd + 1
        out = -(-n // ss)
        total = max((out - 1) * ss + eff - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def np_conv(x: np.ndarray, k: np.ndarray, strides: int, padding: str, dil: int):
    """Channels-last N-d convolution, groups from the kernel's input depth."""
    n = x.ndim - 2
    ks = k.shape[:n]
    s, d = (strides,) * n, (dil,) * n
    if padding == "same":
        pads = _same_pads(x.shape[1:-1], ks, s, d)
        x = np.pad(x, [(0, 0), *pads, (0, 0)])
    # Dilate the kernel with zeros: same result as a dilated convolution.
    eff = [(kk - 1) * dd + 1 for kk, dd in zip(ks, d)]
    kd = np.zeros((*eff, *k.shape[n:]), k.dtype)
    kd[tuple(slice(None, None, dd) for dd in d)] = k
    win = sliding_window_view(x, eff, axis=tuple(range(1, n + 1)))
    win = win[(slice(None), *[slice(None, None, ss) for ss in s])]
    # win: (N, *out, C, *eff)
    cin, cout = k.shape[n], k.shape[n + 1]
    groups = x.shape[-1] // cin
    win = win.reshape(*win.shape[: n + 1], groups, cin, *eff)
    kd = kd.reshape(*eff, cin, groups, cout // groups)
    sp = "".join("pqr"[:n])
    return np.einsum(f"N...gc{sp},{sp}cgo->N...go", win, kd).reshape(
        *win.shape[: n + 1], cout
    )


CONV_CONFIGS = [
    (nd, strides, padding, dil, groups)
    for nd, strides, padding, dil, groups in itertools.product(
        (1, 2, 3), (1, 2), ("valid", "same"), (1, 2), (1, 2)
    )
    if not (strides > 1 and dil > 1) and not (nd == 3 and groups == 2)
]


@pytest.mark.parametrize(("nd", "strides", "padding", "dil", "groups"), CONV_CONFIGS)
def test_conv_matches_numpy(nd: int, strides: int, padding: str, dil: int, groups: int):
    spatial = (7, 6, 5)[:nd]
    x = RNG.standard_normal((2, *spatial, 4)).astype("float32")
    k = RNG.standard_normal((3, 2, 2)[:nd] + (4 // groups, 6)).astype("float32")
    got = ops.conv(x, k, strides=strides, padding=padding, dilation_rate=dil)
    assert_close(got, np_conv(x, k, strides, padding, dil), rtol=1e-4, atol=1e-4)
    # channels_first is the same computation on transposed data.
    perm = (0, nd + 1, *range(1, nd + 1))
    back = (0, *range(2, nd + 2), 1)
    got_cf = ops.conv(np.transpose(x, perm), k, strides, padding, "channels_first", dil)
    assert_close(got_cf.permute(*back), got, rtol=1e-5, atol=1e-5)


def test_depthwise_and_separable_conv_match_numpy() -> None:
    x = RNG.standard_normal((2, 7, 6, 3)).astype("float32")
    dw = RNG.standard_normal((3, 3, 3, 2)).astype("float32")
    pw = RNG.standard_normal((1, 1, 6, 4)).astype("float32")
    # depthwise = grouped conv with one group per channel, outputs c*m+j.
    want_dw = np_conv(x, dw.reshape(3, 3, 1, 6), 1, "same", 1)
    got_dw = ops.depthwise_conv(x, dw, padding="same")
    assert_close(got_dw, want_dw, rtol=1e-4, atol=1e-4)
    got = ops.separable_conv(x, dw, pw, strides=2, padding="same")
    want = np_conv(np_conv(x, dw.reshape(3, 3, 1, 6), 2, "same", 1), pw, 1, "valid", 1)
    assert_close(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("strides", "padding", "output_padding", "dil"),
    [
        (1, "valid", None, 1),
        (2, "valid", None, 1),
        (2, "same", None, 1),
        (3, "same", None, 1),
        (2, "same", 1, 1),
        (2, "valid", 1, 1),
        (1, "same", None, 2),
        (3, "valid", None, 1),
    ],
)
def test_conv_transpose(strides: int, padding: str, output_padding: Any, dil: int):
    x = RNG.standard_normal((2, 5, 4, 3)).astype("float32")
    k = RNG.standard_normal((3, 3, 6, 3)).astype("float32")  # (kh, kw, out, in)
    got = ops.conv_transpose(x, k, strides, padding, output_padding, dilation_rate=dil)
    eff = 2 * dil + 1
    if output_padding is None:
        size = [
            n * strides if padding == "same" else n * strides + max(eff - strides, 0)
            for n in (5, 4)
        ]
    else:
        pad = eff // 2 if padding == "same" else 0
        size = [(n - 1) * strides + eff - 2 * pad + output_padding for n in (5, 4)]
    assert tuple(got.shape) == (2, *size, 6)
    if KERAS is not None:
        want = KERAS.ops.conv_transpose(
            x, k, strides, padding, output_padding, dilation_rate=dil
        )
        assert_close(got, want, rtol=1e-4, atol=1e-4)
    if padding == "valid" and output_padding is None and dil == 1:
        # The transposed convolution is the adjoint of the convolution.
        y = RNG.standard_normal(tuple(got.shape)).astype("float32")
        lhs = (ops.conv(y, k, strides) * torch.tensor(x)).sum()
        rhs = (got * torch.tensor(y)).sum()
        assert_close(lhs, rhs, rtol=1e-4, atol=1e-3)


def np_pool(x: np.ndarray, size: int, strides: int, padding: str, how: str):
    n = x.ndim - 2
    s = (strides,) * n
    k = (size,) * n
    fill = -np.inf if how == "max" else np.nan
    if padding == "same":
        x = np.pad(
            x,
            [(0, 0), *_same_pads(x.shape[1:-1], k, s, (1,) * n), (0, 0)],
            constant_values=fill,
        )
    win = sliding_window_view(x, k, axis=tuple(range(1, n + 1)))
    win = win[(slice(None), *[slice(None, None, ss) for ss in s])]
    axes = tuple(range(-n, 0))
    return win.max(axis=axes) if how == "max" else np.nanmean(win, axis=axes)


@pytest.mark.parametrize(
    ("nd", "size", "strides", "padding"),
    list(itertools.product((1, 2, 3), (2, 3), (1, 2), ("valid", "same"))),
)
def test_pooling_matches_numpy(nd: int, size: int, strides: int, padding: str) -> None:
    x = RNG.standard_normal((2, *(7, 6, 5)[:nd], 3)).astype("float32")
    for how, fn in (("max", ops.max_pool), ("avg", ops.average_pool)):
        got = fn(x, size, strides, padding)
        assert_close(got, np_pool(x, size, strides, padding, how), rtol=1e-5, atol=1e-5)


def test_adaptive_pooling() -> None:
    x = RNG.standard_normal((2, 6, 8, 3)).astype("float32")
    got = ops.adaptive_average_pool(x, (3, 2))
    want = x.reshape(2, 3, 2, 2, 4, 3).mean(axis=(2, 4))
    assert_close(got, want, atol=1e-6)
    got = ops.adaptive_max_pool(x, 2)
    assert_close(got, x.reshape(2, 2, 3, 2, 4, 3).max(axis=(2, 4)))


def test_conv_errors() -> None:
    x = np.zeros((1, 5, 5, 3), "float32")
    with pytest.raises(ValueError, match="input channels"):
        ops.conv(x, np.zeros((3, 3, 2, 4), "float32"))
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        ops.conv(np.zeros((5, 3), "float32"), np.zeros((3, 3, 4), "float32"))
    with pytest.raises(ValueError, match="'valid' or 'same'"):
        ops.conv(x, np.zeros((3, 3, 3, 4), "float32"), padding="full")
    with pytest.raises(ValueError, match="`strides` must have 2 values"):
        ops.conv(x, np.zeros((3, 3, 3, 4), "float32"), strides=(1, 1, 1))


def test_unfold_fold_and_depth_space() -> None:
    x = RNG.standard_normal((2, 3, 6, 4)).astype("float32")
    cols = ops.unfold(x, 2, stride=2)
    assert tuple(cols.shape) == (2, 12, 6)
    assert_close(ops.fold(cols, (6, 4), 2, stride=2), x)
    img = RNG.standard_normal((2, 4, 6, 8)).astype("float32")
    d = ops.space_to_depth(img, 2)
    assert tuple(d.shape) == (2, 2, 3, 32)
    assert_close(ops.depth_to_space(d, 2), img)
    cf = ops.space_to_depth(img, 2, data_format="channels_first")
    assert_close(ops.depth_to_space(cf, 2, data_format="channels_first"), img)
    if KERAS is not None:
        assert_close(d, KERAS.ops.space_to_depth(img, 2))
        assert_close(cf, KERAS.ops.space_to_depth(img, 2, data_format="channels_first"))


# --------------------------------------------------------------------------
# encodings, losses, normalization


def test_one_hot_and_multi_hot() -> None:
    labels = np.array([[0, 2], [3, -1]])
    got = ops.one_hot(labels, 4)
    assert got.dtype == torch.float32
    assert_close(got, np.eye(4)[labels] * (labels >= 0)[..., None])
    assert tuple(ops.one_hot(labels, 4, axis=0).shape) == (4, 2, 2)
    assert ops.one_hot(labels, 4, dtype="int32").dtype == torch.int32
    assert_close(ops.multi_hot(labels, 4), np.array([[1, 0, 1, 0], [0, 0, 0, 1]]))
    with pytest.raises(ValueError, match="sparse=True"):
        ops.one_hot(labels, 4, sparse=True)


P = _softmax(RNG.standard_normal((4, 5))).astype("float32")
T = np.eye(5, dtype="float32")[[0, 3, 4, 1]]
LOGITS = RNG.standard_normal((4, 5)).astype("float32")


def test_crossentropies_match_numpy() -> None:
    eps = 1e-7
    pc = np.clip(P, eps, 1 - eps)
    assert_close(
        ops.categorical_crossentropy(T, P), -(T * np.log(pc)).sum(-1), rtol=1e-5
    )
    want = -(T * np.log(_softmax(LOGITS))).sum(-1)
    assert_close(
        ops.categorical_crossentropy(T, LOGITS, from_logits=True), want, rtol=1e-5
    )
    labels = T.argmax(-1)
    assert_close(
        ops.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True),
        want,
        rtol=1e-5,
    )
    assert_close(
        ops.sparse_categorical_crossentropy(labels[:, None], P),
        -np.log(pc[np.arange(4), labels]),
        rtol=1e-5,
    )
    # The class axis can be elsewhere.
    assert_close(
        ops.sparse_categorical_crossentropy(labels, LOGITS.T, from_logits=True, axis=0),
        want,
        rtol=1e-5,
    )
    assert_close(
        ops.categorical_crossentropy(T.T, P.T, axis=0),
        -(T * np.log(pc)).sum(-1),
        rtol=1e-5,
    )
    t = (RNG.random((4, 5)) > 0.5).astype("float32")
    assert_close(
        ops.binary_crossentropy(t, P),
        -(t * np.log(pc) + (1 - t) * np.log(1 - pc)),
        rtol=1e-5,
    )
    sig = _sigmoid(LOGITS.astype("float64"))
    assert_close(
        ops.binary_crossentropy(t, LOGITS, from_logits=True),
        -(t * np.log(sig) + (1 - t) * np.log(1 - sig)),
        rtol=1e-5,
    )


def test_crossentropy_shape_errors() -> None:
    with pytest.raises(ValueError, match="must have the same shape"):
        ops.categorical_crossentropy(T[:, :4], P)
    with pytest.raises(ValueError, match="without the class axis"):
        ops.sparse_categorical_crossentropy(np.zeros(3, "int32"), P)
    with pytest.raises(ValueError, match="must have the same shape"):
        ops.binary_crossentropy(T[:2], P)


@needs_keras
def test_losses_and_ctc_match_keras() -> None:
    labels = T.argmax(-1)
    t = (RNG.random((4, 5)) > 0.5).astype("float32")
    for ours, theirs, args in [
        (ops.categorical_crossentropy, KERAS.ops.categorical_crossentropy, (T, P)),
        (
            ops.sparse_categorical_crossentropy,
            KERAS.ops.sparse_categorical_crossentropy,
            (labels, P),
        ),
        (ops.binary_crossentropy, KERAS.ops.binary_crossentropy, (t, P)),
    ]:
        assert_close(ours(*args), theirs(*args), rtol=1e-5)
    target = np.array([[1, 2, 2, 0], [3, 1, 0, 0]], "int32")
    out = RNG.standard_normal((2, 7, 5)).astype("float32")
    tl, ol = np.array([3, 2], "int32"), np.array([7, 5], "int32")
    assert_close(
        ops.ctc_loss(target, out, tl, ol),
        KERAS.ops.ctc_loss(target, out, tl, ol),
        rtol=1e-5,
    )
    got = ops.ctc_decode(out, ol, mask_index=0)
    want = KERAS.ops.ctc_decode(out, ol, mask_index=0)
    assert_close(got[0], want[0])
    assert_close(got[1], want[1], rtol=1e-5)


def test_moments_batch_norm_and_normalize() -> None:
    x = RNG.standard_normal((4, 3, 5)).astype("float32")
    mean, var = (t.numpy() for t in ops.moments(x, axes=(0, 2)))
    assert_close(mean, x.mean(axis=(0, 2)), atol=1e-6)
    assert_close(var, x.var(axis=(0, 2)), atol=1e-6)
    m, v = ops.moments(x.astype("float16"), axes=[0], keepdims=True)
    assert m.dtype == torch.float16 and tuple(v.shape) == (1, 3, 5)
    g, b = RNG.random(3).astype("float32"), RNG.random(3).astype("float32")
    got = ops.batch_normalization(x, mean, var, axis=1, offset=b, scale=g, epsilon=1e-3)
    want = (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-3) * g[:, None] + b[:, None]
    assert_close(got, want, atol=1e-5)
    assert_close(
        ops.normalize(x), x / np.linalg.norm(x, axis=-1, keepdims=True), atol=1e-6
    )
    assert_close(
        ops.normalize(x, axis=1, order=1),
        x / np.abs(x).sum(axis=1, keepdims=True),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="int >= 1"):
        ops.normalize(x, order=0)


def test_layer_and_rms_normalization() -> None:
    x = RNG.standard_normal((4, 3, 5)).astype("float32")
    g, b = RNG.random(5).astype("float32"), RNG.random(5).astype("float32")
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    want = (x - mu) / np.sqrt(var + 1e-3) * g + b
    assert_close(ops.layer_normalization(x, g, b, epsilon=1e-3), want, atol=1e-5)
    # Non-trailing axes take the generic path.
    g1 = RNG.random(3).astype("float32")
    mu1, var1 = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    want1 = (x - mu1) / np.sqrt(var1 + 1e-3) * g1[:, None]
    assert_close(ops.layer_normalization(x, g1, axis=1, epsilon=1e-3), want1, atol=1e-5)
    rms = x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-6) * g
    assert_close(ops.rms_normalization(x, g, epsilon=1e-6), rms, atol=1e-5)
    half = ops.layer_normalization(x.astype("float16"), epsilon=1e-3)
    assert half.dtype == torch.float16
    if KERAS is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_close(
                ops.layer_normalization(x, g, b, axis=-1),
                KERAS.ops.layer_normalization(x, g, b, axis=-1),
                atol=1e-5,
            )
            assert_close(
                ops.rms_normalization(x, g),
                KERAS.ops.rms_normalization(x, g),
                atol=1e-5,
            )


def test_psnr_and_polar() -> None:
    a, b = RNG.random((8, 8)).astype("float32"), RNG.random((8, 8)).astype("float32")
    mse = ((a - b) ** 2).mean()
    assert_close(ops.psnr(a, b, 1.0), 10 * np.log10(1.0 / mse), rtol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        ops.psnr(a, b[:4], 1.0)
    z = ops.polar(np.array([1.0, 2.0]), np.array([0.0, np.pi / 2]))
    assert_close(z, np.array([1.0, 2.0j]), atol=1e-6)


def np_attention(q, k, v, bias=None, mask=None, causal=False, scale=None):
    q, k, v = (np.swapaxes(t, 1, 2).astype("float64") for t in (q, k, v))
    rep = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    logits = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        logits = logits + bias
    keep = np.ones(logits.shape[-2:], bool) if mask is None else mask
    if causal:
        keep = keep & np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(keep, logits, -1e30)
    return np.swapaxes(_softmax(logits) @ v, 1, 2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"is_causal": True},
        {"scale": 0.3},
        {"mask": "mask"},
        {"bias": "bias"},
        {"mask": "mask", "is_causal": True},
        {"gqa": True},
    ],
)
def test_dot_product_attention(kwargs: dict) -> None:
    q = RNG.standard_normal((2, 5, 4, 8)).astype("float32")
    heads = 2 if kwargs.pop("gqa", False) else 4
    k = RNG.standard_normal((2, 6, heads, 8)).astype("float32")
    v = RNG.standard_normal((2, 6, heads, 8)).astype("float32")
    if kwargs.get("mask") == "mask":
        kwargs["mask"] = RNG.random((2, 1, 5, 6)) > 0.3
    if kwargs.get("bias") == "bias":
        kwargs["bias"] = RNG.standard_normal((1, 4, 5, 6)).astype("float32")
    if kwargs.get("is_causal"):
        q, k, v = q, k[:, :5], v[:, :5]
        if "mask" in kwargs:
            kwargs["mask"] = kwargs["mask"][..., :5]
    got = ops.dot_product_attention(q, k, v, **kwargs)
    want = np_attention(
        q,
        k,
        v,
        kwargs.get("bias"),
        kwargs.get("mask"),
        kwargs.get("is_causal", False),
        kwargs.get("scale"),
    )
    assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_attention_soft_cap_and_3d() -> None:
    q = RNG.standard_normal((2, 5, 8)).astype("float32")
    out = ops.dot_product_attention(q, q, q)
    assert tuple(out.shape) == (2, 5, 8)
    capped = ops.dot_product_attention(
        q[:, :, None], q[:, :, None], q[:, :, None], attn_logits_soft_cap=1e6
    )
    assert_close(capped[:, :, 0], out, atol=1e-5)


# --------------------------------------------------------------------------
# gradients: autograd against finite differences, in float64

GRAD_CASES = {
    "relu6": lambda x: ops.relu6(x * 4),
    "softmax": lambda x: ops.softmax(x, axis=(0, 1)),
    "sparsemax": lambda x: ops.sparsemax(x),
    "sparse_plus": lambda x: ops.sparse_plus(x),
    "squareplus": lambda x: ops.squareplus(x),
    "glu": lambda x: ops.glu(x, axis=0),
    "conv_same_s2": lambda x: ops.conv(
        x.reshape(1, 4, 3, 1), x.reshape(2, 2, 3, 1)[:, :, :1], 2, "same"
    ),
    "conv_transpose": lambda x: ops.conv_transpose(
        x.reshape(1, 4, 3, 1), x.reshape(2, 2, 1, 3)[..., :1], 2, "same"
    ),
    "avg_pool_same": lambda x: ops.average_pool(x.reshape(1, 4, 3, 1), 2, 2, "same"),
    "max_pool": lambda x: ops.max_pool(x.reshape(1, 4, 3, 1), 2, 1),
    "categorical_ce": lambda x: ops.categorical_crossentropy(
        torch.eye(3, dtype=x.dtype)[[0, 2, 1, 1]], x, from_logits=True
    ),
    "sparse_ce": lambda x: ops.sparse_categorical_crossentropy(
        torch.tensor([0, 2, 1, 1]), torch.softmax(x, -1)
    ),
    "binary_ce": lambda x: ops.binary_crossentropy(torch.sigmoid(x), x.sigmoid() * 0.9),
    "layer_norm": lambda x: ops.layer_normalization(x, axis=0),
    "rms_norm": lambda x: ops.rms_normalization(x),
    "normalize": lambda x: ops.normalize(x),
    "attention": lambda x: ops.dot_product_attention(
        x.reshape(1, 4, 1, 3),
        x.reshape(1, 4, 1, 3),
        x.reshape(1, 4, 1, 3),
        is_causal=True,
    ),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients(name: str) -> None:
    x = torch.tensor(
        RNG.standard_normal((4, 3)), dtype=torch.float64, requires_grad=True
    )
    assert torch.autograd.gradcheck(GRAD_CASES[name], (x,), eps=1e-6, atol=1e-5)
