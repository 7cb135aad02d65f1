"""keras.random: distributions, seeding semantics, SeedGenerator, and the same
seeded draws as Keras's torch backend."""

from __future__ import annotations

import math
import os
import random as py_random

import numpy as np
import pytest
import torch

from cornu import config
from cornu import random as cr

N = 200_000
DRAWS = {
    "normal": lambda seed: cr.normal((64,), seed=seed),
    "uniform": lambda seed: cr.uniform((64,), seed=seed),
    "truncated_normal": lambda seed: cr.truncated_normal((64,), seed=seed),
    "randint": lambda seed: cr.randint((64,), 0, 1000, seed=seed),
    "categorical": lambda seed: cr.categorical(torch.zeros(2, 50), 32, seed=seed),
    "dropout": lambda seed: cr.dropout(torch.ones(64), 0.5, seed=seed),
    "shuffle": lambda seed: cr.shuffle(torch.arange(64), seed=seed),
    "gamma": lambda seed: cr.gamma((64,), 2.0, seed=seed),
    "binomial": lambda seed: cr.binomial((64,), 100, 0.5, seed=seed),
    "beta": lambda seed: cr.beta((64,), 2.0, 3.0, seed=seed),
}


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("real Keras is loaded with a non-torch backend")
    return keras


# -- distributions ------------------------------------------------------------


def test_normal():
    x = cr.normal((N,), mean=2.0, stddev=3.0)
    assert x.dtype == torch.float32 and x.device == config.device()
    assert abs(x.mean().item() - 2.0) < 0.05 and abs(x.std().item() - 3.0) < 0.05
    y = cr.normal((N,), mean=torch.tensor(1.0), stddev=torch.tensor(0.5))
    assert abs(y.mean().item() - 1.0) < 0.01 and abs(y.std().item() - 0.5) < 0.01
    assert cr.normal((2, 3), dtype="float64").dtype == torch.float64


def test_uniform():
    x = cr.uniform((N,), minval=-2.0, maxval=4.0)
    assert x.min() >= -2.0 and x.max() < 4.0
    assert abs(x.mean().item() - 1.0) < 0.03
    assert abs(x.std().item() - 6.0 / math.sqrt(12)) < 0.03
    assert cr.uniform(()).shape == ()
    with pytest.raises(ValueError, match="`uniform` requires a floating point"):
        cr.uniform((2,), dtype="int32")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_truncated_normal(dtype):
    x = cr.truncated_normal((N,), mean=1.0, stddev=2.0, dtype=dtype)
    assert x.dtype == config.torch_dtype(dtype)
    x = x.double()
    assert x.min() >= -3.0 and x.max() <= 5.0
    assert abs(x.mean().item() - 1.0) < 0.03
    # A unit normal cut at +-2 has standard deviation 0.8796...
    assert abs(x.std().item() - 2.0 * 0.87962566103423978) < 0.03


def test_randint():
    x = cr.randint((N,), -3, 7)
    assert x.dtype == torch.int32
    assert x.min() == -3 and x.max() == 6
    counts = torch.bincount((x + 3).long(), minlength=10).double() / N
    assert (counts - 0.1).abs().max() < 0.01
    assert cr.randint((2,), 0, 5, dtype="int64").dtype == torch.int64
    with pytest.raises(ValueError, match="`randint` requires an integer `dtype`"):
        cr.randint((2,), 0, 5, dtype="float32")


def test_categorical_frequencies():
    logits = torch.log(torch.tensor([[0.2, 0.3, 0.5], [0.7, 0.2, 0.1]]))
    x = cr.categorical(logits, 50_000)
    assert x.shape == (2, 50_000) and x.dtype == torch.int32
    for row, probs in zip(x, [[0.2, 0.3, 0.5], [0.7, 0.2, 0.1]]):
        freq = torch.bincount(row.long(), minlength=3).double() / 50_000
        np.testing.assert_allclose(freq.numpy(), probs, atol=0.01)
    with pytest.raises(ValueError, match=r"2-D tensor.*\(3,\)"):
        cr.categorical(torch.zeros(3), 2)


