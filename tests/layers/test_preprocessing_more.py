"""More image augmentations: harness, then Keras's `transform_images` on our
draw, with statistics and invariants of the draws themselves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.preprocessing._hash import fingerprint64, siphash64
from cornu.layers.preprocessing.hashing import Hashing
from cornu.layers.preprocessing.integer_lookup import IntegerLookup
from cornu.layers.preprocessing.random_brightness import RandomBrightness
from cornu.layers.preprocessing.random_contrast import RandomContrast
from cornu.layers.preprocessing.random_crop import RandomCrop
from cornu.layers.preprocessing.random_translation import RandomTranslation
from cornu.layers.preprocessing.string_lookup import StringLookup

RNG = np.random.default_rng(0)


def _images(shape: tuple, low: float = 0.0, high: float = 255.0) -> torch.Tensor:
    return torch.from_numpy(RNG.uniform(low, high, shape).astype("float32"))


# RandomCrop ---------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,kwargs",
    [
        ((2, 7, 9, 3), {"height": 4, "width": 5}),
        ((2, 3, 7, 9), {"height": 4, "width": 5, "data_format": "channels_first"}),
        ((2, 4, 5, 3), {"height": 6, "width": 3}),  # taller than the input
    ],
)
def test_random_crop(layer_test: Any, keras_oracle: Any, shape: tuple, kwargs: dict):
    layer = RandomCrop(**kwargs, seed=4)
    out_shape = layer.compute_output_shape(shape)
    layer_test(
        RandomCrop,
        {**kwargs, "seed": 1},
        input_shape=shape,
        expected_output_shape=out_shape,
    )
    x = _images(shape)
    theirs_layer = keras_oracle.layers.RandomCrop(**kwargs)
    for training in (True, False):
        t = layer.get_random_transformation(x, training=training)
        ours = layer.transform_images(x, t)
        theirs = theirs_layer.transform_images(x, t)
        assert tuple(ours.shape) == out_shape
        torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-5, atol=1e-4)
    # Keras's draw is a pair of ints; so is ours, and it matches Keras's.
    t = theirs_layer.get_random_transformation(x, training=False)
    assert tuple(int(v) for v in t) == layer.get_random_transformation(x, False)


def test_random_crop_windows_are_uniform_and_exact(keras_oracle: Any) -> None:
    x = torch.arange(6 * 8.0).reshape(1, 6, 8, 1)
    layer = RandomCrop(3, 5, seed=0)
    starts = set()
    for _ in range(200):
        y = layer(x)
        h0, w0 = int(y[0, 0, 0, 0]) // 8, int(y[0, 0, 0, 0]) % 8
        torch.testing.assert_close(y, x[:, h0 : h0 + 3, w0 : w0 + 5], rtol=0, atol=0)
        starts.add((h0, w0))
    # Every one of the 4 x 4 corners is drawn.
    assert starts == {(h, w) for h in range(4) for w in range(4)}
    # Inference: as Keras documents, the largest central box with the
    # target's aspect ratio, resized (Keras's Resizing does exactly that).
    y = layer(x, training=False)
    resizing = keras_oracle.layers.Resizing(3, 5, crop_to_aspect_ratio=True)
    torch.testing.assert_close(y, resizing(x).cpu(), rtol=1e-5, atol=1e-4)


def test_random_crop_single_image_and_gradient() -> None:
    x = torch.randn(7, 6, 2, requires_grad=True)
    y = RandomCrop(3, 3, seed=0)(x)
    assert y.shape == (3, 3, 2)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert float(g.sum()) == 18.0


# RandomTranslation ---------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"height_factor": 0.2, "width_factor": 0.3},
        {
            "height_factor": (-0.4, -0.1),
            "width_factor": (0.1, 0.5),
            "fill_mode": "constant",
            "fill_value": 3.0,
        },
        {"height_factor": 0.3, "width_factor": 0.3, "interpolation": "nearest"},
        {
            "height_factor": 0.25,
            "width_factor": 0.0,
            "fill_mode": "wrap",
            "data_format": "channels_first",
        },
    ],
)
def test_random_translation(layer_test: Any, keras_oracle: Any, kwargs: dict):
    cf = kwargs.get("data_format") == "channels_first"
    shape = (3, 2, 7, 9) if cf else (3, 7, 9, 2)
    layer_test(
        RandomTranslation, kwargs, input_shape=shape, expected_output_shape=shape
    )
    x = _images(shape)
    layer = RandomTranslation(**kwargs, seed=2)
    t = layer.get_random_transformation(x)
    h, w = (shape[2], shape[3]) if cf else (shape[1], shape[2])
    dx, dy = t["translations"][:, 0], t["translations"][:, 1]
    lo, hi = layer._height_range
    assert bool(((dy >= lo * h) & (dy <= hi * h)).all())
    lo, hi = layer._width_range
    assert bool(((dx >= lo * w) & (dx <= hi * w)).all())
    ours = layer.transform_images(x, t)
    theirs = keras_oracle.layers.RandomTranslation(**kwargs).transform_images(x, t)
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-4, atol=1e-3)


def test_random_translation_by_whole_pixels_is_a_roll() -> None:
    x = torch.randn(1, 5, 8, 1)
    layer = RandomTranslation((0.4, 0.4), (-0.25, -0.25), fill_mode="wrap")
    y = layer(x)  # down 2 rows, left 2 columns
    torch.testing.assert_close(y, x.roll((2, -2), dims=(1, 2)), rtol=0, atol=1e-5)
    assert torch.equal(layer(x, training=False), x)


# RandomContrast ------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,kwargs",
    [
        ((4, 5, 6, 3), {"factor": 0.5}),
        ((4, 5, 6, 3), {"factor": (0.2, 0.9), "value_range": (0, 1)}),
        ((5, 6, 3), {"factor": 1.0}),
        ((4, 3, 5, 6), {"factor": 0.4, "data_format": "channels_first"}),
    ],
)
def test_random_contrast(
    layer_test: Any, keras_oracle: Any, shape: tuple, kwargs: dict
) -> None:
    if len(shape) == 4:
        layer_test(
            RandomContrast, kwargs, input_shape=shape, expected_output_shape=shape
        )
    x = _images(shape, *kwargs.get("value_range", (0, 255)))
    layer = RandomContrast(**kwargs, seed=3)
    t = layer.get_random_transformation(x)
    lower, upper = layer.factor
    c = t["contrast_factor"]
    assert bool(((c >= 1 - lower) & (c <= 1 + upper)).all())
    ours = layer.transform_images(x, t)
    theirs = keras_oracle.layers.RandomContrast(**kwargs).transform_images(x, t)
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-5, atol=1e-4)
    assert (
        layer.get_config()["factor"]
        == keras_oracle.layers.RandomContrast(**kwargs).get_config()["factor"]
    )


def test_random_contrast_reference() -> None:
    x = _images((8, 4, 4, 3))
    layer = RandomContrast(0.3, seed=0)
    t = layer.get_random_transformation(x)
    c = t["contrast_factor"].numpy()
    xn = x.numpy()
    mean = xn.mean(axis=(1, 2), keepdims=True)
    want = np.clip((xn - mean) * c + mean, 0, 255)
    np.testing.assert_allclose(layer.transform_images(x, t), want, atol=1e-4)
    assert torch.equal(layer(x, training=False), x)


# RandomBrightness ----------------------------------------------------------


@pytest.mark.parametrize(
    "shape,kwargs",
    [
        ((4, 5, 6, 3), {"factor": 0.5}),
        ((4, 5, 6, 3), {"factor": (-0.2, 0.6), "value_range": (1, -1)}),
        ((5, 6, 3), {"factor": -1.0}),
    ],
)
def test_random_brightness(
    layer_test: Any, keras_oracle: Any, shape: tuple, kwargs: dict
) -> None:
    if len(shape) == 4:
        layer_test(
            RandomBrightness, kwargs, input_shape=shape, expected_output_shape=shape
        )
    k = keras_oracle.layers.RandomBrightness(**kwargs)
    x = _images(shape, *k.value_range)
    layer = RandomBrightness(**kwargs, seed=3)
    assert layer.factor == tuple(k.factor)
    assert layer.value_range == list(k.value_range)
    t = layer.get_random_transformation(x)
    low, high = layer.value_range
    d = t["rgb_delta"] / (high - low)
    assert bool(((d >= layer.factor[0]) & (d <= layer.factor[1])).all())
    ours = layer.transform_images(x, t)
    theirs = k.transform_images(x.clone(), t)
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-5, atol=1e-4)


def test_random_brightness_statistics_and_uint8() -> None:
    x = torch.full((4000, 1, 1, 1), 100, dtype=torch.uint8)
    y = RandomBrightness(0.2, seed=0)(x)
    assert y.dtype == torch.float32
    shift = (y - 100.0).flatten() / 255.0
    assert -0.2 <= float(shift.min()) and float(shift.max()) <= 0.2
    # Uniform on [-0.2, 0.2]: mean 0, variance 0.4**2 / 12.
    assert abs(float(shift.mean())) < 0.01
    assert abs(float(shift.var()) - 0.4**2 / 12) < 0.002


# Hashing -------------------------------------------------------------------
# Keras's Hashing needs TensorFlow (absent here); its outputs come from its
# docstring, and the hash values from the pyfarmhash and siphashc packages
# (C bindings of FarmHash and SipHash-2-4), checked there over lengths 0-1000.

HASH_VECTORS = [  # (bytes, Fingerprint64, SipHash-2-4 under key (7, 9))
    (b"", 11160318154034397263, 5927231634315151164),
    (b"a", 12917804110809363939, 5616560281583610351),
    (b"hello", 13009744463427800296, 9060401503044493963),
    (bytes(range(20)), 10220892904819695849, 3078327344808059092),
    (bytes(range(40)), 645241335607543436, 11829170265474573745),
    (bytes(range(200)), 525935771297148851, 1066655936492948751),
]


@pytest.mark.parametrize("data,farm,sip", HASH_VECTORS)
def test_hash_functions(data: bytes, farm: int, sip: int) -> None:
    assert fingerprint64(data) == farm
    assert siphash64((7, 9), data) == sip


@pytest.mark.parametrize(
    "kwargs,inputs,want",
    [  # Keras's documented outputs.
        ({}, ["A", "B", "C", "D", "E"], [1, 0, 1, 1, 2]),
        ({"mask_value": ""}, ["A", "B", "", "C", "D"], [1, 1, 0, 2, 2]),
        ({"salt": [133, 137]}, ["A", "B", "C", "D", "E"], [1, 2, 1, 0, 2]),
        ({"salt": 133}, ["A", "B", "C", "D", "E"], [0, 0, 2, 1, 0]),
    ],
)
def test_hashing_matches_keras(kwargs: dict, inputs: list, want: list) -> None:
    column = [[v] for v in inputs]
    out = Hashing(3, **kwargs)(column)
    assert out.dtype == torch.int64 and out.tolist() == [[w] for w in want]
    assert Hashing(3, **kwargs)(np.array(column)).tolist() == out.tolist()
    assert Hashing(3, **kwargs)(np.array(inputs, object)).tolist() == want


def test_hashing_integers_hash_as_decimal_text(layer_test: Any) -> None:
    layer_test(
        Hashing,
        {"num_bins": 7, "mask_value": 0},
        input_data=np.array([[0, 12], [-3, 40000]]),
        expected_output_shape=(2, 2),
        expected_output_dtype="int64",
        run_training_check=False,
    )
    x = np.array([[0, 12], [-3, 40000]])
    want = [[fingerprint64(str(v).encode()) % 7 for v in row] for row in x]
    assert Hashing(7)(x).tolist() == want
    assert Hashing(7)(torch.from_numpy(x)).tolist() == want
    away_from_zero = x + np.sign(x) * 0.9  # truncated back to x, as Keras
    assert Hashing(7)(away_from_zero).tolist() == want
    masked = Hashing(7, mask_value=0)(x).tolist()
    assert masked[0][0] == 0
    assert masked[1] == [fingerprint64(str(v).encode()) % 6 + 1 for v in x[1]]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_hashing_encodings(layer_test: Any, mode: str) -> None:
    layer_test(
        Hashing,
        {"num_bins": 5, "output_mode": mode},
        input_data=np.array([[1], [2], [3]]),
        expected_output_shape=(3, 5),
        run_training_check=False,
    )
    x = [["a", "b", "a"], ["c", "c", "c"]]
    ids = Hashing(5)(x)
    encoded = Hashing(5, output_mode=mode)(x)
    assert encoded.dtype == torch.float32
    one_hot = torch.nn.functional.one_hot(ids, 5).float()  # (2, 3, 5)
    want = {
        "one_hot": one_hot,
        "multi_hot": one_hot.amax(1),
        "count": one_hot.sum(1),
    }[mode]
    torch.testing.assert_close(encoded, want, rtol=0, atol=0)


# IntegerLookup and StringLookup ---------------------------------------------
# Keras's lookups need TensorFlow (absent here): the expected outputs are
# those Keras documents for the same inputs.

VOCAB = [12, 36, 1138, 42]
DATA = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])


@pytest.mark.parametrize(
    "kwargs,data,want",
    [
        ({}, [[12, 1138, 42], [42, 1000, 36]], [[1, 3, 4], [4, 0, 2]]),
        (
            {"num_oov_indices": 2},
            [[12, 1138, 42], [37, 1000, 36]],
            [[2, 4, 5], [1, 0, 3]],
        ),
        (
            {"output_mode": "one_hot"},
            [12, 36, 1138, 42, 7],
            np.eye(5)[[1, 2, 3, 4, 0]].tolist(),
        ),
        ({"output_mode": "multi_hot"}, DATA, [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
        ({"output_mode": "count"}, DATA, [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]),
        (
            {"output_mode": "tf_idf", "idf_weights": [0.25, 0.75, 0.6, 0.4]},
            DATA,
            [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]],
        ),
        (
            {
                "output_mode": "tf_idf",
                "vocabulary": [-1, *VOCAB],
                "idf_weights": [0.9, 0.25, 0.75, 0.6, 0.4],
            },
            DATA,
            [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]],
        ),
    ],
)
def test_integer_lookup_matches_keras(kwargs: dict, data: Any, want: Any) -> None:
    layer = IntegerLookup(**{"vocabulary": VOCAB, **kwargs})
    out = layer(np.asarray(data))
    np.testing.assert_allclose(out.numpy(), np.asarray(want), rtol=1e-6, atol=1e-6)
    assert out.dtype == (torch.int64 if "output_mode" not in kwargs else torch.float32)
    assert layer(torch.as_tensor(np.asarray(data))).tolist() == out.tolist()


def test_integer_lookup_oov_methods_match_keras() -> None:
    oov = np.array([100, 300, 700, 1100, 1700, 2000])
    floormod = IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4)
    assert floormod(oov).tolist() == [0] * 6
    farm = IntegerLookup(
        vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash"
    )
    assert farm(oov).tolist() == [3, 3, 2, 2, 0, 1]
    salted = IntegerLookup(
        vocabulary=[10], num_oov_indices=3, oov_method="farmhash", salt=[7, 9]
    )
    want = [siphash64((7, 9), str(v).encode()) % 3 for v in oov]
    assert salted(oov).tolist() == want
    # Floor (not truncated) modulo for negative ids, as tf.math.floormod.
    assert floormod(np.array([-3])).tolist() == [1]


def test_integer_lookup_harness_mask_and_invert(layer_test: Any) -> None:
    layer_test(
        IntegerLookup,
        {"vocabulary": VOCAB, "mask_token": 0},
        input_data=np.array([[12, 0], [7, 42]]),
        expected_output_shape=(2, 2),
        expected_output_dtype="int64",
        run_training_check=False,
    )
    layer_test(
        IntegerLookup,
        {
            "vocabulary": VOCAB,
            "output_mode": "multi_hot",
            "max_tokens": 8,
            "pad_to_max_tokens": True,
        },
        input_data=np.array([[12, 36], [7, 42]]),
        expected_output_shape=(2, 8),
        run_training_check=False,
    )
    masked = IntegerLookup(vocabulary=VOCAB, mask_token=0)
    assert masked.get_vocabulary() == [0, -1, *VOCAB]
    ids = masked(np.array([[12, 0], [7, 42]]))
    assert ids.tolist() == [[2, 0], [1, 5]]
    back = IntegerLookup(vocabulary=VOCAB, mask_token=0, invert=True)(ids)
    assert back.tolist() == [[12, 0], [-1, 42]]
    # Encodings drop masked values (Keras's vocabulary then has no mask slot).
    hot = IntegerLookup(vocabulary=VOCAB, mask_token=0, output_mode="multi_hot")
    assert hot(np.array([[0, 12]])).tolist() == [[0.0, 1.0, 0.0, 0.0, 0.0]]


def test_string_lookup_matches_keras(layer_test: Any) -> None:
    # Text has no symbolic (KerasTensor) form here: the eager checks only.
    layer_test(
        StringLookup,
        {"vocabulary": ["a", "b"], "output_mode": "count", "mask_token": ""},
        input_data=np.array([["a", "c", ""], ["b", "b", "a"]]),
        expected_output_shape=(2, 3),
        run_symbolic_check=False,
        run_training_check=False,
    )
    vocab, data = ["a", "b", "c", "d"], [["a", "c", "d"], ["d", "z", "b"]]
    assert StringLookup(vocabulary=vocab)(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    assert StringLookup(vocabulary=vocab)(np.array(data)).tolist() == [
        [1, 3, 4],
        [4, 0, 2],
    ]
    layer = StringLookup()
    layer.adapt(data)  # by count, ties by reverse sort order
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert layer(data).tolist() == [[5, 3, 1], [1, 2, 4]]
    two_oov = StringLookup(vocabulary=vocab, num_oov_indices=2)
    assert two_oov([["a", "c", "d"], ["m", "z", "b"]]).tolist() == [
        [2, 4, 5],
        [0, 1, 3],
    ]
    tf_idf = StringLookup(output_mode="tf_idf")
    tf_idf.set_vocabulary(vocab, idf_weights=[0.25, 0.75, 0.6, 0.4])
    out = tf_idf([["a", "c", "d", "d"], ["d", "z", "b", "z"]])
    want = [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=1e-6)
    inverse = StringLookup(vocabulary=vocab, invert=True)(np.array([[1, 3], [0, 4]]))
    assert inverse.tolist() == [["a", "c"], ["[UNK]", "d"]]
    # Bytes decode; a scalar stays a scalar.
    assert StringLookup(vocabulary=vocab)([b"b", "q"]).tolist() == [2, 0]
    assert StringLookup(vocabulary=vocab)("c").tolist() == 3


def test_string_lookup_adapt_tf_idf_and_config_round_trip() -> None:
    docs = np.array([["x", "y", "y"], ["y", "z", "z"], ["z", "z", "w"]])
    layer = StringLookup(output_mode="tf_idf", max_tokens=4, mask_token="")
    layer.adapt(docs)
    # counts: z 4, y 3, x 1, w 1 -> three learned tokens after the OOV slot.
    assert layer.get_vocabulary() == ["[UNK]", "z", "y", "x"]
    learned = [np.log(1 + 3 / (1 + n)) for n in (2, 2, 1)]  # document counts
    want_idf = [np.mean(learned), *learned]
    np.testing.assert_allclose(layer.idf_weights, want_idf, rtol=1e-6)
    out = layer([["z", "w", "z", ""]])
    np.testing.assert_allclose(
        out.numpy(), [[want_idf[0], 2 * want_idf[1], 0, 0]], rtol=1e-6
    )
    clone = StringLookup.from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    torch.testing.assert_close(clone([["z", "w", "z", ""]]), out)
    # Many OOV buckets hash strings with FarmHash (SipHash with a salt).
    many = StringLookup(vocabulary=["a"], num_oov_indices=5, salt=3)
    assert many(["q", "a"]).tolist() == [siphash64((3, 3), b"q") % 5, 5]
    many = StringLookup(vocabulary=["a"], num_oov_indices=5)
    assert many(["q"]).tolist() == [fingerprint64(b"q") % 5]


def test_lookup_adapt_on_batches_and_tensors() -> None:
    layer = IntegerLookup(max_tokens=3)
    batches = iter([np.array([5, 5, 6]), np.array([7, 5])])  # not a list: data
    layer.adapt(batches)
    assert layer.get_vocabulary() == [-1, 5, 7]
    again = IntegerLookup()
    again.adapt(torch.tensor([[1, 2], [2, 3]]))
    assert again.get_vocabulary() == [-1, 2, 3, 1]


# Errors ---------------------------------------------------------------------


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"RandomCrop `height` must be a positive"):
        RandomCrop(0, 3)
    with pytest.raises(ValueError, match=r"RandomCrop `width` must be a positive"):
        RandomCrop(3, 2.5)
    with pytest.raises(
        ValueError, match=r'"crop_x" \(RandomCrop\) expects images of rank 3'
    ):
        RandomCrop(2, 2, name="crop_x")(np.zeros((4, 4), "float32"))
    with pytest.raises(
        ValueError, match=r"RandomTranslation `width_factor` must be a number"
    ):
        RandomTranslation(0.1, 1.5)
    with pytest.raises(
        ValueError, match=r"RandomTranslation `fill_mode` must be one of"
    ):
        RandomTranslation(0.1, 0.1, fill_mode="mirror")
    with pytest.raises(
        ValueError, match=r"RandomContrast `factor` must be a number or a pair"
    ):
        RandomContrast(-0.5)
    with pytest.raises(ValueError, match=r"in \[0.0, 1.0\], received: factor=1.5"):
        RandomContrast(1.5)
    with pytest.raises(
        ValueError, match=r"RandomBrightness `factor` must be a number or a pair"
    ):
        RandomBrightness((0.1, 0.2, 0.3))
    with pytest.raises(
        ValueError, match=r"RandomBrightness `value_range` must be a pair"
    ):
        RandomBrightness(0.1, value_range=(1, 1))
    with pytest.raises(ValueError, match=r"Hashing `num_bins` must be a positive"):
        Hashing(0)
    with pytest.raises(ValueError, match=r"Hashing `salt` must be an integer"):
        Hashing(3, salt="pepper")
    with pytest.raises(ValueError, match=r"Hashing `output_mode` must be one of"):
        Hashing(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match=r"needs an integer `dtype`"):
        Hashing(3, dtype="float32")
    with pytest.raises(ValueError, match=r"`output_mode` must be one of"):
        StringLookup(output_mode="bag")
    with pytest.raises(ValueError, match=r"invert=True\) needs output_mode='int'"):
        StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match=r"`num_oov_indices` must be an integer"):
        IntegerLookup(num_oov_indices=-1)
    with pytest.raises(ValueError, match=r"`max_tokens` must be greater than 1"):
        IntegerLookup(max_tokens=1)
    with pytest.raises(ValueError, match=r"`salt` needs oov_method='farmhash'"):
        IntegerLookup(salt=1)
    with pytest.raises(ValueError, match=r"`oov_method` must be one of"):
        IntegerLookup(oov_method="modulo")
    with pytest.raises(ValueError, match=r"repeated tokens: \['a'\]"):
        StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"reserved token ''"):
        StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match=r"exceeds max_tokens=3"):
        StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match=r"output_mode='tf_idf' needs `idf_weights`"):
        StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match=r"one weight per vocabulary token: 2"):
        StringLookup(vocabulary=["a", "b"], output_mode="tf_idf", idf_weights=[1.0])
    with pytest.raises(
        ValueError, match=r'"look" \(StringLookup\) found tokens out of its vocab'
    ):
        StringLookup(vocabulary=["a"], num_oov_indices=0, name="look")(["a", "b"])
    with pytest.raises(ValueError, match=r"cannot adapt: it was given a `vocab"):
        StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(ValueError, match=r"vocabulary file 'vocab.txt' does not exist"):
        StringLookup(vocabulary="vocab.txt")
    with pytest.raises(ValueError, match=r"has no vocabulary: pass `vocabulary`"):
        IntegerLookup()(np.array([1]))
