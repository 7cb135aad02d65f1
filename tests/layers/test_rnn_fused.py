"""The fused LSTM/GRU path: equal to the step loop and to torch.nn.LSTM/GRU,
forward and gradients, with and without right-padded masks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as rnn_utils

from cornu.layers.rnn import fused_rnn
from cornu.layers.rnn.gru import GRU
from cornu.layers.rnn.lstm import LSTM

TOL = {"atol": 1e-5, "rtol": 1e-5}
LENGTHS = [5, 3, 1, 4]


@pytest.fixture
def fused_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts runs of torch's fused kernel."""
    calls: list[int] = []
    run = fused_rnn._run

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return run(*args, **kwargs)

    monkeypatch.setattr(fused_rnn, "_run", counted)
    return calls


def _pair(cls: type, **kwargs: Any) -> tuple[Any, Any]:
    fast, loop = cls(4, **kwargs), cls(4, use_cudnn=False, **kwargs)
    x = torch.zeros(1, 2, 3)
    fast(x)
    loop(x)
    rng = np.random.default_rng(0)
    weights = [
        rng.standard_normal(w.shape).astype("float32") * 0.5 for w in fast.get_weights()
    ]
    fast.set_weights(weights)
    loop.set_weights(weights)
    return fast, loop


def _right_padded() -> torch.Tensor:
    return torch.arange(5).unsqueeze(0) < torch.tensor(LENGTHS).unsqueeze(1)


def _check_equal(fast: Any, loop: Any, mask: Any, training: bool = False) -> None:
    x = torch.randn(4, 5, 3)
    x_fast, x_loop = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    h0 = [torch.randn(4, 4) for _ in range(2 if isinstance(fast, LSTM) else 1)]
    got = fast(x_fast, initial_state=h0, mask=mask, training=training)
    want = loop(x_loop, initial_state=h0, mask=mask, training=training)
    loss_f = sum(
        (g * torch.linspace(-1, 1, g.numel()).view(g.shape)).sum() for g in got
    )
    loss_l = sum(
        (w * torch.linspace(-1, 1, w.numel()).view(w.shape)).sum() for w in want
    )
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, **TOL)
    loss_f.backward()
    loss_l.backward()
    torch.testing.assert_close(x_fast.grad, x_loop.grad, **TOL)
    for a, b in zip(fast.weights, loop.weights):
        torch.testing.assert_close(a.grad, b.grad, **TOL)


