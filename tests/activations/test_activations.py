"""keras.activations: numerics against NumPy formulas and real Keras, gradients,
symbolic calls, and the by-name registry."""

from __future__ import annotations

import inspect
import math
import os

import numpy as np
import pytest
import torch

from cornu import activations
from cornu.core.keras_tensor import KerasTensor
from cornu.core.serialization import register_keras_serializable

# Every inflection point of the piecewise activations (0, +-0.5, +-1, +-3, 6)
# lies on this grid, so their conventions at the kinks are checked too.
GRID = np.concatenate([np.linspace(-6.0, 6.0, 97), [-30.0, -12.5, 12.5, 30.0]])

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    # Keras's definition of its generalized ReLU.
    y = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        y = np.clip(y, 0.0, max_value)
    return y - negative_slope * np.maximum(threshold - x, 0.0)


def _np_sparsemax(x):
    # Martins & Astudillo (2016), Algorithm 1, one row at a time.
    rows = []
    for row in np.reshape(x, (-1, x.shape[-1])):
        z = np.sort(row)[::-1]
        cumsum = np.cumsum(z)
        k = np.arange(1, len(z) + 1)
        k_max = k[1 + k * z > cumsum][-1]
        tau = (cumsum[k_max - 1] - 1) / k_max
        rows.append(np.maximum(row - tau, 0.0))
    return np.reshape(rows, x.shape)


# name -> (kwargs, NumPy reference taking x and the same kwargs)
ELEMENTWISE = {
    "relu": ({}, lambda x: np.maximum(x, 0.0)),
    "leaky_relu": ({}, lambda x: np.where(x >= 0, x, 0.2 * x)),
    "relu6": ({}, lambda x: np.clip(x, 0.0, 6.0)),
    "elu": ({"alpha": 0.7}, lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x))),
    "selu": (
        {},
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    ),
    "celu": (
        {"alpha": 1.5},
        lambda x, alpha: np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(x / alpha)),
    ),
    "gelu": ({}, lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))),
    "silu": ({}, lambda x: x * _sigmoid(x)),
    "swish": ({}, lambda x: x * _sigmoid(x)),
    "hard_silu": ({}, lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0),
    "hard_swish": ({}, lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0),
    "mish": ({}, lambda x: x * np.tanh(_softplus(x))),
    "softplus": ({}, _softplus),
    "sparse_plus": (
        {},
        lambda x: np.where(x <= -1, 0.0, np.where(x < 1, 0.25 * (x + 1) ** 2, x)),
    ),
    "squareplus": ({"b": 2.0}, lambda x, b: (x + np.sqrt(x * x + b)) / 2.0),
    "threshold": (
        {"threshold": 1.0, "default_value": -5.0},
        lambda x, threshold, default_value: np.where(x > threshold, x, default_value),
    ),
    "linear": ({}, lambda x: x),
    "exponential": ({}, np.exp),
    "sigmoid": ({}, _sigmoid),
    "hard_sigmoid": ({}, lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0)),
    "sparse_sigmoid": (
        {},
        lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, 0.5 * (x + 1))),
    ),
    "log_sigmoid": ({}, lambda x: -_softplus(-x)),
    "tanh": ({}, np.tanh),
    "hard_tanh": ({}, lambda x: np.clip(x, -1.0, 1.0)),
    "softsign": ({}, lambda x: x / (1.0 + np.abs(x))),
    "soft_shrink": (
        {"threshold": 0.5},
        lambda x, threshold: np.where(
            x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0.0)
        ),
    ),
    "hard_shrink": (
        {"threshold": 0.5},
        lambda x, threshold: np.where(np.abs(x) > threshold, x, 0.0),
    ),
    "tanh_shrink": ({}, lambda x: x - np.tanh(x)),
}

# name -> (kwargs, NumPy reference) for activations that act along an axis.
AXIS_WISE = {
    "softmax": ({"axis": -1}, lambda x, axis: _softmax(x, axis)),
    "log_softmax": ({"axis": 0}, lambda x, axis: np.log(_softmax(x, axis))),
    "sparsemax": ({"axis": -1}, lambda x, axis: _np_sparsemax(x)),
    "glu": (
        {"axis": -1},
        lambda x, axis: x[..., :3] * _sigmoid(x[..., 3:]),
    ),
}

ALL_NAMES = sorted(
    "celu elu exponential gelu glu hard_shrink hard_sigmoid hard_silu hard_swish "
    "hard_tanh leaky_relu linear log_sigmoid log_softmax mish relu relu6 selu "
    "sigmoid silu soft_shrink softmax softplus softsign sparse_plus sparse_sigmoid "
    "sparsemax squareplus swish tanh tanh_shrink threshold".split()
)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("real Keras is loaded with a non-torch backend")
    return keras


