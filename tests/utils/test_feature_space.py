"""FeatureSpace: preprocessing and encoding of structured data, as Keras.

Keras's FeatureSpace adapts and runs only through TensorFlow, absent from
this environment: the references are NumPy encodings built from the
documented recipe (sorted feature names, then crosses; one-hot rows of
lookup, hash and bin indices), real Keras's configs, and a feature space
and its outputs recorded from real Keras with TensorFlow.
"""

from __future__ import annotations

import doctest
import json
import os
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch

import cornu
from cornu import saving
from cornu.core import serialization
from cornu.layers.preprocessing._hash import fingerprint64
from cornu.layers.preprocessing.hashed_crossing import cross_hash
from cornu.utils import feature_space
from cornu.utils.feature_space import Cross, Feature, FeatureSpace

CUSTOM = {"FeatureSpace": FeatureSpace}  # until cornu.utils exports it

DATA = {
    "age": np.array([20.0, 30.0, 40.0, 50.0, 60.0, 70.0]),
    "fare": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    "city": np.array(["paris", "rome", "paris", "oslo", "rome", "paris"]),
    "rooms": np.array([1, 2, 2, 3, 2, 1]),
    "tag": np.array(["x", "y", "z", "x", "y", "z"]),
}


def _space(output_mode: str = "concat") -> FeatureSpace:
    return FeatureSpace(
        {
            "age": "float_normalized",
            "fare": FeatureSpace.float_rescaled(scale=0.5, offset=1.0),
            "city": "string_categorical",
            "rooms": "integer_categorical",
            "tag": FeatureSpace.string_hashed(num_bins=4),
        },
        crosses=[FeatureSpace.cross(("city", "rooms"), crossing_dim=8)],
        output_mode=output_mode,
    )


def _reference(data: dict) -> dict[str, np.ndarray]:
    """The encodings by hand, from the adapted state Keras would learn on DATA."""
    age = (data["age"] - DATA["age"].mean()) / DATA["age"].std()
    city_vocab = ["[UNK]", "paris", "rome", "oslo"]  # by count, ties: higher first
    rooms_vocab = [-1, 2, 1, 3]
    city = [city_vocab.index(c) if c in city_vocab else 0 for c in data["city"]]
    rooms = [rooms_vocab.index(r) if r in rooms_vocab else 0 for r in data["rooms"]]
    tag = [fingerprint64(t.encode()) % 4 for t in data["tag"]]
    # Crosses hash the preprocessed features (the lookup indices).
    cross = [cross_hash((c, r), 8) for c, r in zip(city, rooms)]
    return {
        "age": age[:, None],
        "city": np.eye(4)[city],
        "fare": (data["fare"] * 0.5 + 1.0)[:, None],
        "rooms": np.eye(4)[rooms],
        "tag": np.eye(4)[tag],
        "city_X_rooms": np.eye(8)[cross],
    }


def test_docstring_example() -> None:
    result = doctest.testmod(feature_space, extraglobs={"np": np})
    assert result.attempted > 0 and result.failed == 0


def test_concat_and_dict_outputs_match_the_reference() -> None:
    space = _space()
    space.adapt(DATA)
    new = {
        "age": np.array([25.0, 90.0]),
        "fare": np.array([2.0, 0.0]),
        "city": np.array(["rome", "lima"]),
        "rooms": np.array([3, 9]),
        "tag": np.array(["z", "q"]),
    }
    want = _reference(new)
    order = ["age", "city", "fare", "rooms", "tag", "city_X_rooms"]  # names sorted
    out = space(new)
    assert out.dtype == torch.float32 and out.shape == (2, 1 + 4 + 1 + 4 + 4 + 8)
    np.testing.assert_allclose(
        out.numpy(),
        np.concatenate([want[k] for k in order], axis=1),
        rtol=1e-5,
        atol=1e-6,
    )
    as_dict = _space("dict")
    as_dict.adapt(DATA)
    got = as_dict(new)
    assert list(got) == order
    for key in order:
        np.testing.assert_allclose(got[key].numpy(), want[key], rtol=1e-5, atol=1e-6)
    # One sample (scalars) comes back without its batch axis.
    single = space({k: v[0] for k, v in new.items()})
    np.testing.assert_allclose(single.numpy(), out[0].numpy(), rtol=1e-6)


