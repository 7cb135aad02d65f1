"""keras.constraints: projections against NumPy formulas and real Keras, configs,
and the registry."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
import torch

from cornu import constraints
from cornu.core.serialization import register_keras_serializable

EPS = 1e-7
W = np.random.default_rng(0).normal(scale=2.0, size=(5, 4))
KERNEL = np.random.default_rng(1).normal(scale=0.5, size=(3, 3, 2, 4))


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("real Keras is loaded with a non-torch backend")
    return keras


def _norms(w, axis):
    return np.sqrt(np.sum(w**2, axis=axis, keepdims=True))


def _np_max_norm(w, max_value=2, axis=0):
    n = _norms(w, axis)
    return w * (np.clip(n, 0, max_value) / (EPS + n))


def _np_min_max_norm(w, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
    n = _norms(w, axis)
    desired = rate * np.clip(n, min_value, max_value) + (1 - rate) * n
    return w * (desired / (EPS + n))


def _np_unit_norm(w, axis=0):
    return w / (EPS + _norms(w, axis))


@pytest.mark.parametrize(
    "constraint, ref, w",
    [
        (constraints.MaxNorm(), _np_max_norm(W), W),
        (constraints.MaxNorm(1.5, axis=1), _np_max_norm(W, 1.5, 1), W),
        (
            constraints.MaxNorm(0.8, axis=[0, 1, 2]),
            _np_max_norm(KERNEL, 0.8, (0, 1, 2)),
            KERNEL,
        ),
        (constraints.MinMaxNorm(), _np_min_max_norm(W), W),
        (
            constraints.MinMaxNorm(2.5, 3.5, rate=0.5, axis=1),
            _np_min_max_norm(W, 2.5, 3.5, 0.5, 1),
            W,
        ),
        (constraints.NonNeg(), np.maximum(W, 0), W),
        (constraints.UnitNorm(), _np_unit_norm(W), W),
        (constraints.UnitNorm([0, 1, 2]), _np_unit_norm(KERNEL, (0, 1, 2)), KERNEL),
    ],
)
def test_matches_numpy(constraint, ref, w):
    for dtype, rtol in ((torch.float64, 1e-12), (torch.float32, 1e-6)):
        out = constraint(torch.tensor(w, dtype=dtype))
        assert out.shape == w.shape and out.dtype == dtype
        np.testing.assert_allclose(out.numpy(), ref, rtol=rtol, atol=1e-7)


def test_norms_land_in_range():
    out = constraints.MinMaxNorm(1.0, 2.0)(torch.tensor(W * 10)).numpy()
    np.testing.assert_allclose(_norms(out, 0), 2.0, rtol=1e-6)
    out = constraints.MaxNorm(1.0)(torch.tensor(W)).numpy()
    assert (_norms(out, 0) <= 1.0 + 1e-6).all()
    small = torch.tensor(W * 1e-3)
    # Only the epsilon in the denominator (1e-7 against norms ~5e-3) shows.
    assert torch.allclose(constraints.MaxNorm(1.0)(small), small, rtol=1e-4)


def test_numpy_and_integer_inputs():
    out = constraints.UnitNorm()(np.array([[3], [4]]))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy().ravel(), [0.6, 0.8], rtol=1e-6)
    assert constraints.NonNeg()(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
    w = torch.tensor([1.0])
    assert constraints.Constraint()(w) is w


@pytest.mark.parametrize(
    "make",
    [
        lambda c: c.MaxNorm(1.5, axis=1),
        lambda c: c.MinMaxNorm(0.5, 1.5, rate=0.7, axis=0),
        lambda c: c.NonNeg(),
        lambda c: c.UnitNorm(axis=[0, 1, 2]),
    ],
)
def test_matches_real_keras(keras, make):
    ours, theirs = make(constraints), make(keras.constraints)
    w = torch.tensor(KERNEL if isinstance(ours, constraints.UnitNorm) else W).float()
    torch.testing.assert_close(ours(w), theirs(w), rtol=1e-6, atol=1e-7)
    assert constraints.serialize(ours) == keras.constraints.serialize(theirs)
    restored = constraints.deserialize(keras.constraints.serialize(theirs))
    assert type(restored) is type(ours) and restored.get_config() == ours.get_config()


@pytest.mark.parametrize(
    "cls",
    [
        constraints.MaxNorm,
        constraints.MinMaxNorm,
        constraints.NonNeg,
        constraints.UnitNorm,
    ],
)
def test_config_keys_match_init_and_round_trip(cls):
    c = cls()
    cfg = c.get_config()
    assert set(cfg) == set(inspect.signature(cls).parameters) - {"args", "kwargs"}
    assert cls.from_config(cfg).get_config() == cfg
    config = constraints.serialize(c)
    assert config["module"] == "keras.constraints"
    assert config["class_name"] == cls.__name__
    restored = constraints.deserialize(config)
    assert type(restored) is cls and restored.get_config() == cfg


def test_defaults():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {
        "min_value": 0.0,
        "max_value": 1.0,
        "rate": 1.0,
        "axis": 0,
    }
    assert constraints.UnitNorm().get_config() == {"axis": 0}


def test_get():
    assert constraints.get(None) is None
    for name, cls in constraints.ALL_OBJECTS_DICT.items():
        assert type(constraints.get(name)) is cls, name
    assert type(constraints.get(constraints.NonNeg)) is constraints.NonNeg
    c = constraints.MaxNorm(3)
    assert constraints.get(c) is c
    got = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3}})
    assert isinstance(got, constraints.MaxNorm) and got.max_value == 3

    def fn(w):
        return w

    assert constraints.get(fn) is fn
    with pytest.raises(
        ValueError, match="Could not interpret constraint identifier: 'foo'"
    ):
        constraints.get("foo")
    with pytest.raises(ValueError, match="constraint identifier: 2.5"):
        constraints.get(2.5)


def test_aliases():
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm


def test_registered_custom_constraint():
    @register_keras_serializable(package="test_constraints")
    class Clip(constraints.Constraint):
        def __call__(self, w):
            return w.clamp(-1, 1)

    config = constraints.serialize(Clip())
    assert config["registered_name"] == "test_constraints>Clip"
    assert type(constraints.deserialize(config)) is Clip
