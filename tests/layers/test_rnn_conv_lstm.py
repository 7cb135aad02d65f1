"""ConvLSTM1D/2D/3D: the harness, numerics against real Keras, states, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.rnn.conv_lstm1d import ConvLSTM1D
from cornu.layers.rnn.conv_lstm2d import ConvLSTM2D
from cornu.layers.rnn.conv_lstm3d import ConvLSTM3D

TOL = {"atol": 1e-5, "rtol": 1e-5}


def _x(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "output_shape"),
    [
        (ConvLSTM1D, {"filters": 2, "kernel_size": 3}, (2, 3, 6, 2), (2, 4, 2)),
        (
            ConvLSTM2D,
            {
                "filters": 2,
                "kernel_size": 3,
                "padding": "same",
                "return_sequences": True,
            },
            (2, 3, 5, 5, 2),
            (2, 3, 5, 5, 2),
        ),
        (
            ConvLSTM3D,
            {"filters": 2, "kernel_size": 2},
            (2, 2, 3, 3, 3, 1),
            (2, 2, 2, 2, 2),
        ),
    ],
)
def test_harness(
    layer_test: Any, cls: type, kwargs: dict, input_shape: tuple, output_shape: tuple
) -> None:
    layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=3,
        supports_masking=True,
    )


@pytest.mark.parametrize(
    ("cls", "shape", "kwargs"),
    [
        (ConvLSTM1D, (2, 4, 9, 3), {"padding": "same", "go_backwards": True}),
        (ConvLSTM2D, (2, 3, 7, 6, 3), {"padding": "same", "strides": 2}),
        (
            ConvLSTM2D,
            (2, 3, 3, 7, 6),
            {"data_format": "channels_first", "dilation_rate": 2},
        ),
        (ConvLSTM2D, (2, 3, 6, 6, 3), {"kernel_size": (2, 2), "padding": "same"}),
    ],
)
def test_matches_keras(
    keras_oracle: Any, cls: type, shape: tuple, kwargs: dict
) -> None:
    kwargs = {
        "kernel_size": 3,
        **kwargs,
        "return_sequences": True,
        "return_state": True,
    }
    ours = cls(4, **kwargs)
    theirs = getattr(keras_oracle.layers, cls.__name__)(4, **kwargs)
    x = _x(shape)
    ours(x)
    theirs(x)
    rng = np.random.default_rng(1)
    weights = [
        rng.standard_normal(w.shape).astype("float32") * 0.3 for w in ours.get_weights()
    ]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    for got, want in zip(ours(x), theirs(x)):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), **TOL)


def test_weights_layout_and_states() -> None:
    layer = ConvLSTM2D(4, (3, 2), return_state=True)
    out, h, c = layer(_x((2, 3, 6, 5, 3)))
    assert [tuple(w.shape) for w in layer.weights] == [
        (3, 2, 3, 16),
        (3, 2, 4, 16),
        (16,),
    ]
    assert tuple(out.shape) == tuple(h.shape) == tuple(c.shape) == (2, 4, 4, 4)
    torch.testing.assert_close(out, h)
    assert layer.filters == 4 and layer.kernel_size == (3, 2)


def test_dropout_only_in_training() -> None:
    layer = ConvLSTM1D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=0)
    x = _x((2, 3, 6, 2))
    layer(x)
    torch.testing.assert_close(layer(x), layer(x, training=False))
    assert not torch.allclose(layer(x, training=True), layer(x))


def test_errors() -> None:
    with pytest.raises(ValueError, match="`filters` must be a positive integer"):
        ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match="`padding` must be one of"):
        ConvLSTM2D(2, 3, padding="causal")
    with pytest.raises(
        ValueError, match="cannot combine `strides` > 1 with `dilation_rate` > 1"
    ):
        ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="expects inputs with ndim=5, received ndim=4"):
        ConvLSTM2D(2, 3)(_x((2, 3, 5, 5)))
