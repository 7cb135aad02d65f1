"""HashedCrossing, Pipeline, Wrapper, and the lookups' vocabulary files and assets.

Keras's HashedCrossing and lookup layers need TensorFlow (absent here):
their expected values are those of Keras's tests and docstrings, and the
files they write are rebuilt here in Keras's layout. Pipeline runs in
real Keras and is compared with it both ways.
"""

from __future__ import annotations

import doctest
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import torch

import cornu
from cornu import saving
from cornu.core import serialization
from cornu.layers.core import wrapper
from cornu.layers.core.dense import Dense
from cornu.layers.core.embedding import Embedding
from cornu.layers.core.wrapper import Wrapper
from cornu.layers.preprocessing import hashed_crossing, pipeline
from cornu.layers.preprocessing.hashed_crossing import HashedCrossing, cross_hash
from cornu.layers.preprocessing.integer_lookup import IntegerLookup
from cornu.layers.preprocessing.pipeline import Pipeline
from cornu.layers.preprocessing.rescaling import Rescaling
from cornu.layers.preprocessing.string_lookup import StringLookup
from cornu.layers.regularization.dropout import Dropout
from cornu.layers.rnn.time_distributed import TimeDistributed


@pytest.mark.parametrize("module", [hashed_crossing, pipeline, wrapper])
def test_docstring_examples(module: Any) -> None:
    result = doctest.testmod(module, extraglobs={"np": np})
    assert result.attempted > 0 and result.failed == 0


# HashedCrossing ---------------------------------------------------------------

FEAT1 = np.array(["A", "B", "A", "B", "A"])
FEAT2 = np.array([101, 101, 101, 102, 102])


def test_hashed_crossing_harness(layer_test: Any) -> None:
    layer_test(
        HashedCrossing,
        {"num_bins": 7},
        input_data=[np.array([[1], [2], [3]]), np.array([[4], [4], [9]])],
        input_dtype="int64",
        expected_output_shape=(3, 1),
        expected_output_dtype="int64",
        run_training_check=False,
    )
    layer_test(
        HashedCrossing,
        {"num_bins": 7, "output_mode": "one_hot"},
        input_data=[np.array([1, 2, 3]), np.array([4, 4, 9])],
        input_dtype="int64",
        expected_output_shape=(3, 7),
        expected_output_dtype="float32",
        run_training_check=False,
    )


def test_hashed_crossing_matches_keras() -> None:
    # Keras's documented outputs for these inputs.
    assert HashedCrossing(num_bins=5)((FEAT1, FEAT2)).tolist() == [1, 4, 1, 1, 3]
    one_hot = HashedCrossing(num_bins=5, output_mode="one_hot")
    out = one_hot((FEAT1.reshape(-1, 1), FEAT2.reshape(-1, 1)))
    np.testing.assert_array_equal(
        out.numpy(), np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]]
    )
    assert HashedCrossing(num_bins=10)(("A", 101)).tolist() == 1
    assert HashedCrossing(num_bins=10, dtype="int32")(("A", 101)).dtype == torch.int32
    # Bytes hash like their text; tensors like arrays; three features cross.
    layer = HashedCrossing(num_bins=1000)
    assert (
        layer(([b"A"], torch.tensor([101]))).tolist() == layer((["A"], [101])).tolist()
    )
    three = layer((FEAT1, FEAT2, FEAT2))
    assert three.tolist() == [cross_hash(v, 1000) for v in zip(FEAT1, FEAT2, FEAT2)]
    config = HashedCrossing(num_bins=4, output_mode="one_hot", name="hc").get_config()
    assert {k: config[k] for k in ("num_bins", "output_mode", "sparse", "name")} == {
        "num_bins": 4,
        "output_mode": "one_hot",
        "sparse": False,
        "name": "hc",
    }


def test_hashed_crossing_errors() -> None:
    with pytest.raises(ValueError, match=r"`num_bins` must be a positive integer"):
        HashedCrossing(num_bins=0)
    with pytest.raises(
        ValueError, match=r"`output_mode` must be one of \('int', 'one_hot'\)"
    ):
        HashedCrossing(num_bins=3, output_mode="multi_hot")
    with pytest.raises(ValueError, match=r"sparse=True\) is not supported"):
        HashedCrossing(num_bins=3, sparse=True)
    layer = HashedCrossing(num_bins=3, name="hc")
    with pytest.raises(
        ValueError, match=r'"hc" \(HashedCrossing\) should be called on a list'
    ):
        layer(FEAT2)
    with pytest.raises(ValueError, match=r"on at least two inputs, received 1"):
        layer([FEAT2])
    with pytest.raises(ValueError, match=r"should have shape \(\), \(batch_size,\)"):
        layer((np.ones((1, 1, 1), "int64"), np.ones((1, 1, 1), "int64")))
    with pytest.raises(ValueError, match=r"should have equal shapes"):
        layer((FEAT2, FEAT2[:2]))
    with pytest.raises(
        ValueError, match=r"should be integers or strings, received dtype float"
    ):
        layer((np.array([1.0]), np.array([2.0])))


