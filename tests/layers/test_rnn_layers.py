"""SimpleRNN, LSTM, GRU, RNN over any cell, StackedRNNCells: the harness,
numerics against torch.nn and real Keras, masks, states and errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.core.layer import Layer
from cornu.core.serialization import CustomObjectScope
from cornu.layers.core.embedding import Embedding
from cornu.layers.rnn.gru import GRU
from cornu.layers.rnn.gru_cell import GRUCell
from cornu.layers.rnn.lstm import LSTM
from cornu.layers.rnn.lstm_cell import LSTMCell
from cornu.layers.rnn.rnn import RNN
from cornu.layers.rnn.simple_rnn import SimpleRNN
from cornu.layers.rnn.simple_rnn_cell import SimpleRNNCell
from cornu.layers.rnn.stacked_rnn_cells import StackedRNNCells

TOL = {"atol": 1e-5, "rtol": 1e-5}


@pytest.fixture(autouse=True)
def _cells_resolve_by_name() -> Iterator[None]:
    # RNN configs hold their cell by class name; until the family is exported
    # from `cornu.layers`, name the classes here.
    names = [SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, _MinimalCell]
    with CustomObjectScope({c.__name__: c for c in names}):
        yield


class _MinimalCell(Layer):
    """A user cell, as in Keras's guide: `state_size` plus `call`."""

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape: Any) -> None:
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), name="recurrent_kernel"
        )

    def call(self, inputs: torch.Tensor, states: list[torch.Tensor]) -> Any:
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


def _x(shape: tuple[int, ...] = (3, 5, 4), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# -- the generic harness -----------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs", "n_weights"),
    [
        (SimpleRNN, {"units": 3}, 3),
        (LSTM, {"units": 3, "return_sequences": True}, 3),
        (GRU, {"units": 3, "go_backwards": True}, 3),
        (GRU, {"units": 3, "reset_after": False, "use_bias": False}, 2),
        (LSTM, {"units": 2, "dropout": 0.2, "recurrent_dropout": 0.2}, 3),
    ],
)
def test_harness(layer_test: Any, cls: type, kwargs: dict, n_weights: int) -> None:
    steps = "return_sequences" in kwargs
    layer_test(
        cls,
        kwargs,
        input_shape=(2, 4, 5),
        expected_output_shape=(2, 4, kwargs["units"])
        if steps
        else (2, kwargs["units"]),
        expected_num_trainable_weights=n_weights,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


def test_harness_return_state() -> None:
    from cornu.testing.layer_test import run_layer_test

    h, *states = run_layer_test(
        LSTM,
        {"units": 3, "return_state": True},
        input_shape=(2, 4, 5),
        expected_num_trainable_weights=3,
    )
    assert tuple(h.shape) == (2, 3) and [tuple(s.shape) for s in states] == [(2, 3)] * 2
    torch.testing.assert_close(h, states[0])


@pytest.mark.parametrize(
    "cell",
    [
        lambda: SimpleRNNCell(3),
        lambda: LSTMCell(3),
        lambda: GRUCell(3, reset_after=False),
        lambda: [SimpleRNNCell(4), LSTMCell(3)],
        lambda: _MinimalCell(3),
    ],
)
def test_harness_rnn_over_cells(layer_test: Any, cell: Any) -> None:
    layer_test(
        RNN,
        {"cell": cell(), "return_sequences": True},
        input_shape=(2, 4, 5),
        expected_output_shape=(2, 4, 3),
        supports_masking=True,
    )


# -- numerics ----------------------------------------------------------------
def _keras_pair(keras_oracle: Any, cls: type, kcls_name: str, **kwargs: Any) -> Any:
    ours = cls(**kwargs)
    theirs = getattr(keras_oracle.layers, kcls_name)(**kwargs)
    x = _x()
    ours(x)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (SimpleRNN, {"units": 4, "return_sequences": True, "return_state": True}),
        (LSTM, {"units": 4, "return_sequences": True, "return_state": True}),
        (LSTM, {"units": 4, "activation": "relu", "go_backwards": True}),
        (GRU, {"units": 4, "return_state": True, "go_backwards": True}),
        (GRU, {"units": 4, "reset_after": False, "return_sequences": True}),
        (GRU, {"units": 4, "recurrent_activation": "hard_sigmoid"}),
    ],
)
def test_matches_keras(keras_oracle: Any, cls: type, kwargs: dict) -> None:
    ours, theirs = _keras_pair(keras_oracle, cls, cls.__name__, **kwargs)
    # Bias too, so the comparison sees it (Keras starts it at zero).
    weights = [w + 0.1 for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = _x(seed=1)
    got, want = ours(x), theirs(x)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), **TOL)


