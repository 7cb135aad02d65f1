"""TextVectorization: standardize, split, n-grams, lookup and encodings as Keras.

Keras's TextVectorization needs TensorFlow, absent from this environment:
the references are outputs and a model file recorded from real Keras with
TensorFlow (keras_text_files/, written by its make_keras_files.py), the
values of Keras's own tests and docstrings, and NumPy for TF-IDF.
"""

from __future__ import annotations

import doctest
import io
import json
import runpy
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
from cornu.layers.preprocessing import text_vectorization
from cornu.layers.preprocessing._text import ngrams_of, split_text, standardize_text
from cornu.layers.preprocessing.text_vectorization import TextVectorization


def test_harness(layer_test: Any) -> None:
    # Text has no symbolic (KerasTensor) form here: the eager checks only.
    for kwargs, shape, dtype in [
        ({"vocabulary": ["a", "b"], "output_sequence_length": 3}, (2, 3), "int64"),
        ({"vocabulary": ["a", "b"], "output_mode": "multi_hot"}, (2, 3), "float32"),
        (
            {"vocabulary": ["a"], "output_mode": "tf_idf", "idf_weights": [0.5]},
            (2, 2),
            "float32",
        ),
    ]:
        layer_test(
            TextVectorization,
            kwargs,
            input_data=np.array([["a b c"], ["B"]]),
            expected_output_shape=shape,
            expected_output_dtype=dtype,
            run_symbolic_check=False,
            run_training_check=False,
        )


def test_docstring_examples() -> None:
    result = doctest.testmod(text_vectorization, extraglobs={"np": np})
    assert result.attempted > 0 and result.failed == 0


