"""`keras.layers.serialize` / `deserialize`, compared with Keras's output."""

import doctest
import importlib.util

import pytest

import cornu
from cornu import layers


def test_round_trip_keeps_the_config() -> None:
    layer = layers.Dense(3, activation="relu", name="d")
    config = layers.serialize(layer)
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    clone = layers.deserialize(config)
    assert isinstance(clone, layers.Dense)
    assert clone.get_config() == layer.get_config()


def test_unknown_class_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown class .NoSuchLayer."):
        layers.deserialize({"class_name": "NoSuchLayer", "config": {}})


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="needs keras")
def test_keras_reads_cornu_layer_config_and_back() -> None:
    import keras

    theirs = keras.layers.serialize(keras.layers.Dense(3, activation="relu"))
    ours = layers.serialize(layers.Dense(3, activation="relu"))
    assert ours["class_name"] == theirs["class_name"]
    assert set(ours["config"]) == set(theirs["config"])
    assert keras.layers.deserialize(ours).units == 3
    assert layers.deserialize(theirs).units == 3


def test_docstring_examples_run() -> None:
    for fn in (layers.serialize, layers.deserialize):
        finder = doctest.DocTestFinder()
        runner = doctest.DocTestRunner()
        for test in finder.find(fn, globs={"Dense": layers.Dense, **vars(layers)}):
            runner.run(test)
        assert runner.failures == 0 and runner.tries > 0
    assert cornu.layers is layers