def test_weight_names_and_layouts() -> None:
    layers = {"lstm": LSTM(4), "gru": GRU(4), "gru1": GRU(4, reset_after=False)}
    for layer in layers.values():
        layer(_x())
    shapes = {k: [tuple(w.shape) for w in v.weights] for k, v in layers.items()}
    assert shapes == {
        "lstm": [(4, 16), (4, 16), (16,)],
        "gru": [(4, 12), (4, 12), (2, 12)],
        "gru1": [(4, 12), (4, 12), (12,)],
    }
    assert [w.name for w in layers["lstm"].weights] == [
        "kernel",
        "recurrent_kernel",
        "bias",
    ]
    # unit_forget_bias: the forget gate's slice starts at one.
    bias = layers["lstm"].cell.bias.detach()
    assert bias[4:8].eq(1).all() and bias[:4].eq(0).all() and bias[8:].eq(0).all()


@pytest.mark.parametrize("backwards", [False, True])
def test_simple_rnn_matches_torch(backwards: bool) -> None:
    # Layout map: kernel = weight_ih_l0.T, recurrent_kernel = weight_hh_l0.T,
    # bias = bias_ih_l0 (+ bias_hh_l0, zero here).
    layer = SimpleRNN(4, return_sequences=True, go_backwards=backwards)
    x = torch.tensor(_x(), requires_grad=True)
    y = layer(x)
    ref = torch.nn.RNN(4, 4, batch_first=True)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(layer.cell.kernel.T)
        ref.weight_hh_l0.copy_(layer.cell.recurrent_kernel.T)
        ref.bias_ih_l0.copy_(layer.cell.bias)
        ref.bias_hh_l0.zero_()
    x_ref = x.detach().clone().requires_grad_(True)
    y_ref, _ = ref(x_ref.flip(1) if backwards else x_ref)
    torch.testing.assert_close(y, y_ref, **TOL)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad, **TOL)
    torch.testing.assert_close(layer.cell.kernel.grad, ref.weight_ih_l0.grad.T, **TOL)


# -- masks -------------------------------------------------------------------
def _padded_ids() -> torch.Tensor:
    return torch.tensor([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0], [5, 0, 0, 0, 0]])


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("backwards", [False, True])
def test_mask_zero_matches_keras(keras_oracle: Any, cls: type, backwards: bool) -> None:
    ids = _padded_ids()
    emb = Embedding(10, 4, mask_zero=True)
    ours = cls(3, return_sequences=True, return_state=True, go_backwards=backwards)
    kemb = keras_oracle.layers.Embedding(10, 4, mask_zero=True)
    theirs = getattr(keras_oracle.layers, cls.__name__)(
        3, return_sequences=True, return_state=True, go_backwards=backwards
    )
    got = ours(emb(ids))
    kemb(ids)
    kemb.set_weights(emb.get_weights())
    theirs(kemb(ids))
    theirs.set_weights(ours.get_weights())
    want = theirs(kemb(ids))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), **TOL)
    assert torch.equal(got[0]._keras_mask, ids != 0)


def test_masked_steps_carry_state_and_output() -> None:
    layer = SimpleRNN(3, return_sequences=True, return_state=True)
    x = _x((2, 5, 4))
    mask = torch.tensor([[True, True, False, True, False], [True] * 5])
    seq, state = layer(x, mask=mask)
    torch.testing.assert_close(seq[0, 2], seq[0, 1])  # a masked step repeats
    torch.testing.assert_close(seq[0, 4], seq[0, 3])
    # Masked steps leave the state alone: same as dropping them.
    _, alone = layer(x[:1, [0, 1, 3]])
    torch.testing.assert_close(state[:1], alone, **TOL)
    zero = SimpleRNN(3, return_sequences=True, zero_output_for_mask=True)
    zero(x)
    zero.set_weights(layer.get_weights())
    assert zero(x, mask=mask)[0, 2].abs().sum() == 0