@pytest.mark.parametrize("cls", [LSTM, GRU])
@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("sequences", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_fused_equals_step_loop(
    fused_calls: list[int], cls: type, backwards: bool, sequences: bool, masked: bool
) -> None:
    fast, loop = _pair(
        cls, return_sequences=sequences, return_state=True, go_backwards=backwards
    )
    fused_calls.clear()
    _check_equal(fast, loop, _right_padded() if masked else None)
    assert len(fused_calls) == 1


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_zero_output_for_mask_and_no_bias(fused_calls: list[int], cls: type) -> None:
    fast, loop = _pair(
        cls,
        return_sequences=True,
        return_state=True,
        zero_output_for_mask=True,
        use_bias=False,
    )
    fused_calls.clear()
    _check_equal(fast, loop, _right_padded())
    assert len(fused_calls) == 1


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_input_dropout_same_masks_as_the_loop(
    fused_calls: list[int], cls: type
) -> None:
    fast, loop = _pair(
        cls, return_sequences=True, return_state=True, dropout=0.4, seed=3
    )
    fused_calls.clear()
    _check_equal(fast, loop, None, training=True)
    assert len(fused_calls) == 1


def test_falls_back_to_the_loop(fused_calls: list[int]) -> None:
    # A mask with a hole, a fully masked sample, recurrent dropout in
    # training, custom activations, GRU reset_after=False, unroll.
    holes = torch.tensor([[True, False, True, True, True]] * 4)
    empty = _right_padded().clone()
    empty[2] = False
    fast, loop = _pair(LSTM, return_sequences=True, return_state=True)
    fused_calls.clear()
    _check_equal(fast, loop, holes)
    _check_equal(fast, loop, empty)
    assert len(fused_calls) == 0
    for cls, kwargs in [
        (LSTM, {"recurrent_dropout": 0.3}),
        (LSTM, {"activation": "relu"}),
        (GRU, {"reset_after": False}),
        (GRU, {"unroll": True}),
    ]:
        layer = cls(4, **kwargs)
        layer(torch.randn(2, 3, 3), training=True)
    assert len(fused_calls) == 0
    LSTM(4, recurrent_dropout=0.3)(torch.randn(2, 3, 3), training=False)
    assert len(fused_calls) == 1  # inference ignores recurrent dropout


@pytest.mark.parametrize("masked", [False, True])
def test_lstm_matches_torch_nn(masked: bool) -> None:
    # Layout map: weight_ih_l0 = kernel.T, weight_hh_l0 = recurrent_kernel.T,
    # bias_ih_l0 = bias, bias_hh_l0 = 0; gates i, f, c(g), o in both.
    layer, _ = _pair(LSTM, return_sequences=True)
    ref = torch.nn.LSTM(3, 4, batch_first=True)
    cell = layer.cell
    with torch.no_grad():
        ref.weight_ih_l0.copy_(cell.kernel.T)
        ref.weight_hh_l0.copy_(cell.recurrent_kernel.T)
        ref.bias_ih_l0.copy_(cell.bias)
        ref.bias_hh_l0.zero_()
    _compare_with_torch(layer, ref, masked)
    torch.testing.assert_close(cell.kernel.grad, ref.weight_ih_l0.grad.T, **TOL)
    torch.testing.assert_close(
        cell.recurrent_kernel.grad, ref.weight_hh_l0.grad.T, **TOL
    )
    torch.testing.assert_close(cell.bias.grad, ref.bias_ih_l0.grad, **TOL)


@pytest.mark.parametrize("masked", [False, True])
def test_gru_matches_torch_nn(masked: bool) -> None:
    # Layout map: Keras gates (z, r, h) -> torch (r, z, n) by the column
    # permutation P; weight_ih_l0 = kernel[:, P].T, weight_hh_l0 =
    # recurrent_kernel[:, P].T, bias_ih_l0 = bias[0, P], bias_hh_l0 = bias[1, P].
    layer, _ = _pair(GRU, return_sequences=True)
    ref = torch.nn.GRU(3, 4, batch_first=True)
    cell = layer.cell
    perm = torch.cat([torch.arange(4, 8), torch.arange(0, 4), torch.arange(8, 12)])
    with torch.no_grad():
        ref.weight_ih_l0.copy_(cell.kernel[:, perm].T)
        ref.weight_hh_l0.copy_(cell.recurrent_kernel[:, perm].T)
        ref.bias_ih_l0.copy_(cell.bias[0, perm])
        ref.bias_hh_l0.copy_(cell.bias[1, perm])
    _compare_with_torch(layer, ref, masked)
    torch.testing.assert_close(
        cell.kernel.grad[:, perm], ref.weight_ih_l0.grad.T, **TOL
    )
    torch.testing.assert_close(cell.bias.grad[1, perm], ref.bias_hh_l0.grad, **TOL)


def _compare_with_torch(layer: Any, ref: torch.nn.Module, masked: bool) -> None:
    x = torch.randn(4, 5, 3)
    x_ours, x_ref = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    if masked:
        layer.zero_output_for_mask = True  # torch pads with zeros
        ours = layer(x_ours, mask=_right_padded())
        packed = rnn_utils.pack_padded_sequence(
            x_ref, torch.tensor(LENGTHS), batch_first=True, enforce_sorted=False
        )
        theirs, _ = rnn_utils.pad_packed_sequence(
            ref(packed)[0], batch_first=True, total_length=5
        )
    else:
        ours, theirs = layer(x_ours), ref(x_ref)[0]
    torch.testing.assert_close(ours, theirs, **TOL)
    g = torch.randn_like(ours)
    ours.backward(g)
    theirs.backward(g)
    torch.testing.assert_close(x_ours.grad, x_ref.grad, **TOL)
