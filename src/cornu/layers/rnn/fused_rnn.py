"""LSTM and GRU on torch's fused kernels, from weights in Keras's layout.

The weights stay in Keras's layout (that is what `.keras` files hold); each
call builds torch's flat weight list from them with a few small views and
copies (a transpose, a gate permutation), cheap next to the recurrence.
Gradients flow through those views back to the Keras-layout weights.

Layout map (Keras -> `torch.nn.LSTM` / `torch.nn.GRU`, one layer):

| torch                | LSTM (gates i, f, c, o in both) | GRU, `reset_after=True`          |
|----------------------|---------------------------------|----------------------------------|
| `weight_ih_l0`       | `kernel.T`                      | `kernel[:, P].T`                 |
| `weight_hh_l0`       | `recurrent_kernel.T`            | `recurrent_kernel[:, P].T`       |
| `bias_ih_l0`         | `bias`                          | `bias[0, P]`                     |
| `bias_hh_l0`         | zeros                           | `bias[1, P]`                     |

where `P` reorders Keras's GRU gates (z, r, h) into torch's (r, z, n).
Keras's GRU with `reset_after=False` has no torch counterpart.

Masks: a right-padded mask becomes per-sample lengths and a packed
sequence; the outputs are then placed where Keras's step loop puts them
(a masked step repeats the previous output, or is zero with
`zero_output_for_mask`; with `go_backwards` the padding is read first).
Other masks return `None`, and the caller falls back to the step loop.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn.utils import rnn as rnn_utils

from cornu import activations


def default_activations(cell: Any) -> bool:
    """Whether the cell uses the activations torch's kernels hard-code."""
    return (
        cell.activation is activations.tanh
        and cell.recurrent_activation is activations.sigmoid
    )


def _gru_permutation(units: int, device: torch.device) -> torch.Tensor:
    z, r, h = torch.arange(3 * units, device=device).split(units)
    return torch.cat([r, z, h])


def torch_weights(cell: Any, kind: str) -> list[torch.Tensor]:
    """`[weight_ih, weight_hh, bias_ih, bias_hh]` (biases only with `use_bias`)."""
    kernel, recurrent, bias = cell.kernel, cell.recurrent_kernel, cell.bias
    if kind == "lstm":
        weights = [kernel.T, recurrent.T]
        if bias is not None:
            weights += [bias, torch.zeros_like(bias)]
        return weights
    perm = _gru_permutation(cell.units, kernel.device)
    weights = [kernel[:, perm].T, recurrent[:, perm].T]
    if bias is not None:
        weights += [bias[0, perm], bias[1, perm]]
    return weights


def right_padded_lengths(mask: torch.Tensor) -> torch.Tensor | None:
    """Per-sample lengths if `mask` (B, T) is `True`s then `False`s with no
    empty sample, else None. (One device-to-host sync: packing needs it.)"""
    lengths = mask.sum(dim=1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    padded = steps.unsqueeze(0) < lengths.unsqueeze(1)
    if not bool(torch.equal(padded, mask)) or bool((lengths == 0).any()):
        return None
    return lengths


def _run(
    kind: str,
    x: torch.Tensor,
    hx: Any,
    weights: list[torch.Tensor],
    lengths: torch.Tensor | None,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Torch's kernel, batch first; returns padded outputs and final states."""
    has_bias = len(weights) == 4
    train = torch.is_grad_enabled()
    if lengths is None:
        if kind == "lstm":
            out, h, c = torch._VF.lstm(
                x, hx, weights, has_bias, 1, 0.0, train, False, True
            )
            return out, [h[0], c[0]]
        out, h = torch._VF.gru(x, hx[0], weights, has_bias, 1, 0.0, train, False, True)
        return out, [h[0]]
    packed = rnn_utils.pack_padded_sequence(
        x, lengths.cpu(), batch_first=True, enforce_sorted=False
    )
    hx = [s.index_select(1, packed.sorted_indices) for s in hx]
    if kind == "lstm":
        data, h, c = torch._VF.lstm(
            packed.data, packed.batch_sizes, hx, weights, has_bias, 1, 0.0, train, False
        )
        finals = [h, c]
    else:
        data, h = torch._VF.gru(
            packed.data,
            packed.batch_sizes,
            hx[0],
            weights,
            has_bias,
            1,
            0.0,
            train,
            False,
        )
        finals = [h]
    out_packed = rnn_utils.PackedSequence(
        data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
    )
    out, _ = rnn_utils.pad_packed_sequence(
        out_packed, batch_first=True, total_length=x.shape[1]
    )
    unsort = packed.unsorted_indices
    assert unsort is not None
    return out, [s.index_select(1, unsort)[0] for s in finals]


def fused_rnn(
    kind: str,
    cell: Any,
    sequences: torch.Tensor,
    initial_state: list[torch.Tensor],
    mask: torch.Tensor | None = None,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]] | None:
    """Runs an `LSTMCell` (`kind="lstm"`) or `GRUCell` (`"gru"`) over a sequence.

    Args:
        kind: `"lstm"` or `"gru"`.
        cell: the built cell whose weights are used.
        sequences: `(batch, time, features)`.
        initial_state: `[h, c]` (LSTM) or `[h]` (GRU), each `(batch, units)`.
        mask: `(batch, time)` booleans or None.
        go_backwards: read each sequence from its (last real) step backwards.
        zero_output_for_mask: output zeros rather than repeat the previous
            output at masked steps.

    Returns:
        `(last_output, outputs, states)` as `run_steps` returns them, or
        None when the mask is not right-padded (or masks a whole sample).
    """
    hx = [s.unsqueeze(0) for s in initial_state]  # (1, B, units) each
    weights = torch_weights(cell, kind)
    if mask is None:
        x = sequences.flip(1) if go_backwards else sequences
        outputs, states = _run(kind, x, hx, weights, None)
        return outputs[:, -1], outputs, states

    lengths = right_padded_lengths(mask)
    if lengths is None:
        return None
    steps = sequences.shape[1]
    t = torch.arange(steps, device=sequences.device).unsqueeze(0)  # (1, T)
    length = lengths.unsqueeze(1)  # (B, 1)
    if go_backwards:
        # Reverse each sample's real steps; its padding would be read first,
        # leaving the states alone and the outputs at zero.
        reverse = torch.where(t < length, length - 1 - t, t)
        x = _gather_time(sequences, reverse)
        outputs, states = _run(kind, x, hx, weights, lengths)
        shift = t - (steps - length)  # reading position -> packed position
        outputs = _gather_time(outputs, shift.clamp(min=0))
        outputs = torch.where((shift >= 0).unsqueeze(-1), outputs, 0.0)
        return outputs[:, -1], outputs, states
    outputs, states = _run(kind, sequences, hx, weights, lengths)
    if zero_output_for_mask:
        return outputs[:, -1], outputs, states
    # A masked step repeats the last real output.
    outputs = _gather_time(outputs, torch.minimum(t, length - 1))
    return states[0], outputs, states


def _gather_time(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """`x[b, index[b, t]]` for x (B, T, F) and index (B, T)."""
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
