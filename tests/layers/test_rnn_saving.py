"""Recurrent layers' weight files interchange with real Keras: the same
architecture built in both, weights written by one and read by the other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu.layers.rnn.bidirectional import Bidirectional
from cornu.layers.rnn.conv_lstm1d import ConvLSTM1D
from cornu.layers.rnn.gru import GRU
from cornu.layers.rnn.gru_cell import GRUCell
from cornu.layers.rnn.lstm import LSTM
from cornu.layers.rnn.rnn import RNN
from cornu.layers.rnn.simple_rnn import SimpleRNN
from cornu.layers.rnn.simple_rnn_cell import SimpleRNNCell
from cornu.layers.rnn.time_distributed import TimeDistributed

# Keras's own weight saving trips a NumPy 2 deprecation on its torch backend.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation:DeprecationWarning"
)

OURS = {
    "LSTM": LSTM,
    "GRU": GRU,
    "SimpleRNN": SimpleRNN,
    "Bidirectional": Bidirectional,
    "TimeDistributed": TimeDistributed,
    "RNN": RNN,
    "SimpleRNNCell": SimpleRNNCell,
    "GRUCell": GRUCell,
    "ConvLSTM1D": ConvLSTM1D,
    "Dense": cornu.layers.Dense,
}


def _model(api: Any, layers: Any) -> Any:
    x = api.Input((4, 3))
    a = layers["Bidirectional"](layers["LSTM"](3, return_sequences=True))(x)
    a = layers["GRU"](2, reset_after=False)(a)
    b = layers["RNN"]([layers["SimpleRNNCell"](3), layers["GRUCell"](2)])(x)
    c = layers["TimeDistributed"](layers["Dense"](2))(x)
    d = layers["SimpleRNN"](2)(x)
    e = layers["ConvLSTM1D"](2, 2)(api.layers.Reshape((4, 3, 1))(x))
    return api.Model(x, [a, b, c, d, e])


def _assert_same_outputs(ours: Any, theirs: Any) -> None:
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")
    for got, want in zip(ours(x), theirs(x)):
        np.testing.assert_allclose(
            got.detach().numpy(), want.detach().numpy(), atol=1e-5, rtol=1e-5
        )


def test_weights_cornu_to_keras_and_back(keras_oracle: Any, tmp_path: Path) -> None:
    ours = _model(cornu, OURS)
    theirs = _model(keras_oracle, {n: getattr(keras_oracle.layers, n) for n in OURS})
    with torch.no_grad():
        for w in ours.weights:
            w.copy_(torch.randn_like(w) * 0.3)
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.load_weights(tmp_path / "ours.weights.h5")
    _assert_same_outputs(ours, theirs)

    theirs.set_weights([w.value.detach().numpy() * 0.5 for w in theirs.weights])
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.load_weights(tmp_path / "theirs.weights.h5")
    _assert_same_outputs(ours, theirs)
