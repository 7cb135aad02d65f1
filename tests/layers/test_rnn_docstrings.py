"""The examples in the recurrent layers' docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import torch

from cornu.layers.core.dense import Dense
from cornu.layers.rnn.gru_cell import GRUCell
from cornu.layers.rnn.lstm import LSTM
from cornu.layers.rnn.lstm_cell import LSTMCell
from cornu.layers.rnn.rnn import RNN
from cornu.layers.rnn.simple_rnn_cell import SimpleRNNCell
from cornu.layers.rnn.stacked_rnn_cells import StackedRNNCells

MODULES = [
    "cornu.layers.rnn.rnn",
    "cornu.layers.rnn.simple_rnn_cell",
    "cornu.layers.rnn.lstm_cell",
    "cornu.layers.rnn.gru_cell",
    "cornu.layers.rnn.simple_rnn",
    "cornu.layers.rnn.lstm",
    "cornu.layers.rnn.gru",
    "cornu.layers.rnn.stacked_rnn_cells",
    "cornu.layers.rnn.bidirectional",
    "cornu.layers.rnn.time_distributed",
    "cornu.layers.rnn.conv_lstm1d",
    "cornu.layers.rnn.conv_lstm2d",
    "cornu.layers.rnn.conv_lstm3d",
]
# The other public names the examples use (as `keras.layers.X` would give).
NAMES = {
    c.__name__: c
    for c in (Dense, GRUCell, LSTM, LSTMCell, RNN, SimpleRNNCell, StackedRNNCells)
}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(
        module,
        extraglobs={"np": np, "torch": torch, **NAMES},
        optionflags=doctest.ELLIPSIS,
    )
    assert result.attempted > 0
    assert result.failed == 0