def test_other_features_and_int_outputs() -> None:
    space = FeatureSpace(
        {
            "f": "float",
            "d": FeatureSpace.float_discretized(num_bins=3),
            "b": FeatureSpace.float_discretized(
                num_bins=None, bin_boundaries=[0.0, 1.0]
            ),
            "i": FeatureSpace.integer_hashed(num_bins=5, output_mode="int"),
            "s": FeatureSpace.string_categorical(output_mode="int", max_tokens=3),
        },
        output_mode="dict",
    )
    space.adapt(
        {
            "f": np.arange(9.0),
            "d": np.arange(9.0),
            "b": np.arange(9.0),
            "i": np.arange(9),
            "s": np.array(list("aabbbccde")),
        }
    )
    out = space(
        {
            "f": [1, 2],
            "d": np.array([0.5, 8.0]),
            "b": np.array([-1.0, 0.5]),
            "i": np.array([12, 4]),
            "s": np.array(["c", "a"]),
        }
    )
    assert out["f"].dtype == torch.float32 and out["f"].tolist() == [[1.0], [2.0]]
    assert out["d"].tolist() == [[1, 0, 0], [0, 0, 1]]
    assert out["b"].tolist() == [[1, 0, 0], [0, 1, 0]]
    assert out["i"].tolist() == [[fingerprint64(b"12") % 5], [fingerprint64(b"4") % 5]]
    # b 3, then a and c 2 each (ties: the higher token first): ["[UNK]", "b", "c"].
    assert out["s"].tolist() == [[2], [0]]


def test_adapt_on_batches_equals_adapt_on_arrays() -> None:
    whole = _space()
    whole.adapt(DATA)
    batched = _space()
    batched.adapt([{k: v[i : i + 4] for k, v in DATA.items()} for i in (0, 4)])
    torch.testing.assert_close(batched(DATA), whole(DATA))


