"""Writes this folder's reference files with real Keras 3 (TensorFlow backend).

Keras's text layers need TensorFlow, which cornu's test environment does
not have; their outputs and a model file Keras wrote are recorded here.
Regenerate (in an environment with `keras==3.15.1` and `tensorflow-cpu`):

    KERAS_BACKEND=tensorflow python make_keras_files.py
"""

from __future__ import annotations

import json
import os

import keras
import numpy as np
from text_cases import (
    FS_DATA,
    HC_BINS,
    HC_FEATURES,
    QUERIES,
    SL_ADAPT,
    SL_QUERY,
    TV_CASES,
)

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    outputs, vocabularies = {}, {}
    for name, (kwargs, docs) in TV_CASES.items():
        layer = keras.layers.TextVectorization(**kwargs)
        if docs is not None:
            layer.adapt(docs)
        outputs[f"tv_{name}"] = np.asarray(layer(np.array(QUERIES)))
        vocabularies[name] = layer.get_vocabulary()
    for i, (a, b) in enumerate(HC_FEATURES):
        for bins in HC_BINS:
            crossing = keras.layers.HashedCrossing(num_bins=bins)
            outputs[f"hc_{i}_{bins}"] = np.asarray(crossing((a, b)))
    lookup = keras.layers.StringLookup(output_mode="tf_idf", max_tokens=5)
    lookup.adapt(np.array(SL_ADAPT))
    outputs["sl_tfidf"] = np.asarray(lookup(np.array(SL_QUERY)))
    vocabularies["sl_tfidf"] = lookup.get_vocabulary()
    np.savez(os.path.join(HERE, "keras_out.npz"), **outputs)
    with open(os.path.join(HERE, "keras_vocabs.json"), "w") as f:
        json.dump(vocabularies, f)

    # A model with adapted text layers: Keras keeps their vocabularies in
    # assets and the IDF weights in the weights file.
    text = keras.Input(shape=(1,), dtype="string", name="text")
    words = keras.Input(shape=(2,), dtype="string", name="words")
    vectorize = keras.layers.TextVectorization(max_tokens=30, output_sequence_length=6)
    vectorize.adapt(np.array(["the cat sat", "the dog ran far", "a cat", "École été"]))
    tf_idf = keras.layers.TextVectorization(output_mode="tf_idf", max_tokens=12)
    tf_idf.adapt(np.array(["the cat sat", "the dog ran far", "a cat"]))
    lookup = keras.layers.StringLookup()
    lookup.adapt(np.array([["red", "blue"], ["red", "green"]]))
    keras.utils.set_random_seed(0)
    x = keras.layers.GlobalAveragePooling1D()(
        keras.layers.Embedding(30, 3)(vectorize(text))
    )
    z = keras.layers.Flatten()(keras.layers.Dense(2)(tf_idf(text)))
    y = keras.layers.Flatten()(keras.layers.Embedding(5, 2)(lookup(words)))
    model = keras.Model([text, words], keras.layers.Concatenate()([x, y, z]))
    data = [
        np.array([["The cat!"], ["a dog sat down"], ["été"]]),
        np.array([["red", "x"], ["blue", "green"], ["green", "red"]]),
    ]
    model.save(os.path.join(HERE, "keras_text_model.keras"))
    np.savez(
        os.path.join(HERE, "keras_text_model.npz"),
        text=data[0],
        words=data[1],
        y=np.asarray(model(data)),
    )

    # A FeatureSpace (cornu's tests/utils/test_feature_space.py reads it).
    space = keras.utils.FeatureSpace
    features = space(
        {
            "age": "float_normalized",
            "fare": space.float_rescaled(scale=0.5, offset=1.0),
            "city": "string_categorical",
            "rooms": "integer_categorical",
            "tag": space.string_hashed(num_bins=4),
            "d": space.float_discretized(num_bins=3),
        },
        crosses=[space.cross(("city", "rooms"), crossing_dim=8)],
    )
    features.adapt(FS_DATA)
    features.save(os.path.join(HERE, "keras_feature_space.keras"))
    np.save(
        os.path.join(HERE, "keras_feature_space.npy"), np.asarray(features(FS_DATA))
    )


if __name__ == "__main__":
    main()