def test_keras_documented_adapt_flow() -> None:
    layer = TextVectorization(max_tokens=5000, output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    out = layer([["foo qux bar"], ["qux baz"]])
    assert out.dtype == torch.int64
    assert out.tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    # Count first, ties by the higher token (as Keras's sort).
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    fixed = TextVectorization(vocabulary=["earth", "wind", "and", "fire"])
    assert fixed.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert fixed.get_vocabulary(include_special_tokens=False) == [
        "earth",
        "wind",
        "and",
        "fire",
    ]
    assert fixed.vocabulary_size() == 6
    again = TextVectorization(output_sequence_length=4)
    again.set_vocabulary(layer.get_vocabulary())
    assert again([["foo qux bar"], ["qux baz"]]).tolist() == [
        [4, 1, 3, 0],
        [1, 2, 0, 0],
    ]


@pytest.mark.parametrize(
    "kwargs,data,want",
    [
        # Keras's tests, same inputs and outputs.
        (
            {"vocabulary": ["hello", "world", "this", "is", "nice", "test"]},
            ["Hello, World!. This is just a nice test!"],
            [[2, 3, 4, 5, 1, 1, 6, 7]],
        ),
        (
            {
                "standardize": "lower",
                "vocabulary": [
                    "hello,",
                    "hello",
                    "world",
                    "this",
                    "is",
                    "nice",
                    "test",
                ],
            },
            ["Hello, World!. This is just a nice test!"],
            [[2, 1, 5, 6, 1, 1, 7, 1]],
        ),
        (
            {
                "standardize": "strip_punctuation",
                "vocabulary": ["Hello", "World", "Test"],
            },
            ["Hello, World! Test."],
            [[2, 3, 4]],
        ),
        (
            {"standardize": None, "vocabulary": ["Hello", "world"]},
            ["Hello hello"],
            [[2, 1]],
        ),
        ({"split": "character", "vocabulary": list("abcde")}, ["abcf"], [[2, 3, 4, 1]]),
        (
            {"split": None, "vocabulary": ["foo", "bar", "baz"]},
            [["foo"], ["bar"], ["unknown"]],
            [[2], [3], [1]],
        ),
        # Only ASCII letters are lowercased and only ASCII punctuation and
        # whitespace count (TensorFlow's string ops); runs of spaces are one.
        (
            {"vocabulary": ["école", "Éa", "x\u00a0y", "ab"]},
            ["  École Éa\tx\u00a0y  a-b "],
            [[1, 3, 4, 5]],
        ),
        # A trailing axis of size 1 is dropped; truncation to the length.
        (
            {"vocabulary": ["a", "b"], "output_sequence_length": 2},
            np.array([["a b a"], [""]]),
            [[2, 3], [0, 0]],
        ),
        ({"vocabulary": ["a", "b"]}, "b a", [3, 2]),
        ({"vocabulary": ["a", "b"]}, [b"a", "b\xc3\xa9".encode("latin-1")], [[2], [1]]),
    ],
)
def test_int_outputs_match_keras(kwargs: dict, data: Any, want: list) -> None:
    out = TextVectorization(**kwargs)(data)
    assert out.dtype == torch.int64
    assert out.tolist() == want


def test_encodings_match_keras() -> None:
    vocab = ["foo", "bar", "baz"]
    hot = TextVectorization(output_mode="multi_hot", vocabulary=vocab)
    assert hot([["foo bar"], ["baz foo foo"]]).tolist() == [[0, 1, 1, 0], [0, 1, 0, 1]]
    count = TextVectorization(output_mode="count", vocabulary=vocab)
    assert count(["foo bar", "baz foo foo"]).tolist() == [[0, 1, 1, 0], [0, 2, 0, 1]]
    tf_idf = TextVectorization(
        output_mode="tf_idf", vocabulary=vocab, idf_weights=[0.3, 0.5, 0.2]
    )
    np.testing.assert_allclose(
        tf_idf(["foo bar", "baz foo foo"]).numpy(),
        [[0.0, 0.3, 0.5, 0.0], [0.0, 0.6, 0.0, 0.2]],
        rtol=1e-6,
    )
    padded = TextVectorization(
        output_mode="multi_hot",
        vocabulary=["foo", "bar"],
        max_tokens=8,
        pad_to_max_tokens=True,
    )
    assert padded(["foo bar"]).shape == (1, 8)
    # one_hot: each token (padding encodes to zeros), or one given token per sample.
    one_hot = TextVectorization(output_mode="one_hot", vocabulary=vocab)
    want = np.zeros((2, 2, 4))
    want[0, 0, 1] = want[0, 1, 3] = want[1, 0, 2] = 1
    np.testing.assert_array_equal(one_hot(["foo baz", "bar"]).numpy(), want)
    single = TextVectorization(output_mode="one_hot", split=None, vocabulary=vocab)
    assert single([["baz"], ["zz"]]).tolist() == [[0, 0, 0, 1], [1, 0, 0, 0]]


def test_adapt_tf_idf_against_numpy() -> None:
    docs = ["the cat sat", "the dog", "the cat the cat"]
    layer = TextVectorization(output_mode="tf_idf")
    layer.adapt(np.array(docs))
    # counts: the 4, cat 3, sat 1, dog 1 (ties: higher token first).
    vocab = ["the", "cat", "sat", "dog"]
    assert layer.get_vocabulary() == ["[UNK]", *vocab]
    doc_freq = np.array([3, 2, 1, 1])
    idf = np.log(1 + 3 / (1 + doc_freq))
    idf = np.concatenate([[idf.mean()], idf])  # OOV: the mean, as Keras
    counts = np.array([[0, 2, 1, 0, 1], [2, 0, 2, 0, 0]], "float64")
    out = layer(["The dog, the cat!", "zz yy cat cat"]).numpy()
    np.testing.assert_allclose(out, counts * idf, rtol=1e-6)
    assert out.dtype == np.float32


def test_ngrams_and_batches() -> None:
    assert ngrams_of([["a", "b", "c"]], (1, 2, 3)) == [
        ["a", "b", "c", "a b", "b c", "a b c"]
    ]
    assert ngrams_of([["a"]], (2,)) == [[]]
    layer = TextVectorization(ngrams=2)
    layer.adapt(["foo bar baz"])
    assert set(layer.get_vocabulary()) == {
        "",
        "[UNK]",
        "foo",
        "bar",
        "baz",
        "foo bar",
        "bar baz",
    }
    tri = TextVectorization(ngrams=(1, 3))
    tri.adapt(["foo bar baz"])
    assert (
        "foo bar baz" in tri.get_vocabulary() and "foo bar" not in tri.get_vocabulary()
    )
    assert tri(["foo bar baz"]).tolist()[0][3] == tri.get_vocabulary().index(
        "foo bar baz"
    )
    # An iterable of batches, `steps` of them.
    batches = iter([np.array(["foo bar"]), np.array(["bar baz"]), np.array(["unique"])])
    stepped = TextVectorization()
    stepped.adapt(batches, steps=2)
    assert stepped.get_vocabulary() == ["", "[UNK]", "bar", "foo", "baz"]
    capped = TextVectorization(max_tokens=5)
    capped.adapt(["a b c d e f g h i j"])
    assert len(capped.get_vocabulary()) == 5


def test_callables() -> None:
    seen: list[Any] = []

    def standardize(texts: np.ndarray) -> np.ndarray:
        seen.append(texts.dtype.kind)
        return np.char.replace(np.char.lower(texts), ",", "")

    layer = TextVectorization(standardize=standardize)
    layer.adapt(["Hello, world."])
    assert seen and set(seen) == {"U"}
    assert layer.get_vocabulary() == ["", "[UNK]", "world.", "hello"]

    def pipes(texts: np.ndarray) -> list[list[str]]:
        return [t.split("|") for t in texts]

    vocab = ["foo", "bar", "foobar"]
    # As Keras's test: "|" is punctuation, stripped before the split.
    assert TextVectorization(split=pipes, vocabulary=vocab)(["foo|bar"]).tolist() == [
        [4]
    ]
    raw = TextVectorization(split=pipes, standardize=None, vocabulary=vocab)
    assert raw(["foo|bar", "bar"]).tolist() == [[2, 3], [3, 0]]
    assert split_text(np.array(["a  b"], dtype=object), "whitespace") == [["a", "b"]]
    assert standardize_text(np.array(["A.b"], dtype=object), "lower")[0] == "a.b"


def test_vocabulary_file(tmp_path: Path) -> None:
    path = tmp_path / "vocab.txt"
    path.write_text("foo\nbar\nbaz\n", encoding="utf-8")
    layer = TextVectorization(vocabulary=str(path))
    assert layer(["foo bar baz unknown"]).tolist() == [[2, 3, 4, 1]]
    # The tokens, not the path, are what the config carries.
    assert layer.get_config()["vocabulary"] == ["", "[UNK]", "foo", "bar", "baz"]
    with pytest.raises(ValueError, match=r"cannot adapt: it was given a `vocabulary`"):
        layer.adapt(["foo"])


def test_config_round_trip_and_keras_keys() -> None:
    layer = TextVectorization(max_tokens=10, ngrams=(1, 2), output_sequence_length=5)
    layer.adapt(["a b", "b c"])
    config = json.loads(json.dumps(serialization.serialize_keras_object(layer)))
    assert config["class_name"] == "TextVectorization"
    assert config["module"] == "keras.layers"
    # Keras's keys (its `vocabulary_size` is accepted but not written).
    assert set(config["config"]) == {
        "name", "trainable", "dtype", "max_tokens", "standardize", "split",
        "ngrams", "output_mode", "output_sequence_length", "pad_to_max_tokens",
        "sparse", "ragged", "vocabulary", "idf_weights", "encoding",
    }  # fmt: skip
    # (custom_objects: the class may not be exported from cornu.layers yet.)
    clone = serialization.deserialize_keras_object(
        config, custom_objects={"TextVectorization": TextVectorization}
    )
    assert clone._ngrams == (1, 2)
    assert clone(["a b c"]).tolist() == layer(["a b c"]).tolist()
    keras_written = {**config["config"], "vocabulary_size": 7, "ngrams": [1, 2]}
    assert TextVectorization.from_config(keras_written).get_vocabulary() == (
        layer.get_vocabulary()
    )


def _rewrite_config(src: Path, dst: Path, edit: Any) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "config.json":
                config = json.loads(data)
                edit(config["config"])
                data = json.dumps(config).encode()
            zout.writestr(name, data)


def test_save_and_load_with_assets(tmp_path: Path) -> None:
    layer = TextVectorization(output_mode="tf_idf", name="vectorize")
    layer.adapt(["x y y", "y z"])
    text = ["x z q", "y y"]
    want = layer(text)
    saving.save_model(layer, tmp_path / "tv.keras")
    custom = {"TextVectorization": TextVectorization}
    back = saving.load_model(tmp_path / "tv.keras", custom_objects=custom)
    torch.testing.assert_close(back(text), want)
    # Keras's layout: the IDF weights are variables of the layer and of its
    # inner lookup, and the adapted vocabulary is an asset file of each.
    with zipfile.ZipFile(tmp_path / "tv.keras") as z:
        assert z.read("assets/vocabulary.txt") == b"[UNK]\ny\nz\nx"
        assert z.read("assets/_lookup_layer/vocabulary.txt") == b"[UNK]\ny\nz\nx"
        with h5py.File(io.BytesIO(z.read("model.weights.h5"))) as h5:
            for group in ("vars", "_lookup_layer/vars"):
                np.testing.assert_allclose(
                    h5[group]["idf_weights"][()], layer._lookup_layer.idf_weights
                )

    # A file as Keras writes it for an adapted layer: no vocabulary in the
    # config; the vocabulary comes back from the assets, the IDF from h5.
    def drop_vocabulary(config: dict) -> None:
        config["vocabulary"] = config["idf_weights"] = None
        config["vocabulary_size"] = 4

    _rewrite_config(tmp_path / "tv.keras", tmp_path / "keras.keras", drop_vocabulary)
    from_keras = saving.load_model(tmp_path / "keras.keras", custom_objects=custom)
    assert from_keras.get_vocabulary() == layer.get_vocabulary()
    torch.testing.assert_close(from_keras(text), want)


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"`standardize` must be one of"):
        TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match=r"`split` must be one of"):
        TextVectorization(split="comma")
    with pytest.raises(ValueError, match=r"`output_mode` must be one of"):
        TextVectorization(output_mode="bag")
    with pytest.raises(
        ValueError, match=r"`ngrams` must be None, an integer or a tuple"
    ):
        TextVectorization(ngrams="invalid")
    with pytest.raises(ValueError, match=r"applies to output_mode='int' only"):
        TextVectorization(output_mode="multi_hot", output_sequence_length=5)
    with pytest.raises(
        ValueError, match=r"`output_sequence_length` must be None or an"
    ):
        TextVectorization(output_sequence_length=2.5)
    with pytest.raises(ValueError, match=r"ragged=True\) is not supported"):
        TextVectorization(ragged=True)
    with pytest.raises(ValueError, match=r"sparse=True\) is not supported"):
        TextVectorization(output_mode="multi_hot", sparse=True)
    with pytest.raises(
        ValueError, match=r"pad_to_max_tokens=True\) needs `max_tokens`"
    ):
        TextVectorization(pad_to_max_tokens=True)
    with pytest.raises(
        ValueError, match=r'"tv" \(TextVectorization\) has no vocabulary'
    ):
        TextVectorization(name="tv")(["a"])
    with pytest.raises(
        ValueError, match=r"expects inputs of shape \(batch,\) or \(batch, 1\)"
    ):
        TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match=r"adapt expects strings"):
        TextVectorization().adapt(3)
    with pytest.raises(ValueError, match=r"cannot read its vocabulary from a file"):
        TextVectorization(output_mode="tf_idf", vocabulary="v.txt", idf_weights=[1.0])


