"""The private base of `SimpleRNN`, `LSTM`, `GRU` and `ConvLSTM*D`: an `RNN`
that makes its own cell from its arguments."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.layer import Layer
from cornu.layers.rnn import fused_rnn
from cornu.layers.rnn.rnn import RNN

# The cell's hyper-parameters, read through the layer (`lstm.units`), as Keras.
_CELL_ATTRIBUTES = (
    "units",
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "activation",
    "recurrent_activation",
    "use_bias",
    "unit_forget_bias",
    "reset_after",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
)


def _cell_attribute(name: str) -> property:
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")


class CellRNN(RNN):
    """An `RNN` whose config is its cell's arguments (no nested `cell` entry)."""

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["cell"]
        cell = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell.pop(key, None)
        return {**config, **cell}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Layer:
        return Layer.from_config.__func__(cls, config)  # type: ignore[attr-defined]


for _name in _CELL_ATTRIBUTES:
    setattr(CellRNN, _name, _cell_attribute(_name))


def check_use_cudnn(value: Any, owner: str) -> None:
    if value not in ("auto", True, False):
        raise ValueError(
            f"{owner} `use_cudnn` must be 'auto', True or False, received: "
            f"use_cudnn={value!r}."
        )


class FusedCellRNN(CellRNN):
    """A `CellRNN` that runs on torch's fused kernel when that computes what
    the step loop would (the base of `LSTM` and `GRU`)."""

    _kind = ""  # "lstm" or "gru", for `fused_rnn`
    _cell_class: Any = None
    use_cudnn: str | bool = "auto"

    def _fusable(self, training: bool | None) -> bool:
        cell = self.cell
        return (
            self.use_cudnn is not False
            and not self.unroll
            and type(cell).call is self._cell_class.call  # not a subclass's step
            and fused_rnn.default_activations(cell)
            and not (training and cell.recurrent_dropout)
            and getattr(cell, "reset_after", True)
        )

    def inner_loop(
        self,
        sequences: torch.Tensor,
        initial_state: list[Any],
        mask: torch.Tensor | None,
        training: bool | None = False,
    ) -> tuple[torch.Tensor, torch.Tensor, Any]:
        if self._fusable(training):
            x = sequences
            if training and self.cell.dropout:
                # One input mask for the whole sequence, as in the step loop.
                x = x * self.cell.get_dropout_mask(sequences[:, 0]).unsqueeze(1)
            out = fused_rnn.fused_rnn(
                self._kind,
                self.cell,
                x,
                list(initial_state),
                mask=mask,
                go_backwards=self.go_backwards,
                zero_output_for_mask=self.zero_output_for_mask,
            )
            if out is not None:
                last, outputs, states = out
                if not self.return_sequences:
                    outputs = last.unsqueeze(1)
                return last, outputs, states
        if self.use_cudnn is True:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) was given '
                "use_cudnn=True, but its configuration needs the step loop "
                "(custom activations, recurrent dropout, unroll, "
                "reset_after=False, or a mask that is not right-padded). Pass "
                "use_cudnn='auto'."
            )
        return super().inner_loop(sequences, initial_state, mask, training)
