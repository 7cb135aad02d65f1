"""`RNN`: runs any recurrent cell over the time axis of a sequence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from cornu import tree
from cornu.core import serialization
from cornu.core.layer import Layer
from cornu.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from cornu.layers.rnn.stacked_rnn_cells import StackedRNNCells

Step = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]


def _expand(mask_t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(B,) -> (B, 1, ..., 1), broadcastable against `like`."""
    return mask_t.view(mask_t.shape[0], *([1] * (like.dim() - 1)))


def run_steps(
    step: Step,
    sequences: torch.Tensor,
    initial_states: Any,
    mask: torch.Tensor | None = None,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
    return_sequences: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, Any]:
    """The reference recurrence: `step(x_t, states) -> (output, states)` per step.

    Masked steps (`mask[:, t]` False) keep the previous states and repeat the
    previous output (or output zeros with `zero_output_for_mask`), as Keras
    does. With `go_backwards` the sequence is read from its end, and the
    outputs are returned in reading order.

    Args:
        step: the cell's step function.
        sequences: `(batch, time, ...)`.
        initial_states: the states' structure at time 0.
        mask: `(batch, time)` booleans, or None.
        go_backwards: read the sequence from its last step.
        zero_output_for_mask: output zeros at masked steps.
        return_sequences: whether to stack all outputs (else only the last).

    Returns:
        `(last_output, outputs, final_states)`; `outputs` is `(batch, time,
        ...)` or `(batch, 1, ...)` without `return_sequences`.
    """
    steps = sequences.shape[1]
    if steps == 0:
        raise ValueError(
            "A recurrent layer needs at least one timestep, received a "
            f"sequence of shape {tuple(sequences.shape)}."
        )
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    states = initial_states
    outputs: list[torch.Tensor] = []
    output = None
    for t in order:
        new_output, new_states = step(sequences[:, t], states)
        if not tree.is_nested(new_states):
            new_states = [new_states]
        flat_new = tree.flatten(new_states)
        if mask is not None:
            keep = mask[:, t]
            if output is None or zero_output_for_mask:
                previous = torch.zeros_like(new_output)
            else:
                previous = output
            new_output = torch.where(_expand(keep, new_output), new_output, previous)
            flat_new = [
                torch.where(_expand(keep, n), n, s)
                for n, s in zip(flat_new, tree.flatten(states))
            ]
        states = tree.pack_sequence_as(initial_states, flat_new)
        output = new_output
        if return_sequences:
            outputs.append(output)
    assert output is not None
    stacked = torch.stack(outputs, dim=1) if return_sequences else output.unsqueeze(1)
    return output, stacked, states


