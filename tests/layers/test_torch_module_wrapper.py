"""Raw torch modules inside cornu layers and models are trained like weights."""

import numpy as np
import pytest
import torch

import cornu as keras


def test_wrapper_weights_train_and_match_the_module():
    torch.manual_seed(0)
    linear = torch.nn.Linear(3, 2)
    inputs = keras.Input((3,))
    outputs = keras.layers.TorchModuleWrapper(linear)(inputs)
    model = keras.Model(inputs, outputs)
    assert outputs.shape == (None, 2)
    assert len(model.trainable_weights) == 2
    x = np.random.default_rng(0).standard_normal((16, 3)).astype("float32")
    torch.testing.assert_close(model(x), linear(torch.from_numpy(x)))
    before = linear.weight.detach().clone()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((16, 2), "float32"), verbose=0)
    assert not torch.equal(before, linear.weight.detach())


def test_plain_torch_module_in_a_subclassed_model_is_trained_and_frozen():
    class Hybrid(keras.Model):
        def __init__(self):
            super().__init__()
            self.torch_part = torch.nn.Sequential(
                torch.nn.Linear(4, 8), torch.nn.ReLU()
            )
            self.head = keras.layers.Dense(1)

        def call(self, x):
            return self.head(self.torch_part(x))

    model = Hybrid()
    model(np.ones((2, 4), "float32"))
    assert len(model.trainable_weights) == 4
    model.trainable = False
    assert model.trainable_weights == []
    assert not any(p.requires_grad for p in model.torch_part.parameters())


def test_wrapper_refuses_loading_code_and_bad_modules():
    layer = keras.layers.TorchModuleWrapper(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="cannot be rebuilt from a file"):
        keras.layers.TorchModuleWrapper.from_config(layer.get_config())
    with pytest.raises(ValueError, match="expects a `torch.nn.Module`"):
        keras.layers.TorchModuleWrapper(lambda x: x)