def test_every_keras_activation_is_present():
    assert len(ALL_NAMES) == 32  # as in Keras 3
    assert sorted(activations.ALL_OBJECTS_DICT) == ALL_NAMES
    assert sorted(set(ELEMENTWISE) | set(AXIS_WISE)) == ALL_NAMES
    for name in ALL_NAMES:
        assert callable(getattr(activations, name))
    assert activations.swish is activations.silu
    assert activations.hard_swish is activations.hard_silu


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_matches_numpy_float64(name):
    kwargs, ref = ELEMENTWISE[name]
    out = getattr(activations, name)(torch.tensor(GRID, dtype=torch.float64), **kwargs)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref(GRID, **kwargs), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_matches_numpy_float32(name):
    kwargs, ref = ELEMENTWISE[name]
    x = GRID.astype(np.float32)
    out = getattr(activations, name)(torch.from_numpy(x), **kwargs)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(
        out.numpy(), ref(x.astype(np.float64), **kwargs), rtol=2e-6, atol=2e-6
    )


@pytest.mark.parametrize("name", sorted(AXIS_WISE))
def test_axis_wise_matches_numpy(name):
    kwargs, ref = AXIS_WISE[name]
    x = np.random.default_rng(0).normal(scale=2.0, size=(5, 6))
    out = getattr(activations, name)(torch.tensor(x), **kwargs)
    np.testing.assert_allclose(out.numpy(), ref(x, **kwargs), rtol=1e-9, atol=1e-12)


def test_gelu_approximate_is_the_tanh_formula():
    ref = (
        0.5 * GRID * (1 + np.tanh(math.sqrt(2 / math.pi) * (GRID + 0.044715 * GRID**3)))
    )
    out = activations.gelu(torch.tensor(GRID), approximate=True)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"negative_slope": 0.5},
        {"max_value": 5.0},
        {"max_value": 6},
        {"threshold": 2.0},
        {"threshold": -1.5},
        {"negative_slope": 0.3, "max_value": 4.0},
        {"negative_slope": 0.3, "threshold": 1.0},
        {"negative_slope": 0.1, "max_value": 3.0, "threshold": 0.5},
        {"max_value": 2.0, "threshold": -0.5},
    ],
)
def test_relu_options_match_keras_formula(kwargs):
    out = activations.relu(torch.tensor(GRID), **kwargs)
    np.testing.assert_allclose(out.numpy(), _np_relu(GRID, **kwargs), atol=1e-12)


def test_relu_docstring_values():
    x = torch.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])
    assert activations.relu(x, threshold=5.0).tolist() == [0.0, 0.0, 0.0, 0.0, 10.0]
    assert activations.relu(x, negative_slope=0.5).tolist() == [
        -5.0,
        -2.5,
        0.0,
        5.0,
        10.0,
    ]


@pytest.mark.parametrize("axis", [None, (0, 2), [1, -1]])
def test_softmax_over_several_axes(axis):
    x = np.random.default_rng(1).normal(size=(2, 3, 4))
    axes = tuple(range(3)) if axis is None else tuple(axis)
    e = np.exp(x - x.max(axis=axes, keepdims=True))
    ref = e / e.sum(axis=axes, keepdims=True)
    np.testing.assert_allclose(
        activations.softmax(torch.tensor(x), axis=axis).numpy(), ref, rtol=1e-12
    )
    np.testing.assert_allclose(
        activations.log_softmax(torch.tensor(x), axis=axis).numpy(),
        np.log(ref),
        rtol=1e-12,
    )


def test_sparsemax_other_axis_and_sums_to_one():
    x = torch.tensor(np.random.default_rng(2).normal(size=(4, 7, 3)))
    out = activations.sparsemax(x, axis=1)
    ref = _np_sparsemax(np.moveaxis(x.numpy(), 1, -1))
    np.testing.assert_allclose(out.numpy(), np.moveaxis(ref, -1, 1), atol=1e-12)
    np.testing.assert_allclose(out.sum(dim=1).numpy(), 1.0, atol=1e-12)
    assert (out == 0).any()


def test_glu_halves_the_axis():
    out = activations.glu(torch.ones(2, 8, 3), axis=1)
    assert out.shape == (2, 4, 3)


# Points away from every kink, so numerical derivatives are well defined.
SMOOTH = torch.tensor(
    [-4.7, -2.2, -0.8, -0.3, 0.2, 0.7, 1.6, 3.4, 5.1], dtype=torch.float64
)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_gradients(name):
    kwargs, _ = ELEMENTWISE[name]
    fn = getattr(activations, name)
    x = SMOOTH.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: fn(t, **kwargs), (x,))


