"""keras.regularizers: penalties against NumPy formulas and real Keras, configs,
and the registry."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
import torch

from cornu import regularizers
from cornu.core.serialization import register_keras_serializable

W = np.random.default_rng(0).normal(size=(6, 4))
EPS = 1e-7


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("real Keras is loaded with a non-torch backend")
    return keras


def _np_orthogonal(w, factor, mode):
    if mode == "columns":
        w = w.T
    w = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), EPS)
    product = w @ w.T
    n = w.shape[0]
    off = np.abs(product * (1 - np.eye(n))).sum()
    return factor * 0.5 * off / (n * (n - 1) / 2)


@pytest.mark.parametrize(
    "reg, ref",
    [
        (regularizers.L1(0.3), 0.3 * np.abs(W).sum()),
        (regularizers.L2(0.2), 0.2 * np.square(W).sum()),
        (regularizers.L1L2(l1=0.1, l2=0.4), 0.1 * np.abs(W).sum() + 0.4 * (W**2).sum()),
        (regularizers.L1L2(l1=0.1), 0.1 * np.abs(W).sum()),
        (regularizers.L1L2(l2=0.1), 0.1 * np.square(W).sum()),
        (regularizers.L1L2(), 0.0),
        (regularizers.OrthogonalRegularizer(0.5), _np_orthogonal(W, 0.5, "rows")),
        (
            regularizers.OrthogonalRegularizer(0.5, "columns"),
            _np_orthogonal(W, 0.5, "columns"),
        ),
    ],
)
def test_penalties_match_numpy(reg, ref):
    for dtype, rtol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        out = reg(torch.tensor(W, dtype=dtype))
        assert out.shape == () and out.dtype == dtype
        np.testing.assert_allclose(out.item(), ref, rtol=rtol, atol=1e-12)


def test_defaults():
    assert regularizers.L1().l1 == 0.01
    assert regularizers.L2().l2 == 0.01
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L2(None).l2 == 0.01
    assert regularizers.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.OrthogonalRegularizer().get_config() == {
        "factor": 0.01,
        "mode": "rows",
    }


def test_orthogonal_matrix_has_no_penalty():
    q, _ = torch.linalg.qr(torch.tensor(W))
    assert regularizers.OrthogonalRegularizer(1.0, "columns")(q).item() < 1e-12


def test_gradients_flow():
    w = torch.tensor(W, requires_grad=True)
    (
        regularizers.L1L2(0.1, 0.2)(w) + regularizers.OrthogonalRegularizer()(w)
    ).backward()
    np.testing.assert_allclose(
        w.grad.numpy() - 0.1 * np.sign(W) - 0.4 * W,
        torch.autograd.grad(regularizers.OrthogonalRegularizer()(w), w)[0].numpy(),
        atol=1e-12,
    )


def test_validation():
    with pytest.raises(ValueError, match="Invalid value for argument l1"):
        regularizers.L1(-1.0)
    with pytest.raises(ValueError, match="Invalid value for argument l2"):
        regularizers.L2(float("nan"))
    with pytest.raises(ValueError, match="Invalid value for argument l1"):
        regularizers.L1L2(l1="big")
    with pytest.raises(ValueError, match="Invalid value for argument factor"):
        regularizers.OrthogonalRegularizer(factor=float("inf"))
    with pytest.raises(ValueError, match="Invalid value for argument `mode`"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match=r"must have rank 2.*\(2, 2, 2\)"):
        regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2))


def _assert_same_config(a, b):
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, float):
            assert value == pytest.approx(b[key], rel=1e-7), key
        else:
            assert value == b[key], key


@pytest.mark.parametrize(
    "make",
    [
        lambda r: r.L1(0.3),
        lambda r: r.L2(0.2),
        lambda r: r.L1L2(0.1, 0.4),
        lambda r: r.OrthogonalRegularizer(0.5, "columns"),
    ],
)
def test_matches_real_keras(keras, make):
    ours, theirs = make(regularizers), make(keras.regularizers)
    w = torch.tensor(W, dtype=torch.float32)
    torch.testing.assert_close(ours(w), theirs(w), rtol=1e-6, atol=1e-7)
    ours_config = regularizers.serialize(ours)
    their_config = keras.regularizers.serialize(theirs)
    # Keras keeps L1's and OrthogonalRegularizer's factors as float32 tensors,
    # so its configs round them (0.3 -> 0.30000001192092896); ours stay exact.
    _assert_same_config(ours_config["config"], their_config["config"])
    assert {**ours_config, "config": None} == {**their_config, "config": None}
    restored = regularizers.deserialize(keras.regularizers.serialize(theirs))
    assert type(restored) is type(ours)
    _assert_same_config(restored.get_config(), ours.get_config())


@pytest.mark.parametrize(
    "cls",
    [
        regularizers.L1,
        regularizers.L2,
        regularizers.L1L2,
        regularizers.OrthogonalRegularizer,
    ],
)
def test_config_keys_match_init_and_round_trip(cls):
    reg = cls()
    cfg = reg.get_config()
    assert set(cfg) == set(inspect.signature(cls).parameters)
    assert cls.from_config(cfg).get_config() == cfg
    config = regularizers.serialize(reg)
    assert config["module"] == "keras.regularizers"
    assert config["class_name"] == cls.__name__
    assert regularizers.deserialize(config).get_config() == cfg


def test_get():
    assert regularizers.get(None) is None
    for name in ("l1", "L1", "l2", "L2", "l1_l2", "l1l2", "L1L2"):
        assert isinstance(regularizers.get(name), regularizers.Regularizer), name
    assert type(regularizers.get("orthogonal_regularizer")) is (
        regularizers.OrthogonalRegularizer
    )
    assert type(regularizers.get(regularizers.L2)) is regularizers.L2
    reg = regularizers.L1(0.5)
    assert regularizers.get(reg) is reg
    got = regularizers.get({"class_name": "L2", "config": {"l2": 0.5}})
    assert isinstance(got, regularizers.L2) and got.l2 == 0.5

    def fn(x):
        return x.sum()

    assert regularizers.get(fn) is fn
    with pytest.raises(
        ValueError, match="Could not interpret regularizer identifier: 'foo'"
    ):
        regularizers.get("foo")
    with pytest.raises(ValueError, match="regularizer identifier: 1"):
        regularizers.get(1)


def test_aliases_and_base():
    assert regularizers.l1 is regularizers.L1
    assert regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert regularizers.Regularizer()(torch.ones(2)) == 0.0
    with pytest.raises(NotImplementedError, match="does not implement get_config"):
        regularizers.Regularizer().get_config()


def test_registered_custom_regularizer():
    @register_keras_serializable(package="test_regularizers")
    class Sum(regularizers.Regularizer):
        def __call__(self, x):
            return x.sum()

        def get_config(self):
            return {}

    config = regularizers.serialize(Sum())
    assert config["registered_name"] == "test_regularizers>Sum"
    assert type(regularizers.deserialize(config)) is Sum