@pytest.mark.parametrize("seed", [None, 3])
def test_dropout(seed):
    x = torch.ones(400, 500)
    y = cr.dropout(x, 0.3, seed=seed)
    kept = y != 0
    assert abs(kept.double().mean().item() - 0.7) < 0.01
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1 / 0.7))
    assert cr.dropout(x, 0.0) is x
    assert torch.equal(cr.dropout(x, 1.0), torch.zeros_like(x))


def test_dropout_noise_shape_drops_whole_slices():
    x = torch.ones(8, 300, 6)
    y = cr.dropout(x, 0.5, noise_shape=(None, 1, 6), seed=1)
    # The mask is shared along axis 1.
    assert torch.equal(y, y[:, :1, :].expand_as(y))
    y = cr.dropout(x, 0.5, noise_shape=(8, 1, 1))
    assert torch.equal(y, y[:, :1, :1].expand_as(y))


def test_dropout_zeroes_nonfinite_dropped_entries():
    x = torch.full((1000,), float("inf"))
    y = cr.dropout(x, 0.5, seed=0)
    assert not torch.isnan(y).any()
    assert ((y == 0) | torch.isinf(y)).all()


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_shuffle(axis):
    x = torch.arange(60).reshape(6, 10)
    y = cr.shuffle(x, axis=axis, seed=2)
    assert not torch.equal(x, y)
    assert torch.equal(torch.sort(y, dim=axis).values, x)
    # One permutation for the whole axis: slices move together.
    if axis == 0:
        assert torch.equal(y - y[:, :1], x - x[:, :1])
    else:
        assert torch.equal(y - y[:1], x - x[:1])


def test_gamma():
    x = cr.gamma((N,), alpha=3.0)
    assert x.dtype == torch.float32 and (x > 0).all()
    assert abs(x.mean().item() - 3.0) < 0.05 and abs(x.var().item() - 3.0) < 0.1
    alphas = cr.gamma((N, 2), alpha=torch.tensor([0.5, 5.0])).mean(dim=0)
    np.testing.assert_allclose(alphas.numpy(), [0.5, 5.0], rtol=0.03)


def test_binomial():
    x = cr.binomial((N,), counts=20, probabilities=0.3)
    assert x.min() >= 0 and x.max() <= 20
    assert abs(x.mean().item() - 6.0) < 0.05
    assert abs(x.var().item() - 20 * 0.3 * 0.7) < 0.1
    assert torch.equal(x, x.round())


def test_beta():
    a, b = 2.0, 5.0
    x = cr.beta((N,), alpha=a, beta=b)
    assert x.min() >= 0 and x.max() <= 1
    assert abs(x.mean().item() - a / (a + b)) < 0.005
    var = a * b / ((a + b) ** 2 * (a + b + 1))
    assert abs(x.var().item() - var) < 0.002
    assert cr.beta((3,), 1.0, 1.0, dtype="float64").dtype == torch.float64


# -- seeding ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_int_seed_is_deterministic(name):
    draw = DRAWS[name]
    a = draw(42)
    assert torch.equal(a, draw(42))
    assert not torch.equal(a, draw(43))


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_seed_generator_advances_and_reproduces(name):
    draw = DRAWS[name]
    gen = cr.SeedGenerator(7)
    first, second = draw(gen), draw(gen)
    assert not torch.equal(first, second)
    again = cr.SeedGenerator(7)
    assert torch.equal(draw(again), first) and torch.equal(draw(again), second)


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_unseeded_follows_torch_manual_seed(name):
    draw = DRAWS[name]
    torch.manual_seed(5)
    a, b = draw(None), draw(None)
    assert not torch.equal(a, b)
    torch.manual_seed(5)
    assert torch.equal(draw(None), a)


def test_unseeded_seed_generator_follows_torch_manual_seed():
    torch.manual_seed(9)
    a = cr.normal((4,), seed=cr.SeedGenerator())
    torch.manual_seed(9)
    assert torch.equal(cr.normal((4,), seed=cr.SeedGenerator()), a)


