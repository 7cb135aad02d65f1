import numpy as np
import pytest
import torch

import cornu as keras
from cornu.core import naming


class Scale(keras.Layer):
    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.moving = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="moving"
        )

    def call(self, x, training=None):
        if training:
            with torch.no_grad():
                self.moving.add_(1.0)
        return x * self.w * self.factor


def test_build_is_deferred_to_first_call():
    layer = Scale()
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 3), "float32"))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 3)
    assert layer.built
    assert [w.name for w in layer.weights] == ["w", "moving"]
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 1
    assert layer.weights[0].path == f"{layer.name}/w"
    assert isinstance(layer, torch.nn.Module)
    assert dict(layer.named_parameters()).keys() == {"w", "moving"}


def test_unique_default_names():
    naming.reset()
    a, b, c = keras.layers.Dense(1), keras.layers.Dense(1), Scale()
    assert (a.name, b.name, c.name) == ("dense", "dense_1", "scale")


def test_training_flag_propagates_to_nested_layers():
    seen = []

    class Probe(keras.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Outer(keras.Layer):
        def __init__(self):
            super().__init__()
            self.probe = Probe()

        def call(self, x):
            return self.probe(x)

    outer = Outer()
    x = np.ones((1, 2), "float32")
    outer(x, training=True)
    outer(x, training=False)
    outer(x)
    assert seen == [True, False, None]


def test_trainable_setter_freezes_children():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), Scale()])
    assert len(model.trainable_weights) == 3
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    assert not any(p.requires_grad for p in model.parameters())
    model.trainable = True
    assert len(model.trainable_weights) == 3
    # The non-trainable moving weight stays non-trainable.
    assert not model.layers[1].moving.requires_grad


def test_losses_from_add_loss_and_regularizers():
    class WithLoss(keras.Layer):
        def call(self, x):
            self.add_loss(x.sum())
            return x

    layer = WithLoss()
    layer(np.ones((2, 2), "float32"))
    layer(np.ones((2, 2), "float32"))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 4.0  # cleared per call

    dense = keras.layers.Dense(
        2, kernel_regularizer=keras.regularizers.L2(0.1), activity_regularizer="l1"
    )
    x = np.ones((4, 3), "float32")
    out = dense(x)
    kernel = dense.kernel.detach()
    expected = [
        float(
            0.01 * out.detach().abs().sum() / 4
        ),  # activity L1(0.01), divided by batch
        float(0.1 * (kernel**2).sum()),
    ]
    np.testing.assert_allclose(
        sorted(float(v.detach()) for v in dense.losses), sorted(expected), rtol=1e-5
    )


def test_get_set_weights_and_errors():
    layer = keras.layers.Dense(2)
    with pytest.raises(ValueError, match="is not built yet"):
        layer.count_params()
    layer(np.ones((1, 3), "float32"))
    assert layer.count_params() == 8
    values = [np.full((3, 2), 0.5, "float32"), np.arange(2, dtype="float32")]
    layer.set_weights(values)
    for got, want in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=r"expects 2 weight\(s\), received 1"):
        layer.set_weights(values[:1])
    with pytest.raises(
        ValueError, match=r"shape \(3, 2\), received a value of shape \(2, 2\)"
    ):
        layer.set_weights([np.zeros((2, 2)), np.zeros(2)])


def test_input_spec_errors_name_layer_and_shapes():
    naming.reset()
    layer = keras.layers.Dense(4, name="dense_3")
    layer(np.ones((32, 20), "float32"))
    with pytest.raises(
        ValueError,
        match=r'Layer "dense_3" \(Dense\) expects inputs with last dimension 20, '
        r"received shape \(32, 21\)",
    ):
        layer(np.ones((32, 21), "float32"))
    with pytest.raises(ValueError, match=r"at least ndim=2, received ndim=1"):
        keras.layers.Dense(2)(np.ones((3,), "float32"))
    with pytest.raises(ValueError, match="last dimension 20"):
        layer(keras.Input((21,)))


def test_unknown_identifiers_raise():
    with pytest.raises(
        ValueError, match="Could not interpret activation function identifier"
    ):
        keras.layers.Dense(2, activation="not_an_activation")
    with pytest.raises(ValueError, match="not_an_init"):
        keras.layers.Dense(2, kernel_initializer="not_an_init")
    with pytest.raises(ValueError, match="positive integer"):
        keras.layers.Dense(0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        keras.layers.Dense(2, bogus=1)


def test_dtype_policy_casts_float_inputs():
    layer = keras.layers.Dense(2, dtype="float64")
    out = layer(np.ones((1, 3), "float32"))
    assert out.dtype == torch.float64 and layer.kernel.dtype == torch.float64
    assert layer.dtype_policy.name == "float64" and layer.compute_dtype == "float64"
    mixed = keras.layers.Dense(2, dtype="mixed_bfloat16")
    out = mixed(np.ones((1, 3), "float32"))
    assert mixed.kernel.dtype == torch.float32 and mixed.compute_dtype == "bfloat16"


def test_masks_propagate_through_attributes():
    class MakeMask(keras.Layer):
        def call(self, x):
            return x

        def compute_mask(self, x, previous_mask=None):
            return x[..., 0] != 0

    class UseMask(keras.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True
            self.received = None

        def call(self, x, mask=None):
            self.received = mask
            return x

    x = np.array([[[1.0], [0.0], [2.0]]], "float32")
    use = UseMask()
    use(keras.layers.Dense(1, kernel_initializer="ones")(MakeMask()(x)))
    assert use.received.tolist() == [[True, False, True]]


def test_tracks_layers_in_lists_and_dicts():
    class Block(keras.Layer):
        def __init__(self):
            super().__init__()
            self.stack = [keras.layers.Dense(3), keras.layers.Dense(2)]
            self.heads = {"a": keras.layers.Dense(1)}

        def call(self, x):
            for layer in self.stack:
                x = layer(x)
            return self.heads["a"](x)

    block = Block()
    block(np.ones((2, 4), "float32"))
    assert len(block.trainable_weights) == 6
    assert "stack_0.kernel" in block.state_dict()


def test_default_get_config_of_subclass_records_init_args():
    layer = Scale(3.0, name="s")
    config = layer.get_config()
    assert config["factor"] == 3.0 and config["name"] == "s"
    clone = Scale.from_config(config)
    assert clone.factor == 3.0


def test_torch_forward_hooks_run():
    layer = keras.layers.Dense(2)
    calls = []
    layer.register_forward_hook(lambda mod, args, out: calls.append(out.shape))
    layer(np.ones((5, 3), "float32"))
    assert calls == [torch.Size([5, 2])]


def test_error_note_names_layer_for_torch_errors():
    class Broken(keras.Layer):
        def call(self, x):
            return x @ torch.ones(7, 2)

    naming.reset()
    with pytest.raises(RuntimeError) as info:
        Broken()(np.ones((2, 3), "float32"))
    assert 'Raised in layer "broken" (Broken) called on inputs of shape (2, 3)' in str(
        info.value.__notes__
    )
