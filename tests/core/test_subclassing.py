import numpy as np
import torch

import cornu as keras


class MLP(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = keras.layers.Dense(32, activation="relu")
        self.d2 = keras.layers.Dense(10)
        self.extra = [keras.layers.Dense(10)]
        self.scale = keras.Variable(np.ones(10), name="scale")

    def call(self, x, training=None):
        return self.extra[0](self.d2(self.d1(x))) * self.scale


def test_subclassed_model_tracks_attributes_lists_and_variables():
    model = MLP()
    y = model(np.ones((3, 8), "float32"), training=True)
    assert y.shape == (3, 10)
    assert len(model.trainable_weights) == 7
    names = {w.name for w in model.weights}
    assert {"kernel", "bias", "scale"} <= names


def test_subclassed_model_build_from_shape():
    model = MLP()
    model.build((None, 8))
    assert model.built and model.count_params() == 8 * 32 + 32 + 32 * 10 + 10 + 110 + 10
    torch.testing.assert_close(
        model(np.zeros((1, 8), "float32")).detach(),
        (
            model.extra[0].bias
            + model.d2.bias @ model.extra[0].kernel
            + model.d1.bias.relu() @ model.d2.kernel @ model.extra[0].kernel
        ).detach()[None]
        * model.scale.detach(),
    )