def test_set_random_seed():
    cr.set_random_seed(123)
    assert cr.get_random_seed() == 123
    values = (py_random.random(), np.random.rand(), cr.normal((3,)), torch.rand(2))
    cr.set_random_seed(123)
    again = (py_random.random(), np.random.rand(), cr.normal((3,)), torch.rand(2))
    assert values[:2] == again[:2]
    assert torch.equal(values[2], again[2]) and torch.equal(values[3], again[3])
    with pytest.raises(ValueError, match="Expected `seed` argument to be an integer"):
        cr.set_random_seed(1.5)


def test_set_random_seed_resets_global_seed_generator():
    from cornu.random.seed_generator import global_seed_generator

    cr.set_random_seed(1)
    first = global_seed_generator()
    assert global_seed_generator() is first
    cr.set_random_seed(1)
    second = global_seed_generator()
    assert second is not first and second._seed == first._seed


def test_bad_seeds():
    with pytest.raises(ValueError, match="must be either an integer or an instance"):
        cr.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="Argument `seed` must be an integer"):
        cr.SeedGenerator(seed=1.5)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        cr.SeedGenerator(seed=1, device="cpu")


def test_seed_generator_state_and_config():
    gen = cr.SeedGenerator(seed=3, name="my_gen")
    assert gen.state.tolist() == [3, 0]
    assert gen.next().tolist() == [3, 0]
    cr.uniform((2,), seed=gen)
    assert gen.state.tolist() == [3, 2]
    assert gen.get_config() == {"seed": 3, "name": "my_gen"}
    clone = cr.SeedGenerator.from_config(gen.get_config())
    assert clone.state.tolist() == [3, 0] and clone.name == "my_gen"
    assert cr.SeedGenerator().get_config()["seed"] is None
    assert cr.SeedGenerator().name.startswith("seed_generator")


# -- the same seeded draws as Keras's torch backend --------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("normal", ((5, 4),)),
        ("uniform", ((5, 4),)),
        ("randint", ((5, 4), 0, 100)),
        ("gamma", ((5, 4), 2.5)),
        ("binomial", ((5, 4), 10, 0.3)),
        ("beta", ((5, 4), 2.0, 3.0)),
    ],
)
def test_seeded_draws_match_keras(keras, name, args):
    ours, theirs = getattr(cr, name), getattr(keras.random, name)
    torch.testing.assert_close(ours(*args, seed=4), theirs(*args, seed=4))
    mine, their_gen = cr.SeedGenerator(11), keras.random.SeedGenerator(11)
    for _ in range(3):
        torch.testing.assert_close(
            ours(*args, seed=mine), theirs(*args, seed=their_gen)
        )


def test_seeded_categorical_shuffle_dropout_match_keras(keras):
    logits = torch.randn(3, 6)
    torch.testing.assert_close(
        cr.categorical(logits, 5, seed=2), keras.random.categorical(logits, 5, seed=2)
    )
    x = torch.arange(20.0).reshape(10, 2)
    torch.testing.assert_close(cr.shuffle(x, seed=3), keras.random.shuffle(x, seed=3))
    x = torch.randn(6, 7)
    for noise_shape in (None, (1, 7)):
        torch.testing.assert_close(
            cr.dropout(x, 0.4, noise_shape=noise_shape, seed=8),
            keras.random.dropout(x, 0.4, noise_shape=noise_shape, seed=8),
        )


def test_signatures_match_keras(keras):
    import inspect

    for name in (
        "normal uniform truncated_normal randint categorical dropout shuffle gamma "
        "binomial beta"
    ).split():
        ours = inspect.signature(getattr(cr, name)).parameters
        theirs = inspect.signature(getattr(keras.random, name)).parameters
        assert list(ours) == list(theirs), name
        assert [p.default for p in ours.values()] == [
            p.default for p in theirs.values()
        ], name
