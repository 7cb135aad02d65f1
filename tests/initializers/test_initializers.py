"""keras.initializers: fans, distributions, seeds, configs and the registry."""

from __future__ import annotations

import inspect
import math
import os

import numpy as np
import pytest
import torch

from cornu import config, initializers
from cornu.core.serialization import register_keras_serializable
from cornu.core.variable import Variable
from cornu.random import SeedGenerator, set_random_seed

TRUNCATED_STD = 0.87962566103423978  # std of a unit normal cut at +-2

CLASSES = [
    initializers.Constant,
    initializers.Zeros,
    initializers.Ones,
    initializers.Identity,
    initializers.STFT,
    initializers.RandomNormal,
    initializers.RandomUniform,
    initializers.TruncatedNormal,
    initializers.VarianceScaling,
    initializers.GlorotNormal,
    initializers.GlorotUniform,
    initializers.HeNormal,
    initializers.HeUniform,
    initializers.LecunNormal,
    initializers.LecunUniform,
    initializers.Orthogonal,
]
RANDOM_CLASSES = CLASSES[5:]


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("real Keras is loaded with a non-torch backend")
    return keras


# -- fans ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((3, 5), (3, 5)),
        ((4, 3, 5), (12, 20)),  # Conv1D kernel (k, in, out)
        ((3, 3, 16, 32), (144, 288)),  # Conv2D kernel (kh, kw, in, out)
        ((2, 3, 4, 5, 6), (120, 144)),  # Conv3D kernel
    ],
)
def test_compute_fans(shape, fans):
    assert initializers.compute_fans(shape) == fans


def test_compute_fans_with_axes():
    # An EinsumDense-style kernel (in, heads, head_dim).
    assert initializers.compute_fans((8, 4, 16), [0], [1, 2]) == (8, 64)


# -- constant initializers ------------------------------------------------------


def test_zeros_ones_constant():
    z = initializers.Zeros()((2, 3))
    assert z.dtype == torch.float32 and z.device == config.device()
    assert torch.equal(z, torch.zeros(2, 3))
    assert torch.equal(
        initializers.Ones()((4,), dtype="int32"), torch.ones(4, dtype=torch.int32)
    )
    c = initializers.Constant(2.5)((2, 2), dtype="float64")
    assert c.dtype == torch.float64 and (c == 2.5).all()
    row = initializers.Constant(np.array([1.0, 2.0, 3.0]))((2, 3))
    assert row.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_identity():
    assert torch.equal(initializers.Identity()((3, 3)), torch.eye(3))
    out = initializers.Identity(gain=3.0)((2, 4))
    assert torch.equal(out, 3.0 * torch.eye(2, 4))
    with pytest.raises(ValueError, match="only be used for 2D matrices.*rank 3"):
        initializers.Identity()((2, 2, 2))


def _np_hann(n, periodic):
    m = n if periodic else n - 1
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / m)


@pytest.mark.parametrize("side", ["real", "imag"])
@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
@pytest.mark.parametrize("periodic", [False, True])
def test_stft_matches_dft_formula(side, scaling, periodic):
    frame, bins = 16, 9  # fft_length 16
    out = initializers.STFT(side, "hann", scaling, periodic)((frame, 1, bins))
    t = np.arange(frame).reshape(-1, 1, 1)
    f = np.arange(bins).reshape(1, 1, -1)
    angle = -2 * np.pi * t * f / 16
    ref = np.cos(angle) if side == "real" else np.sin(angle)
    win = _np_hann(frame, periodic)
    ref = ref * win.reshape(-1, 1, 1)
    if scaling == "density":
        ref = ref / np.sqrt(np.sum(win**2))
    elif scaling == "spectrum":
        ref = ref / np.sum(np.abs(win))
    assert out.shape == (frame, 1, bins) and out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6, atol=1e-7)