def test_masking_layer_in_sequential_model() -> None:
    model = keras.Sequential([keras.Input((5, 4)), keras.layers.Masking(0.0), LSTM(3)])
    x = _x((2, 5, 4))
    x[1, 3:] = 0.0
    out = model(x)
    torch.testing.assert_close(
        out[1], model.layers[-1](torch.tensor(x[1:2, :3]))[0], **TOL
    )


# -- states ------------------------------------------------------------------
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_initial_state_and_return_state(cls: type) -> None:
    layer = cls(3, return_state=True)
    x = _x()
    n_states = 2 if cls is LSTM else 1
    out, *states = layer(x)
    assert len(states) == n_states
    # Feeding the first half's states into the second half continues the run.
    first = cls(3, return_state=True)
    first(x)
    first.set_weights(layer.get_weights())
    _, *mid = first(x[:, :2])
    out2, *final = first(x[:, 2:], initial_state=mid)
    torch.testing.assert_close(out2, out, **TOL)
    for a, b in zip(final, states):
        torch.testing.assert_close(a, b, **TOL)


def test_stateful_carries_and_resets() -> None:
    x = _x((2, 6, 4))
    layer = LSTM(3, stateful=True)
    whole = LSTM(3)
    whole(x)
    layer(x[:, :3])
    layer.set_weights(whole.get_weights())
    layer.reset_states()
    layer(x[:, :3])
    torch.testing.assert_close(layer(x[:, 3:]), whole(x), **TOL)
    assert [tuple(s.shape) for s in layer.states] == [(2, 3), (2, 3)]
    layer.reset_states()
    assert all(bool((s == 0).all()) for s in layer.states)
    torch.testing.assert_close(layer(x[:, :3]), whole(x[:, :3]), **TOL)
    with pytest.raises(
        ValueError,
        match=r"stateful with batch size 2, received inputs of shape \(3, 6, 4\)",
    ):
        layer(_x((3, 6, 4)))
    assert layer.weights and len(layer.weights) == 3  # states are not weights


def test_stateful_needs_a_fixed_batch_size() -> None:
    with pytest.raises(ValueError, match="stateful, so its batch size must be fixed"):
        GRU(3, stateful=True)(keras.Input((4, 5)))


def test_stacked_cells_states_follow_keras(keras_oracle: Any) -> None:
    ours = RNN([SimpleRNNCell(3), LSTMCell(4)], return_state=True)
    theirs = keras_oracle.layers.RNN(
        [keras_oracle.layers.SimpleRNNCell(3), keras_oracle.layers.LSTMCell(4)],
        return_state=True,
    )
    x = _x()
    ours(x)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    got, want = ours(x), theirs(x)
    assert len(got) == len(want) == 3

    def flat(s):
        return [t for part in s for t in (part if isinstance(part, list) else [part])]  # noqa: E731

    for g, w in zip(flat(got), flat(want)):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), **TOL)


# -- dropout -----------------------------------------------------------------
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_dropout_only_in_training(cls: type) -> None:
    layer = cls(3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    x = _x()
    plain = cls(3)
    plain(x)
    layer(x)
    layer.set_weights(plain.get_weights())
    torch.testing.assert_close(layer(x, training=False), plain(x), **TOL)
    assert not torch.allclose(layer(x, training=True), plain(x))
    # Masks are per sequence, then cleared.
    assert (
        layer.cell._dropout_mask is None and layer.cell._recurrent_dropout_mask is None
    )


# -- errors ------------------------------------------------------------------
def test_errors() -> None:
    with pytest.raises(
        ValueError, match="LSTMCell `units` must be a positive integer, received: 0"
    ):
        LSTM(0)
    with pytest.raises(ValueError, match="`use_cudnn` must be 'auto', True or False"):
        GRU(3, use_cudnn="yes")
    with pytest.raises(ValueError, match="`cell` must have a `call` method"):
        RNN(object())
    with pytest.raises(ValueError, match="must have a `state_size` attribute"):
        RNN(Layer())
    with pytest.raises(
        ValueError, match=r"expects inputs with ndim=3, received ndim=2"
    ):
        LSTM(3)(np.ones((2, 4), "float32"))
    with pytest.raises(
        ValueError, match="cannot unroll: the time dimension is undefined"
    ):
        SimpleRNN(3, unroll=True)(keras.Input((None, 4)))
    with pytest.raises(ValueError, match="needs the step loop"):
        LSTM(3, activation="relu", use_cudnn=True)(_x())
