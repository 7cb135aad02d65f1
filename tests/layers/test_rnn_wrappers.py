"""Bidirectional and TimeDistributed: the harness, merge modes and states
against real Keras, masks, stateful wrapping and errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.core.serialization import CustomObjectScope
from cornu.layers.core.dense import Dense
from cornu.layers.core.embedding import Embedding
from cornu.layers.rnn.bidirectional import Bidirectional
from cornu.layers.rnn.gru import GRU
from cornu.layers.rnn.lstm import LSTM
from cornu.layers.rnn.simple_rnn import SimpleRNN
from cornu.layers.rnn.time_distributed import TimeDistributed

TOL = {"atol": 1e-5, "rtol": 1e-5}


@pytest.fixture(autouse=True)
def _layers_resolve_by_name() -> Iterator[None]:
    # Wrapper configs hold their layers by class name; until the family is
    # exported from `cornu.layers`, name the classes here.
    with CustomObjectScope({c.__name__: c for c in (LSTM, GRU, SimpleRNN)}):
        yield


def _x(shape: tuple[int, ...] = (3, 5, 4), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def test_harness_bidirectional(layer_test: Any) -> None:
    layer_test(
        Bidirectional,
        {"layer": LSTM(3, return_sequences=True)},
        input_shape=(2, 4, 5),
        expected_output_shape=(2, 4, 6),
        expected_num_trainable_weights=6,
        supports_masking=True,
    )
    layer_test(
        Bidirectional,
        {"layer": GRU(3), "merge_mode": "sum"},
        input_shape=(2, 4, 5),
        expected_output_shape=(2, 3),
    )


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("sequences", [False, True])
def test_merge_modes_match_keras(
    keras_oracle: Any, merge_mode: str | None, sequences: bool
) -> None:
    ours = Bidirectional(
        LSTM(3, return_sequences=sequences, return_state=True), merge_mode=merge_mode
    )
    theirs = keras_oracle.layers.Bidirectional(
        keras_oracle.layers.LSTM(3, return_sequences=sequences, return_state=True),
        merge_mode=merge_mode,
    )
    x = _x()
    ours(x)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    got, want = ours(x), theirs(x)
    assert len(got) == len(want) == (6 if merge_mode is None else 5)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), **TOL)


def test_masked_sequences_match_keras(keras_oracle: Any) -> None:
    ids = torch.tensor([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0], [5, 0, 0, 0, 0]])
    emb = Embedding(10, 4, mask_zero=True)
    ours = Bidirectional(GRU(3, return_sequences=True))
    kemb = keras_oracle.layers.Embedding(10, 4, mask_zero=True)
    theirs = keras_oracle.layers.Bidirectional(
        keras_oracle.layers.GRU(3, return_sequences=True)
    )
    got = ours(emb(ids))
    kemb(ids)
    kemb.set_weights(emb.get_weights())
    theirs(kemb(ids))
    theirs.set_weights(ours.get_weights())
    want = theirs(kemb(ids))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), **TOL)
    assert got[2, 1:].abs().sum() == 0  # padded steps output zeros
    assert torch.equal(got._keras_mask, ids != 0)


def test_backward_layer_and_names() -> None:
    layer = Bidirectional(
        LSTM(3, name="enc"), backward_layer=GRU(3, go_backwards=True, name="dec")
    )
    out = layer(_x())
    assert tuple(out.shape) == (3, 6)
    assert (
        layer.forward_layer.name == "forward_enc" and layer.backward_layer.name == "dec"
    )
    assert [tuple(w.shape) for w in layer.weights][3:] == [(4, 9), (3, 9), (2, 9)]
    clone = Bidirectional.from_config(layer.get_config())
    assert (
        isinstance(clone.backward_layer, GRU)
        and clone.forward_layer.name == "forward_enc"
    )


def test_initial_state_and_stateful() -> None:
    x = _x((2, 5, 4))
    layer = Bidirectional(SimpleRNN(3, return_state=True))
    out, fwd, bwd = layer(x)
    init = [torch.randn(2, 3), torch.randn(2, 3)]
    out2, fwd2, bwd2 = layer(x, initial_state=init)
    direct = layer.forward_layer(x, initial_state=[init[0]])
    torch.testing.assert_close(fwd2, direct[1])
    assert not torch.allclose(out, out2)

    stateful = Bidirectional(LSTM(3, stateful=True))
    stateful(x)
    assert len(stateful.states) == 4
    stateful.reset_states()
    assert all(bool((s == 0).all()) for s in stateful.states)
    with pytest.raises(AttributeError, match="is not stateful"):
        layer.reset_states()


def test_bidirectional_errors() -> None:
    with pytest.raises(ValueError, match="`merge_mode` must be one of"):
        Bidirectional(LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="`layer` must be a keras Layer instance"):
        Bidirectional(torch.nn.LSTM(3, 3))
    with pytest.raises(ValueError, match="must have different `go_backwards`"):
        Bidirectional(LSTM(3), backward_layer=LSTM(3))
    with pytest.raises(ValueError, match="same `return_sequences`"):
        Bidirectional(
            LSTM(3), backward_layer=LSTM(3, go_backwards=True, return_sequences=True)
        )


def test_in_a_functional_model() -> None:
    inputs = keras.Input((None,), dtype="int64")
    x = Embedding(10, 4, mask_zero=True)(inputs)
    x = Bidirectional(LSTM(3, return_sequences=True))(x)
    x = Bidirectional(GRU(2), merge_mode="ave")(x)
    model = keras.Model(inputs, x)
    ids = torch.tensor([[3, 1, 4, 0], [2, 0, 0, 0]])
    assert tuple(model(ids).shape) == (2, 2)
    # The mask reaches the recurrent layers: padding changes nothing.
    longer = torch.cat([ids, torch.zeros(2, 3, dtype=ids.dtype)], 1)
    torch.testing.assert_close(model(longer), model(ids), **TOL)


# -- TimeDistributed ---------------------------------------------------------
def test_harness_time_distributed(layer_test: Any) -> None:
    layer_test(
        TimeDistributed,
        {"layer": Dense(3)},
        input_shape=(2, 4, 5),
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=2,
        supports_masking=True,
    )


def test_time_distributed_matches_keras_and_steps(keras_oracle: Any) -> None:
    ours = TimeDistributed(Dense(3, activation="tanh"))
    theirs = keras_oracle.layers.TimeDistributed(
        keras_oracle.layers.Dense(3, activation="tanh")
    )
    x = _x((2, 4, 6, 5))
    ours(x)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    got = ours(x)
    np.testing.assert_allclose(got.detach().numpy(), theirs(x).detach().numpy(), **TOL)
    step = ours.layer(torch.tensor(x[:, 2]))
    torch.testing.assert_close(got[:, 2], step)


def test_time_distributed_passes_the_mask() -> None:
    ids = torch.tensor([[1, 2, 0], [3, 0, 0]])
    x = Embedding(5, 4, mask_zero=True)(ids)
    out = TimeDistributed(Dense(2))(x)
    assert torch.equal(out._keras_mask, ids != 0)


def test_time_distributed_errors() -> None:
    with pytest.raises(ValueError, match="`layer` must be a keras Layer instance"):
        TimeDistributed(torch.nn.Linear(2, 2))
    with pytest.raises(
        ValueError, match=r"at least 3 dimensions .* received shape \(2, 4\)"
    ):
        TimeDistributed(Dense(2))(np.ones((2, 4), "float32"))