def test_stft_window_options():
    no_window = initializers.STFT(window=None)((4, 1, 3), dtype="float64")
    t = np.arange(4).reshape(-1, 1, 1)
    f = np.arange(3).reshape(1, 1, -1)
    np.testing.assert_allclose(
        no_window.numpy(), np.cos(-2 * np.pi * t * f / 4), atol=1e-12
    )
    custom = initializers.STFT(window=[1.0, 2.0, 2.0, 1.0], scaling=None)(
        (4, 1, 3), dtype="float64"
    )
    np.testing.assert_allclose(
        custom.numpy()[:, 0, 0], [1.0, 2.0, 2.0, 1.0], atol=1e-12
    )
    with pytest.raises(ValueError, match="shape of `window`"):
        initializers.STFT(window=[1.0, 2.0])((4, 1, 3))
    with pytest.raises(ValueError, match="side should be 'real' or 'imag'"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match="Scaling is invalid"):
        initializers.STFT(scaling="peak")


# -- random distributions ---------------------------------------------------------

N = 200_000


def test_random_normal_statistics():
    x = initializers.RandomNormal(mean=1.0, stddev=2.0)((N,))
    assert x.dtype == torch.float32 and x.device == config.device()
    assert abs(x.mean().item() - 1.0) < 0.03
    assert abs(x.std().item() - 2.0) < 0.03


def test_random_uniform_statistics():
    x = initializers.RandomUniform(minval=-1.0, maxval=3.0)((N,))
    assert x.min() >= -1.0 and x.max() < 3.0
    assert abs(x.mean().item() - 1.0) < 0.03
    assert abs(x.std().item() - 4.0 / math.sqrt(12)) < 0.02


def test_truncated_normal_statistics():
    x = initializers.TruncatedNormal(mean=0.5, stddev=2.0)((N,))
    assert x.min() >= 0.5 - 4.0 and x.max() <= 0.5 + 4.0
    assert abs(x.mean().item() - 0.5) < 0.03
    assert abs(x.std().item() - 2.0 * TRUNCATED_STD) < 0.02
    # The whole band is used, right up to the cut.
    assert x.max() > 0.5 + 3.9 and x.min() < 0.5 - 3.9


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize(
    "distribution", ["truncated_normal", "untruncated_normal", "uniform"]
)
def test_variance_scaling_variance(mode, distribution):
    shape = (3, 3, 64, 128)  # fans 576, 1152
    fan = {"fan_in": 576, "fan_out": 1152, "fan_avg": 864}[mode]
    x = initializers.VarianceScaling(2.0, mode, distribution)(shape)
    expected_std = math.sqrt(2.0 / fan)
    assert x.shape == shape
    assert abs(x.std().item() / expected_std - 1.0) < 0.02
    assert abs(x.mean().item()) < 0.02 * expected_std * 10
    if distribution == "uniform":
        assert x.abs().max() <= math.sqrt(3.0) * expected_std
    if distribution == "truncated_normal":
        assert x.abs().max() <= 2.0 * expected_std / TRUNCATED_STD * (1 + 1e-6)


@pytest.mark.parametrize(
    "cls, scale, mode, uniform",
    [
        (initializers.GlorotUniform, 1.0, "fan_avg", True),
        (initializers.GlorotNormal, 1.0, "fan_avg", False),
        (initializers.HeUniform, 2.0, "fan_in", True),
        (initializers.HeNormal, 2.0, "fan_in", False),
        (initializers.LecunUniform, 1.0, "fan_in", True),
        (initializers.LecunNormal, 1.0, "fan_in", False),
    ],
)
def test_presets(cls, scale, mode, uniform):
    shape = (5, 5, 32, 64)
    fan_in, fan_out = 800, 1600
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    init = cls()
    assert isinstance(init, initializers.VarianceScaling)
    assert (init.scale, init.mode) == (scale, mode)
    assert init.distribution == ("uniform" if uniform else "truncated_normal")
    x = init(shape)
    std = math.sqrt(scale / fan)
    assert abs(x.std().item() / std - 1.0) < 0.02
    if uniform:
        limit = math.sqrt(3.0 * scale / fan)  # e.g. sqrt(6 / (in + out))
        assert x.abs().max() <= limit and x.abs().max() > 0.99 * limit