# Pipeline ---------------------------------------------------------------------


def test_pipeline_harness_and_passthrough(layer_test: Any) -> None:
    layer_test(
        Pipeline,
        {"layers": [Dense(3), Dropout(0.5, seed=1)]},
        input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=2,
    )
    # Whatever the first layer takes passes through: strings, dicts.
    text = Pipeline([StringLookup(vocabulary=["a", "b"]), Embedding(3, 2)])
    assert text(np.array([["a", "z"]])).shape == (1, 2, 2)

    class Pick(cornu.layers.Layer):
        def call(self, inputs: dict) -> Any:
            return inputs["x"] * 2

    assert Pipeline([Pick(), Rescaling(0.5)])({"x": torch.ones(2)}).tolist() == [
        1.0,
        1.0,
    ]
    # `training` (default True, as Keras) reaches the layers that take it.
    drop = Pipeline([Dropout(0.5, seed=3)])
    x = torch.ones(1, 100)
    assert (drop(x) == 0).any()
    assert torch.equal(drop(x, training=False), x)


def test_pipeline_config() -> None:
    layer = Pipeline([Rescaling(2.0, name="r"), Dense(2, name="d")], name="p")
    config = layer.get_config()
    assert set(config) == {"layers", "name"}
    assert [c["class_name"] for c in config["layers"]] == ["Rescaling", "Dense"]
    clone = Pipeline.from_config(json.loads(json.dumps(config)))
    assert [type(x).__name__ for x in clone.layers] == ["Rescaling", "Dense"]
    with pytest.raises(ValueError, match=r"config must hold `layers`, a list"):
        Pipeline.from_config({"name": "p"})
    with pytest.raises(ValueError, match=r"`layers` must be a list of keras Layer"):
        Pipeline([Dense(2), "dense"])


# Keras's own saving code trips numpy's `__array__` deprecation on torch.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
def test_pipeline_interchanges_with_keras(keras_oracle: Any, tmp_path: Path) -> None:
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    model = cornu.Sequential(
        [cornu.Input((4,)), Pipeline([Dense(3), Rescaling(0.5), Dense(2)])]
    )
    want = model(x).detach().numpy()
    saving.save_model(model, tmp_path / "cornu.keras")
    ref = keras_oracle.saving.load_model(tmp_path / "cornu.keras")
    got = np.asarray(ref(x).detach().cpu())
    np.testing.assert_allclose(got, want, atol=1e-6)

    k = keras_oracle
    kmodel = k.Sequential(
        [k.Input((4,)), k.layers.Pipeline([k.layers.Dense(3), k.layers.Dense(2)])]
    )
    kwant = np.asarray(kmodel(x).detach().cpu())
    kmodel.save(tmp_path / "keras.keras")
    back = saving.load_model(
        tmp_path / "keras.keras", custom_objects={"Pipeline": Pipeline}
    )
    np.testing.assert_allclose(back(x).detach().numpy(), kwant, atol=1e-6)


# Wrapper ----------------------------------------------------------------------


def test_wrapper_builds_and_serializes_the_inner_layer() -> None:
    class Twice(Wrapper):
        def call(self, x: Any) -> Any:
            return self.layer(self.layer(x))

    layer = Twice(Dense(3, name="inner"))
    layer.build((None, 3))
    assert layer.layer.built and tuple(layer.layer.kernel.shape) == (3, 3)
    assert len(layer.trainable_weights) == 2
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense"
    clone = Twice.from_config(json.loads(json.dumps(config)))
    assert isinstance(clone.layer, Dense) and clone.layer.units == 3
    assert issubclass(TimeDistributed, Wrapper)
    assert isinstance(TimeDistributed(Dense(2)).layer, Dense)
    with pytest.raises(
        ValueError, match=r"Twice `layer` must be a keras Layer instance"
    ):
        Twice("dense")


# Lookup vocabulary files and assets -------------------------------------------