@pytest.mark.parametrize("name", sorted(AXIS_WISE))
def test_axis_wise_gradients(name):
    kwargs, _ = AXIS_WISE[name]
    fn = getattr(activations, name)
    x = torch.tensor(np.random.default_rng(3).normal(size=(3, 6)), requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: fn(t, **kwargs), (x,))


def test_relu_general_path_gradients():
    x = SMOOTH.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda t: activations.relu(t, negative_slope=0.2, max_value=3.0, threshold=1.0),
        (x,),
    )


# Keras 3.15's sparsemax (torch and numpy backends) sums the cumulative sums
# over the support when computing its threshold, so its rows do not sum to 1;
# ours follows the paper and is checked against the NumPy reference above.
@pytest.mark.parametrize("name", [n for n in ALL_NAMES if n != "sparsemax"])
def test_matches_real_keras(keras, name):
    kwargs = {"threshold": 1.0, "default_value": -5.0} if name == "threshold" else {}
    x = torch.tensor(GRID[:100].reshape(2, -1).astype(np.float32))  # even, for glu
    ours = getattr(activations, name)(x, **kwargs)
    theirs = getattr(keras.activations, name)(x, **kwargs)
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"negative_slope": 0.3},
        {"max_value": 6.0},
        {"max_value": 2.5},
        {"threshold": 1.0},
        {"negative_slope": 0.1, "max_value": 3.0, "threshold": 0.5},
    ],
)
def test_relu_options_match_real_keras(keras, kwargs):
    x = torch.tensor(GRID.astype(np.float32))
    torch.testing.assert_close(
        activations.relu(x, **kwargs), keras.activations.relu(x, **kwargs)
    )


@pytest.mark.parametrize("name", ALL_NAMES)
def test_signatures_match_real_keras(keras, name):
    ours = inspect.signature(getattr(activations, name)).parameters
    theirs = inspect.signature(getattr(keras.activations, name)).parameters
    assert list(ours) == list(theirs)
    assert [p.default for p in ours.values()] == [p.default for p in theirs.values()]


def test_numpy_and_list_inputs_become_tensors():
    out = activations.relu(np.array([-1.0, 2.0], dtype=np.float32))
    assert isinstance(out, torch.Tensor) and out.tolist() == [0.0, 2.0]
    out = activations.softmax([0.0, 0.0])
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    assert out.tolist() == [0.5, 0.5]
    assert activations.threshold([0.0, 2.0], 1.0, 7.0).tolist() == [7.0, 2.0]


def test_symbolic_inputs_make_graph_nodes():
    x = KerasTensor((None, 6))
    y = activations.glu(x)
    assert isinstance(y, KerasTensor) and y.shape == (None, 3)
    op, _, _ = y._keras_history
    assert op.class_name == "Glu"
    z = activations.relu(x, max_value=2.0)
    assert z.shape == (None, 6) and z._keras_history[0].class_name == "ReLU"
    assert activations.linear(x) is x


def test_get():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom
    with pytest.raises(
        ValueError, match="Could not interpret activation function identifier: 'foo'"
    ):
        activations.get("foo")
    with pytest.raises(ValueError, match="activation function identifier: 3"):
        activations.get(3)


def test_serialize_builtins_by_name():
    for name in ALL_NAMES:
        expected = {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
        assert activations.serialize(getattr(activations, name)) == expected
        assert activations.deserialize(expected) is getattr(activations, name)
    assert activations.serialize(None) is None


def test_serialize_matches_real_keras(keras):
    for name in ALL_NAMES:
        ours = activations.serialize(getattr(activations, name))
        assert ours == keras.activations.serialize(getattr(keras.activations, name))


def test_deserialize_function_configs():
    config = {
        "module": "keras.activations",
        "class_name": "function",
        "config": "gelu",
        "registered_name": "gelu",
    }
    assert activations.deserialize(config) is activations.gelu
    assert activations.get(config) is activations.gelu
    with pytest.raises(ValueError, match="activation function identifier: 'nope'"):
        activations.deserialize("nope")


def test_registered_custom_activation_round_trips():
    @register_keras_serializable(package="test_activations")
    def scaled_tanh(x):
        return 2 * torch.tanh(x)

    config = activations.serialize(scaled_tanh)
    assert isinstance(config, dict)
    assert config["registered_name"] == "test_activations>scaled_tanh"
    assert activations.deserialize(config) is scaled_tanh
    assert activations.get("test_activations>scaled_tanh") is scaled_tanh


def test_custom_objects_resolve_names():
    def mine(x):
        return x

    assert activations.deserialize("mine", custom_objects={"mine": mine}) is mine