def test_text_model_saves_and_loads(tmp_path: Path) -> None:
    text = cornu.Input(shape=(1,), dtype="string", name="text")
    words = cornu.Input(shape=(2,), dtype="string", name="words")
    vectorize = TextVectorization(max_tokens=20, output_sequence_length=4)
    vectorize.adapt(["the cat sat", "the dog ran", "a cat"])
    lookup = cornu.layers.StringLookup(vocabulary=["red", "blue"])
    tokens = vectorize(text)
    assert tokens.shape == (None, 4) and tokens.dtype == "int64"
    x = cornu.layers.GlobalAveragePooling1D()(cornu.layers.Embedding(20, 3)(tokens))
    y = cornu.layers.Flatten()(cornu.layers.Embedding(3, 2)(lookup(words)))
    model = cornu.Model(
        [text, words], cornu.layers.Dense(2)(cornu.layers.Concatenate()([x, y]))
    )
    data = [
        np.array([["The cat!"], ["a dog sat down"]]),
        np.array([["red", "x"], ["blue", "red"]]),
    ]
    want = model(data).detach()
    path = tmp_path / "text.keras"
    saving.save_model(model, path)
    custom = {"TextVectorization": TextVectorization}
    back = saving.load_model(path, custom_objects=custom)
    torch.testing.assert_close(back(data).detach(), want)
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))["config"]
    assert config["layers"][0]["config"]["dtype"] == "string"  # as Keras writes it

    # Keras writes an adapted layer's vocabulary as an asset only.
    def drop_vocabulary(model_config: dict) -> None:
        for layer in model_config["layers"]:
            if layer["class_name"] == "TextVectorization":
                layer["config"]["vocabulary"] = None

    _rewrite_config(path, tmp_path / "keras.keras", drop_vocabulary)
    from_keras = saving.load_model(tmp_path / "keras.keras", custom_objects=custom)
    torch.testing.assert_close(from_keras(data).detach(), want)


