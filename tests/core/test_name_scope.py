"""Variable paths: `keras.name_scope`, and the nested paths layers and models
give their weights, compared with real Keras on the same structures."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import cornu


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    module = pytest.importorskip("keras")
    if module.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    return module


def test_name_scope_nests_variable_paths() -> None:
    with cornu.name_scope("outer"):
        a = cornu.Variable(1.0, name="a")
        with cornu.name_scope("inner"):
            b = cornu.Variable(1.0, name="b")
        c = cornu.Variable(1.0, name="c")
    d = cornu.Variable(1.0, name="d")
    assert [v.path for v in (a, b, c, d)] == [
        "outer/a",
        "outer/inner/b",
        "outer/c",
        "d",
    ]
    with cornu.name_scope("x", override_parent="root/sub"):
        assert cornu.Variable(1.0, name="e").path == "root/sub/x/e"
    with pytest.raises(ValueError, match=r"without '/'; received name='a/b'"):
        cornu.name_scope("a/b")


def _paths(keras: Any) -> dict[str, list[str]]:
    """The same structures built with `keras` (cornu or Keras), every name
    given, so that paths compare exactly."""

    class Block(keras.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.inner = keras.layers.Dense(3, name="inner")

        def call(self, x: Any) -> Any:
            return self.inner(x)

    class Net(keras.Model):
        def __init__(self) -> None:
            super().__init__(name="net")
            self.block = Block(name="block")
            self.head = keras.layers.Dense(1, name="head")

        def call(self, x: Any) -> Any:
            return self.head(self.block(x))

    x = np.ones((2, 4), "float32")
    out: dict[str, list[str]] = {}
    net = Net()
    net(x)
    out["subclassed"] = [v.path for v in net.weights]

    seq = keras.Sequential(
        [
            keras.Input((5, 4)),
            keras.layers.LSTM(3, return_sequences=True, name="lstm"),
            keras.layers.Bidirectional(keras.layers.GRU(2, name="gru"), name="bi"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.Dense(1, name="d"),
        ],
        name="seq",
    )
    out["sequential"] = [v.path for v in seq.weights]

    inputs = keras.Input((4,))
    h = Block(name="blk")(inputs)
    inner = keras.Sequential([keras.layers.Dense(2, name="d2")], name="sub")
    model = keras.Model(inputs, inner(h))
    out["functional"] = [v.path for v in model.weights]

    mha = keras.layers.MultiHeadAttention(2, 4, name="mha")
    q = np.ones((1, 3, 8), "float32")
    mha(q, q)
    out["attention"] = [v.path for v in mha.weights]

    opt = keras.optimizers.Adam(name="adam")
    opt.build(net.trainable_weights)
    out["optimizer"] = [v.path for v in opt.variables]
    return out


def test_weight_paths_equal_keras() -> None:
    keras = _keras()
    ours = _paths(cornu)
    theirs = _paths(keras)
    for case, paths in theirs.items():
        # Keras also lists its RNNs' dropout seed-generator states.
        paths = [p for p in paths if "seed_generator" not in p]
        assert ours[case] == paths, case
    assert ours["sequential"][0] == "seq/lstm/lstm_cell/kernel"
    assert ours["subclassed"][0] == "net/block/inner/kernel"


def test_built_layers_open_no_scope_on_later_calls() -> None:
    dense = cornu.layers.Dense(2, name="late")
    dense(np.ones((1, 3), "float32"))
    with cornu.name_scope("elsewhere"):
        dense(np.ones((1, 3), "float32"))
        assert cornu.Variable(1.0, name="v").path == "elsewhere/v"
    assert [w.path for w in dense.weights] == ["late/kernel", "late/bias"]
