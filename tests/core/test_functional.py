import json

import numpy as np
import pytest
import torch

import cornu as keras


def _dag():
    a = keras.Input(shape=(20,), name="a")
    b = keras.Input(shape=(5,), name="b")
    shared = keras.layers.Dense(8, activation="relu", name="shared")
    h1 = shared(a)
    h2 = shared(keras.layers.Dense(20, name="proj")(b))
    s = h1 + h2
    out1 = keras.layers.Dense(3, name="out1")(s)
    out2 = keras.layers.Dense(1, name="out2")(h1)
    return keras.Model(inputs={"a": a, "b": b}, outputs={"out1": out1, "out2": out2})


def _data():
    rng = np.random.default_rng(0)
    return {
        "a": rng.standard_normal((4, 20)).astype("float32"),
        "b": rng.standard_normal((4, 5)).astype("float32"),
    }


def test_dict_inputs_and_outputs_with_shared_layer_compute_the_graph():
    model = _dag()
    data = _data()
    out = model(data)
    assert set(out) == {"out1", "out2"}
    L = {layer.name: layer for layer in model.layers}
    a, b = (torch.from_numpy(data[k]) for k in "ab")
    shared = L["shared"]
    h1 = torch.relu(a @ shared.kernel + shared.bias)
    h2 = torch.relu(
        (b @ L["proj"].kernel + L["proj"].bias) @ shared.kernel + shared.bias
    )
    ref1 = (h1 + h2) @ L["out1"].kernel + L["out1"].bias
    torch.testing.assert_close(out["out1"], ref1)
    assert len(shared._inbound_nodes) == 2
    # Keras orders layers by depth: input "b" feeds the deeper branch.
    assert [layer.name for layer in model.layers][:2] == ["b", "a"]
    assert model.get_layer("shared") is shared
    assert model.get_layer(index=2) is model.layers[2]


def test_config_round_trip_rebuilds_an_equal_graph():
    model = _dag()
    config = model.get_config()
    json.dumps(config)  # JSON-ready
    clone = keras.Model.from_config(config)
    assert [layer.name for layer in clone.layers] == [
        layer.name for layer in model.layers
    ]
    clone.set_weights(model.get_weights())
    data = _data()
    for key in ("out1", "out2"):
        torch.testing.assert_close(clone(data)[key], model(data)[key])
    assert clone.get_config() == config


def test_list_inputs_and_outputs():
    a, b = keras.Input((3,)), keras.Input((3,))
    s = keras.layers.Dense(2)(a) - keras.layers.Dense(2)(b)
    model = keras.Model([a, b], [s, s * 2.0])
    x = np.ones((2, 3), "float32")
    y1, y2 = model([x, x])
    torch.testing.assert_close(y2, y1 * 2)
    with pytest.raises(ValueError, match=r"expects 2 input\(s\), but it received 1"):
        model([x])


def test_nested_models_as_layers():
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, keras.layers.Dense(3)(inner_in), name="inner")
    x = keras.Input((4,))
    y = keras.layers.Dense(2)(inner(x))
    outer = keras.Model(x, y)
    data = np.ones((5, 4), "float32")
    assert outer(data).shape == (5, 2)
    assert len(outer.trainable_weights) == 4
    clone = keras.Model.from_config(outer.get_config())
    clone.set_weights(outer.get_weights())
    torch.testing.assert_close(clone(data), outer(data))


def test_disconnected_graph_error():
    a, b = keras.Input((3,), name="first"), keras.Input((3,), name="second")
    out = keras.layers.Dense(1)(a) + keras.layers.Dense(1)(b)
    with pytest.raises(ValueError, match='Graph disconnected.*input layer "first"'):
        keras.Model(b, out)


def test_shape_mismatch_error_names_model_and_shapes():
    model = _dag()
    data = _data()
    data["a"] = np.ones((4, 21), "float32")
    with pytest.raises(
        ValueError, match=r"expected shape=\(None, 20\), found shape=\(4, 21\)"
    ):
        model(data)


def test_duplicate_names_are_refused():
    a = keras.Input((3,))
    x = keras.layers.Dense(2, name="same")(a)
    y = keras.layers.Dense(2, name="same")(x)
    with pytest.raises(ValueError, match='The name "same" is used 2 times'):
        keras.Model(a, y)


def test_symbolic_shapes_keep_unknown_dims():
    x = keras.Input(shape=(None, 16))
    y = keras.layers.Dense(4)(x)
    assert y.shape == (None, None, 4)
    model = keras.Model(x, y)
    assert model(np.ones((2, 7, 16), "float32")).shape == (2, 7, 4)


def test_training_flag_reaches_layers_in_graph():
    seen = []

    class Probe(keras.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    x = keras.Input((2,))
    model = keras.Model(x, Probe()(x))
    seen.clear()
    model(np.ones((1, 2), "float32"), training=True)
    model(np.ones((1, 2), "float32"))
    assert seen == [True, None]