def test_vocabulary_files(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("a\nb\nc\n\n", encoding="utf-8")
    layer = StringLookup(vocabulary=str(words))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    assert layer([["a", "c"], ["d", "b"]]).tolist() == [[1, 3], [0, 2]]
    assert layer.get_config()["vocabulary"] == ["[UNK]", "a", "b", "c"]
    ints = tmp_path / "ints.txt"
    ints.write_text("12\n36\n1138\n42", encoding="utf-8")
    int_layer = IntegerLookup(vocabulary=str(ints))
    assert int_layer(np.array([[12, 1138, 42], [42, 1000, 36]])).tolist() == [
        [1, 3, 4],
        [4, 0, 2],
    ]
    later = StringLookup()
    later.set_vocabulary(str(words))
    assert later.get_vocabulary() == layer.get_vocabulary()
    with pytest.raises(
        ValueError, match=r"vocabulary file '.*missing.txt' does not exist"
    ):
        StringLookup(vocabulary=str(tmp_path / "missing.txt"))
    with pytest.raises(
        ValueError, match=r"output_mode='tf_idf' cannot read its vocabulary"
    ):
        StringLookup(vocabulary=str(words), output_mode="tf_idf", idf_weights=[1.0])
    # A config naming a file outside the archive is refused in safe mode.
    with serialization.safe_mode_scope(True):
        with pytest.raises(ValueError, match=r"while loading in safe mode"):
            StringLookup.from_config({"vocabulary": str(words)})
    with serialization.safe_mode_scope(False):
        assert (
            StringLookup.from_config({"vocabulary": str(words)}).vocabulary_size() == 4
        )


def _lookup_model() -> Any:
    ids = cornu.Input((3,), dtype="int64")
    lookup = IntegerLookup(max_tokens=6, name="lookup")
    return cornu.Model(ids, Embedding(6, 2)(lookup(ids))), lookup


def test_lookup_model_saves_with_assets(tmp_path: Path) -> None:
    model, lookup = _lookup_model()
    lookup.adapt(np.array([7, 7, 7, 8, 8, 9, 10, 11]))
    x = np.array([[7, 9, 99], [11, 8, 10]])
    want = model(x).detach()
    saving.save_model(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        # As Keras: the adapted vocabulary is an asset at the layer's path.
        assert (
            z.read("assets/layers/integer_lookup/vocabulary.txt")
            == b"-1\n7\n8\n11\n10\n9"
        )
    back = saving.load_model(tmp_path / "m.keras")
    torch.testing.assert_close(back(x).detach(), want)

    # Keras writes no vocabulary in an adapted lookup's config: the asset
    # alone must restore it.
    edited = tmp_path / "keras_layout.keras"
    with (
        zipfile.ZipFile(tmp_path / "m.keras") as zin,
        zipfile.ZipFile(edited, "w") as zout,
    ):
        for name in zin.namelist():
            data = zin.read(name)
            if name == "config.json":
                config = json.loads(data)
                for layer in config["config"]["layers"]:
                    if layer["class_name"] == "IntegerLookup":
                        layer["config"]["vocabulary"] = None
                        layer["config"]["vocabulary_size"] = 6
                data = json.dumps(config).encode()
            zout.writestr(name, data)
    from_keras = saving.load_model(edited)
    torch.testing.assert_close(from_keras(x).detach(), want)


def test_tf_idf_weights_are_layer_variables(tmp_path: Path) -> None:
    layer = StringLookup(
        output_mode="tf_idf", vocabulary=["a", "b"], idf_weights=[0.5, 2.0]
    )
    store: dict[str, Any] = {}
    layer.save_own_variables(store)
    np.testing.assert_allclose(store["idf_weights"], [1.25, 0.5, 2.0])
    ids = cornu.Input((2,), dtype="int64")
    model = cornu.Model(ids, cornu.layers.Identity()(ids))
    model.lookup = layer
    saving.save_weights(model, tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as h5:
        np.testing.assert_allclose(h5["lookup/vars/idf_weights"][()], [1.25, 0.5, 2.0])
    other = StringLookup(
        output_mode="tf_idf", vocabulary=["a", "b"], idf_weights=[1.0, 1.0]
    )
    other.load_own_variables({"idf_weights": np.array([1.25, 0.5, 2.0])})
    torch.testing.assert_close(other([["b", "b", "q"]]), layer([["b", "b", "q"]]))
    buffer = io.BytesIO()
    saving.save_model(model, buffer)
    assert buffer.getvalue()