def test_text_model_fits_and_predicts() -> None:
    text = cornu.Input(shape=(1,), dtype="string")
    vectorize = TextVectorization(max_tokens=20, output_mode="multi_hot")
    vectorize.adapt(["good fun", "bad sad", "good good", "sad"])
    model = cornu.Model(
        text, cornu.layers.Dense(1, activation="sigmoid")(vectorize(text))
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = np.array([["good fun"], ["bad sad"], ["good"], ["sad bad"], ["fun"]])
    y = np.array([[1.0], [0.0], [1.0], [0.0], [1.0]], "float32")
    before = model.get_weights()[0].copy()
    history = model.fit(x, y, batch_size=2, epochs=2, shuffle=True, verbose=0)
    assert len(history.history["loss"]) == 2
    assert not np.allclose(model.get_weights()[0], before)  # it trained
    # predict batches the text like any array, in order.
    np.testing.assert_allclose(
        model.predict(x, batch_size=2, verbose=0), model(x).detach().numpy(), rtol=1e-6
    )


# Outputs and a model file recorded from real Keras with TensorFlow (see
# keras_text_files/make_keras_files.py).
FILES = Path(__file__).parent / "keras_text_files"
CASES: Any = runpy.run_path(str(FILES / "text_cases.py"))
KERAS_OUT = dict(np.load(FILES / "keras_out.npz"))
KERAS_VOCABS = json.loads((FILES / "keras_vocabs.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES["TV_CASES"]))
def test_matches_recorded_keras(name: str) -> None:
    kwargs, docs = CASES["TV_CASES"][name]
    layer = TextVectorization(**kwargs)
    if docs is not None:
        layer.adapt(docs)
    assert layer.get_vocabulary() == KERAS_VOCABS[name]
    want = KERAS_OUT[f"tv_{name}"]
    got = layer(np.array(CASES["QUERIES"])).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_crossing_and_lookup_match_recorded_keras() -> None:
    from cornu.layers.preprocessing.hashed_crossing import HashedCrossing

    for i, (a, b) in enumerate(CASES["HC_FEATURES"]):
        for bins in CASES["HC_BINS"]:
            got = HashedCrossing(num_bins=bins)((a, b)).numpy()
            np.testing.assert_array_equal(got, KERAS_OUT[f"hc_{i}_{bins}"])
    lookup = cornu.layers.StringLookup(output_mode="tf_idf", max_tokens=5)
    lookup.adapt(np.array(CASES["SL_ADAPT"]))
    assert lookup.get_vocabulary() == KERAS_VOCABS["sl_tfidf"]
    got = lookup(np.array(CASES["SL_QUERY"])).numpy()
    np.testing.assert_allclose(got, KERAS_OUT["sl_tfidf"], rtol=1e-6)


def test_loads_a_keras_written_text_model() -> None:
    # Adapted vocabularies in assets, IDF weights in the weights file, the
    # encodings' sizes in the configs' `vocabulary_size`.
    model = saving.load_model(
        FILES / "keras_text_model.keras",
        custom_objects={"TextVectorization": TextVectorization},
    )
    data = np.load(FILES / "keras_text_model.npz")
    got = model([data["text"], data["words"]]).detach().numpy()
    np.testing.assert_allclose(got, data["y"], rtol=1e-5, atol=1e-6)