def test_variance_scaling_validation():
    with pytest.raises(ValueError, match="`scale` must be positive float"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument: 'fan'"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="Invalid `distribution` argument: 'cauchy'"):
        initializers.VarianceScaling(distribution="cauchy")
    assert initializers.VarianceScaling(distribution="Normal").distribution == (
        "truncated_normal"
    )


@pytest.mark.parametrize("shape", [(8, 8), (20, 6), (6, 20), (3, 3, 4, 8)])
def test_orthogonal(shape):
    q = initializers.Orthogonal(gain=2.0)(shape)
    assert q.shape == shape
    m = q.reshape(-1, shape[-1]).double() / 2.0
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    torch.testing.assert_close(
        gram, torch.eye(min(rows, cols), dtype=torch.float64), atol=1e-5, rtol=0
    )


def test_orthogonal_rank_error():
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((5,))


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_random_dtypes(cls, dtype):
    out = cls()((4, 6), dtype=dtype)
    assert out.dtype == config.torch_dtype(dtype) and out.shape == (4, 6)
    assert torch.isfinite(out.float()).all()


# -- seeds ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_int_seed_gives_same_values_each_call(cls):
    init = cls(seed=7)
    a, b = init((6, 5)), init((6, 5))
    assert torch.equal(a, b)
    assert torch.equal(cls(seed=7)((6, 5)), a)
    assert not torch.equal(cls(seed=8)((6, 5)), a)


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_unseeded_draws_from_global_torch_rng(cls):
    init = cls()
    a, b = init((6, 5)), init((6, 5))
    assert not torch.equal(a, b)
    torch.manual_seed(3)
    c = init((6, 5))
    torch.manual_seed(3)
    assert torch.equal(init((6, 5)), c)
    set_random_seed(4)
    d = cls()((6, 5))
    set_random_seed(4)
    assert torch.equal(cls()((6, 5)), d)


def test_seed_generator_seed_advances_reproducibly():
    init = initializers.RandomNormal(seed=SeedGenerator(5))
    a, b = init((4,)), init((4,))
    assert not torch.equal(a, b)
    again = initializers.RandomNormal(seed=SeedGenerator(5))
    assert torch.equal(again((4,)), a) and torch.equal(again((4,)), b)


def test_bad_seed():
    with pytest.raises(ValueError, match="`seed` argument should be .* integer"):
        initializers.RandomNormal(seed="abc")


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomNormal", {"mean": 0.5, "stddev": 2.0}),
        ("RandomUniform", {"minval": -2.0, "maxval": 1.0}),
        ("GlorotUniform", {}),
        ("HeUniform", {}),
        ("LecunUniform", {}),
        ("Orthogonal", {"gain": 1.5}),
        ("VarianceScaling", {"distribution": "untruncated_normal", "mode": "fan_out"}),
    ],
)
def test_seeded_values_match_real_keras(keras, name, kwargs):
    ours = getattr(initializers, name)(seed=11, **kwargs)((7, 5))
    theirs = getattr(keras.initializers, name)(seed=11, **kwargs)((7, 5))
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


# -- configs and the registry -------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_config_keys_match_init_and_round_trip(cls):
    init = cls()
    cfg = init.get_config()
    params = set(inspect.signature(cls).parameters) - {"args", "kwargs"}
    assert set(cfg) == params
    clone = cls.from_config(cfg)
    assert type(clone) is cls and clone.get_config() == cfg
    restored = initializers.deserialize(initializers.serialize(init))
    assert type(restored) is cls and restored.get_config() == cfg