class RNN(Layer):
    """Runs a recurrent cell over the time axis: the base of every recurrent layer.

    A cell is any object with `call(inputs, states, training=...)` returning
    `(output, new_states)` and a `state_size` (an int, or a list with one
    entry per state); `output_size` and `get_initial_state(batch_size)` are
    optional. A list of cells is stacked with `StackedRNNCells`.

    Masked timesteps (from `Embedding(mask_zero=True)`, `Masking`, or
    `mask=`) leave the states unchanged and repeat the previous output.

    Args:
        cell: a cell, or a list of cells.
        return_sequences: return the output of every step `(batch, time,
            units)` rather than the last one `(batch, units)`.
        return_state: also return the final states, as `(output, *states)`.
        go_backwards: read the sequence from its end (outputs come in
            reading order).
        stateful: carry the final states of a batch over as the initial
            states of the next one (the batch size must be fixed); clear
            them with `reset_states()`.
        unroll: accepted for Keras compatibility: torch runs eagerly, so
            it only forces the step loop (no fused kernel).
        zero_output_for_mask: output zeros at masked steps instead of
            repeating the previous output.

    Call arguments:
        sequences: `(batch_size, timesteps, ...)`.
        initial_state: a list of initial state tensors (default zeros, or
            the carried states of a stateful layer).
        mask: `(batch_size, timesteps)` booleans, `True` for real steps.
        training: whether dropout applies.

    Input shape:
        `(batch_size, timesteps, ...)`.

    Output shape:
        `(batch_size, timesteps, output_size)` with `return_sequences`,
        else `(batch_size, output_size)`; with `return_state`, a tuple
        `(output, *states)`.

    Example:
    >>> layer = RNN(SimpleRNNCell(4), return_sequences=True)
    >>> layer(np.ones((2, 3, 5), "float32")).shape
    torch.Size([2, 3, 4])
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        if not callable(getattr(cell, "call", None)):
            raise ValueError(
                f"{type(self).__name__} `cell` must have a `call` method, "
                f"received: cell={cell!r}."
            )
        state_size = getattr(cell, "state_size", None)
        if not isinstance(state_size, (int, list, tuple)) or isinstance(
            state_size, bool
        ):
            raise ValueError(
                f"{type(self).__name__} `cell` must have a `state_size` attribute "
                "(an integer, or a list with one entry per state), received: "
                f"state_size={state_size!r}."
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True
        self._state_structure: Any = None
        self._expected_batch_size: int | None = None

    @property
    def state_size(self) -> list[Any]:
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    # -- building and states --------------------------------------------------
    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        if self.unroll and sequences_shape[1] is None:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) cannot unroll: the '
                f"time dimension is undefined (input shape {tuple(sequences_shape)}). "
                "Give `keras.Input` a fixed `shape`."
            )
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_with((sequences_shape[0], *sequences_shape[2:]))
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}) is stateful, so '
                    "its batch size must be fixed; received input shape "
                    f"{tuple(sequences_shape)}. Pass `batch_size=` to `keras.Input`."
                )
            self._set_states(self.get_initial_state(batch))

    def get_initial_state(self, batch_size: int) -> list[Any]:
        """The zero states for a batch: the cell's, or one per `state_size` entry."""
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            states = make(batch_size=batch_size)
            return list(states) if tree.is_nested(states) else [states]
        dtype = getattr(self.cell, "_compute_torch_dtype", self._compute_torch_dtype)
        return [torch.zeros(batch_size, d, dtype=dtype) for d in self.state_size]

    def _set_states(self, states: Any) -> None:
        # Non-persistent buffers: they follow `.to(device)` but are not
        # weights (Keras does not save an RNN's carried states either).
        self._state_structure = tree.map_structure(lambda _: None, states)
        self._expected_batch_size = int(tree.flatten(states)[0].shape[0])
        for i, value in enumerate(tree.flatten(states)):
            self.register_buffer(
                f"_state_{i}", value.detach().clone(), persistent=False
            )

    @property
    def states(self) -> Any:
        """The carried states of a stateful layer (None before its first call)."""
        if self._state_structure is None:
            return None
        flat = [
            self._buffers[f"_state_{i}"]
            for i in range(len(tree.flatten(self._state_structure)))
        ]
        return tree.pack_sequence_as(self._state_structure, flat)

    def reset_states(self) -> None:
        """Sets the carried states of a stateful layer back to zeros."""
        self.reset_state()

    def reset_state(self) -> None:
        if self._state_structure is None:
            return
        for buffer in tree.flatten(self.states):
            buffer.zero_()

    # -- computing ------------------------------------------------------------
    def _cell_step(self, training: bool | None) -> Step:
        cell = self.cell
        if isinstance(cell, Layer):
            # The cell was built by `build`, and inputs were cast once for the
            # whole sequence: per-step `__call__` bookkeeping is skipped.
            call = cell.call
            if cell._call_has_training:
                return lambda x, states: call(x, states, training=training)
            return call
        return cell.__call__ if callable(cell) else cell.call

    def inner_loop(
        self,
        sequences: torch.Tensor,
        initial_state: list[Any],
        mask: torch.Tensor | None,
        training: bool | None = False,
    ) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """Runs the cell; LSTM and GRU override it with torch's fused kernels."""
        return run_steps(
            self._cell_step(training),
            sequences,
            initial_state,
            mask=mask,
            go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences,
        )

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Any = None,
        mask: torch.Tensor | None = None,
        training: bool | None = False,
    ) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None and mask.dtype is not torch.bool:
            mask = mask.bool()
        batch = sequences.shape[0]
        if initial_state is None:
            initial_state = (
                self.states if self.stateful else self.get_initial_state(batch)
            )
            if initial_state is None:  # stateful, built without a batch size
                initial_state = self.get_initial_state(batch)
        if self.stateful and self._expected_batch_size not in (None, batch):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) is stateful with batch '
                f"size {self._expected_batch_size}, received inputs of shape "
                f"{tuple(sequences.shape)}."
            )
        if not tree.is_nested(initial_state):
            initial_state = [initial_state]
        initial_state = tree.map_structure(
            lambda s: torch.as_tensor(s).to(sequences.device, sequences.dtype),
            list(initial_state),
        )
        try:
            last_output, outputs, states = self.inner_loop(
                sequences, initial_state, mask, training
            )
        finally:
            _reset_dropout_masks(self.cell)
        if self.stateful:
            self._set_states(tree.map_structure(torch.Tensor.detach, states))
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            if mask is not None and self.return_sequences:
                output._keras_mask = mask  # type: ignore[attr-defined]
            return (output, *states)
        return output

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        return previous_mask if self.return_sequences else None

    def compute_output_shape(
        self, sequences_shape: Any, initial_state_shape: Any = None
    ) -> Any:
        batch, length = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = tree.flatten(self.state_size[0])[0]
        if self.return_sequences:
            output_shape: tuple = (batch, length, output_size)
        else:
            output_shape = (batch, output_size)
        if not self.return_state:
            return output_shape
        states = [
            [(batch, s) for s in size]
            if isinstance(size, (list, tuple))
            else (batch, size)
            for size in self.state_size
        ]
        return (output_shape, *states)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialization.serialize_keras_object(self.cell),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Layer:
        config = dict(config)
        config["cell"] = serialization.deserialize_keras_object(
            config["cell"], custom_objects
        )
        return super().from_config(config)


def _reset_dropout_masks(cell: Any) -> None:
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    for inner in getattr(cell, "cells", ()):
        _reset_dropout_masks(inner)
