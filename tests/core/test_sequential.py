import numpy as np
import pytest
import torch

import cornu as keras


def test_add_without_input_builds_on_first_call():
    model = keras.Sequential()
    model.add(keras.layers.Dense(units=64, activation="relu"))
    model.add(keras.layers.Dense(units=10, activation="softmax"))
    assert not model.built
    y = model(np.random.rand(8, 20).astype("float32"))
    assert isinstance(y, torch.Tensor) and y.shape == (8, 10)
    torch.testing.assert_close(y.sum(-1), torch.ones(8))
    assert model.built and model.input_shape == (None, 20)
    assert model.count_params() == 20 * 64 + 64 + 64 * 10 + 10


def test_with_input_builds_at_once_and_pop():
    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(2)]
    )
    assert model.built and model.output_shape == (None, 2)
    assert len(model.layers) == 2
    model.pop()
    assert model.output_shape == (None, 3)
    assert len(model.weights) == 2


def test_input_shape_on_first_layer():
    model = keras.Sequential([keras.layers.Dense(4, input_shape=(6,))])
    assert model.built and model.output_shape == (None, 4)


def test_add_errors():
    model = keras.Sequential([keras.layers.Dense(2, name="d")])
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        model.add("dense")
    with pytest.raises(ValueError, match='Name "d" is already'):
        model.add(keras.layers.Dense(2, name="d"))


def test_config_round_trip():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="tanh")]
    )
    clone = keras.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.ones((2, 3), "float32")
    torch.testing.assert_close(clone(x), model(x))


def test_summary_prints_keras_table(capsys):
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, name="d1"),
            keras.layers.Dense(10, name="d2"),
        ]
    )
    model.summary()
    text = capsys.readouterr().out
    assert "d1 (Dense)" in text and "(None, 64)" in text and "1,344" in text
    assert "Total params: 1,994 (7.79 KB)" in text
    assert "Non-trainable params: 0 (0.00 B)" in text


def test_is_a_torch_module_that_works_with_torch_tools():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert isinstance(model, torch.nn.Module)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.layers[0].kernel.detach().clone()
    model(np.ones((4, 3), "float32")).sum().backward()
    opt.step()
    assert not torch.equal(before, model.layers[0].kernel.detach())