def test_encoded_features_feed_a_model() -> None:
    space = _space()
    space.adapt(DATA)
    encoded = space.get_encoded_features()
    assert encoded.shape == (None, 22)
    outputs = cornu.layers.Dense(1)(cornu.layers.Dense(4, activation="relu")(encoded))
    model = cornu.Model(inputs=encoded, outputs=outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = space(DATA)
    history = model.fit(x, np.ones((6, 1), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    as_dict = _space("dict")
    as_dict.adapt(DATA)
    shapes = {k: v.shape for k, v in as_dict.get_encoded_features().items()}
    assert shapes == {
        "age": (None, 1),
        "city": (None, 4),
        "fare": (None, 1),
        "rooms": (None, 4),
        "tag": (None, 4),
        "city_X_rooms": (None, 8),
    }
    numeric = FeatureSpace({"x": "float", "n": "integer_categorical"})
    numeric.adapt({"x": [1.0], "n": [3]})
    assert {k: v.dtype for k, v in numeric.get_inputs().items()} == {
        "x": "float32",
        "n": "int32",
    }


def test_config_round_trip_and_save(tmp_path: Path) -> None:
    space = _space()
    space.adapt(DATA)
    want = space(DATA)
    config = json.loads(json.dumps(serialization.serialize_keras_object(space)))
    assert config["module"] == "keras.utils" and config["class_name"] == "FeatureSpace"
    assert set(config["config"]) == {
        "features",
        "output_mode",
        "crosses",
        "crossing_dim",
        "hashing_dim",
        "num_discretization_bins",
    }
    feature = config["config"]["features"]["city"]
    assert feature["class_name"] == "Feature"
    assert feature["module"] == "keras.src.layers.preprocessing.feature_space"
    cross = config["config"]["crosses"][0]["config"]
    assert cross == {
        "feature_names": ["city", "rooms"],
        "crossing_dim": 8,
        "output_mode": "one_hot",
    }
    # The learned state that lives in weights (the normalization) comes
    # back through the file; the vocabularies through the config.
    space.save(tmp_path / "space.keras")
    back = saving.load_model(tmp_path / "space.keras", custom_objects=CUSTOM)
    assert isinstance(back, FeatureSpace)
    torch.testing.assert_close(back(DATA), want)


def test_keras_configs_interchange() -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    # Features Keras can build without TensorFlow.
    kfs = keras.utils.FeatureSpace
    ref = kfs(
        {
            "a": kfs.float_normalized(name="a"),
            "b": "float_rescaled",
            "c": kfs.float_discretized(num_bins=3, name="c"),
            "d": "float",
        },
        output_mode="dict",
        hashing_dim=16,
    )
    from_keras = json.loads(json.dumps(keras.saving.serialize_keras_object(ref)))
    space = serialization.deserialize_keras_object(from_keras, custom_objects=CUSTOM)
    mine = json.loads(json.dumps(serialization.serialize_keras_object(space)))
    assert mine["config"].keys() == from_keras["config"].keys()
    for key in ("a", "b", "c", "d"):
        theirs, ours = (
            from_keras["config"]["features"][key],
            mine["config"]["features"][key],
        )
        assert ours["class_name"] == theirs["class_name"] == "Feature"
        assert ours["config"]["dtype"] == theirs["config"]["dtype"]
        assert ours["config"]["output_mode"] == theirs["config"]["output_mode"]
        assert (
            ours["config"]["preprocessor"]["class_name"]
            == (theirs["config"]["preprocessor"]["class_name"])
        )
    space.adapt({"a": [1.0, 3.0], "b": [0.0, 0.0], "c": [0.0, 1.0, 2.0], "d": [0.0]})
    out = space({"a": [2.0], "b": [5.0], "c": [9.0], "d": [4.0]})
    assert out["a"].tolist() == [[0.0]] and out["b"].tolist() == [[5.0]]
    assert out["c"].tolist() == [[0.0, 0.0, 1.0]] and out["d"].tolist() == [[4.0]]
    # And Keras rebuilds cornu's config.
    rebuilt = keras.saving.deserialize_keras_object(mine)
    assert sorted(rebuilt.features) == ["a", "b", "c", "d"]
    assert type(rebuilt.features["c"].preprocessor).__name__ == "Discretization"
    assert type(rebuilt.features["d"].preprocessor).__name__ == "TFDIdentity"


# Recorded from real Keras with TensorFlow (tests/layers/keras_text_files).
FILES = Path(__file__).parents[1] / "layers" / "keras_text_files"


def test_matches_and_loads_a_keras_feature_space() -> None:
    data = runpy.run_path(str(FILES / "text_cases.py"))["FS_DATA"]
    want = np.load(FILES / "keras_feature_space.npy")
    space = FeatureSpace(
        {
            "age": "float_normalized",
            "fare": FeatureSpace.float_rescaled(scale=0.5, offset=1.0),
            "city": "string_categorical",
            "rooms": "integer_categorical",
            "tag": FeatureSpace.string_hashed(num_bins=4),
            "d": FeatureSpace.float_discretized(num_bins=3),
        },
        crosses=[FeatureSpace.cross(("city", "rooms"), crossing_dim=8)],
    )
    space.adapt(data)
    np.testing.assert_allclose(space(data).numpy(), want, rtol=1e-6, atol=1e-7)
    loaded = saving.load_model(
        FILES / "keras_feature_space.keras", custom_objects=CUSTOM
    )
    np.testing.assert_allclose(loaded(data).numpy(), want, rtol=1e-6, atol=1e-7)


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"`features` must be a non-empty dict"):
        FeatureSpace({})
    with pytest.raises(
        ValueError, match=r"`output_mode` must be one of \('concat', 'dict'\)"
    ):
        FeatureSpace({"x": "float"}, output_mode="list")
    with pytest.raises(ValueError, match=r"feature 'x' must be a Feature or one of"):
        FeatureSpace({"x": "floaty"})
    with pytest.raises(ValueError, match=r"received unknown features \['z'\]"):
        FeatureSpace({"x": "integer_categorical"}, crosses=[("x", "z")])
    with pytest.raises(ValueError, match=r"need a `crossing_dim`"):
        FeatureSpace({"x": "integer_categorical"}, crosses=[("x", "x")], crossing_dim=0)
    with pytest.raises(ValueError, match=r"Cross `output_mode` must be one of"):
        Cross(("a", "b"), 4, output_mode="count")
    with pytest.raises(ValueError, match=r"Feature `output_mode` must be one of"):
        Feature("float32", cornu.layers.Identity(), "multi_hot")
    space = FeatureSpace({"x": "integer_categorical"}, name="fs")
    with pytest.raises(ValueError, match=r'"fs" must be adapted first'):
        space({"x": [1]})
    with pytest.raises(ValueError, match=r"adapt expects a dict of arrays/lists"):
        space.adapt(3)
    with pytest.raises(ValueError, match=r"needs data for feature 'x'"):
        space.adapt({"y": [1]})
    space.adapt({"x": [1, 2]})
    with pytest.raises(ValueError, match=r"must be called on a dict of features"):
        space([1, 2])
    with pytest.raises(ValueError, match=r"the data lacks \['x'\]"):
        space({"y": [1]})
    with pytest.raises(ValueError, match=r"cannot concatenate feature 'x'"):
        FeatureSpace({"x": FeatureSpace.integer_categorical(output_mode="int")}).adapt(
            {"x": [1]}
        )
    odd = FeatureSpace(
        {"x": Feature("float32", cornu.layers.Rescaling(2.0), "one_hot")}
    )
    with pytest.raises(
        ValueError, match=r"size of its preprocessor's \(Rescaling\) output"
    ):
        odd({"x": [1.0]})
    strings = FeatureSpace({"s": "string_hashed"})
    with pytest.raises(NotImplementedError, match=r"\['s'\] are strings"):
        strings.get_inputs()