def test_serialized_form():
    assert initializers.serialize(initializers.GlorotUniform(seed=3)) == {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": 3, "input_axes": None, "output_axes": None},
        "registered_name": None,
    }
    config = initializers.serialize(
        initializers.RandomNormal(seed=SeedGenerator(4, name="gen"))
    )
    assert config["config"]["seed"] == {
        "module": "keras.random",
        "class_name": "SeedGenerator",
        "config": {"seed": 4, "name": "gen"},
        "registered_name": None,
    }
    restored = initializers.deserialize(config)
    assert isinstance(restored.seed, SeedGenerator)
    assert torch.equal(
        restored((3,)), initializers.RandomNormal(seed=SeedGenerator(4))((3,))
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda k, r: k.GlorotUniform(seed=3),
        lambda k, r: k.VarianceScaling(2.0, "fan_avg", "uniform", input_axes=[0]),
        lambda k, r: k.TruncatedNormal(mean=1.0, stddev=0.1, seed=2),
        lambda k, r: k.Constant(0.5),
        lambda k, r: k.Orthogonal(gain=2.0, seed=1),
        lambda k, r: k.STFT("imag", None, "spectrum", True),  # windows need scipy
        lambda k, r: k.RandomNormal(seed=r.SeedGenerator(9)),
    ],
)
def test_interchange_with_real_keras(keras, make):
    from cornu import random

    theirs = make(keras.initializers, keras.random)
    ours = make(initializers, random)
    assert _normalize(initializers.serialize(ours)) == _normalize(
        keras.initializers.serialize(theirs)
    )
    restored = initializers.deserialize(keras.initializers.serialize(theirs))
    assert type(restored).__name__ == type(theirs).__name__
    assert _normalize(initializers.serialize(restored)) == _normalize(
        initializers.serialize(ours)
    )


def test_identity_gain_survives_serialization_both_ways(keras):
    # Keras's Identity writes no config (its gain is lost); ours writes the
    # gain, which Keras's Identity accepts.
    ours = initializers.serialize(initializers.Identity(gain=0.5))
    assert ours["config"] == {"gain": 0.5}
    assert keras.initializers.deserialize(ours).gain == 0.5
    theirs = keras.initializers.serialize(keras.initializers.Identity(gain=0.5))
    assert initializers.deserialize(theirs).gain == 1.0


def _normalize(config):
    # Keras names SeedGenerators by a global counter; ignore those names.
    if isinstance(config, dict):
        return {k: _normalize(v) for k, v in config.items() if k != "name"}
    return config


def test_get():
    assert initializers.get(None) is None
    for name, cls in initializers.ALL_OBJECTS_DICT.items():
        if cls is initializers.Initializer:
            continue
        assert type(initializers.get(name)) is cls, name
    assert type(initializers.get("glorot_uniform")) is initializers.GlorotUniform
    assert type(initializers.get(initializers.HeNormal)) is initializers.HeNormal
    inst = initializers.Ones()
    assert initializers.get(inst) is inst

    def fn(shape, dtype=None):
        return torch.zeros(shape)

    assert initializers.get(fn) is fn
    got = initializers.get({"class_name": "Constant", "config": {"value": 3.0}})
    assert isinstance(got, initializers.Constant) and got.value == 3.0
    with pytest.raises(
        ValueError, match="Could not interpret initializer identifier: 'foo'"
    ):
        initializers.get("foo")
    with pytest.raises(
        ValueError, match="Could not interpret initializer identifier: 5"
    ):
        initializers.get(5)


def test_lowercase_aliases_are_the_classes():
    assert initializers.glorot_uniform is initializers.GlorotUniform
    assert initializers.he_normal is initializers.HeNormal
    assert initializers.zeros is initializers.Zeros
    assert initializers.OrthogonalInitializer is initializers.Orthogonal
    assert initializers.IdentityInitializer is initializers.Identity
    assert initializers.STFTInitializer is initializers.STFT


def test_get_tensor_identifier():
    value = np.arange(6, dtype=np.float64).reshape(2, 3)
    init = initializers.get(value)
    out = init((2, 3), dtype="float32")
    assert out.dtype == torch.float32 and out.tolist() == value.tolist()
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\)"):
        init((3, 2))
    assert initializers.get(torch.ones(2))((2,)).tolist() == [1.0, 1.0]


def test_registered_custom_initializer():
    @register_keras_serializable(package="test_initializers")
    class Twos(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return torch.full(tuple(shape), 2.0)

    config = initializers.serialize(Twos())
    assert config["registered_name"] == "test_initializers>Twos"
    assert type(initializers.deserialize(config)) is Twos
    assert type(initializers.get("test_initializers>Twos")) is Twos


def test_variable_from_initializer_name():
    v = Variable("he_uniform", shape=(10, 4))
    assert v.shape == (10, 4) and v.abs().max() <= math.sqrt(6 / 10)
