"""`StackedRNNCells`: several cells run as one, each feeding the next."""

from __future__ import annotations

from typing import Any

import torch

from cornu import tree
from cornu.core import serialization
from cornu.core.layer import Layer


def _output_size(cell: Any) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return int(size)
    state_size = cell.state_size
    return int(state_size[0] if isinstance(state_size, (list, tuple)) else state_size)


class StackedRNNCells(Layer):
    """Wraps a list of cells so that `RNN` runs them as a stack, in one loop.

    At each step the output of cell `k` is the input of cell `k + 1`; the
    states are one entry per cell, in order.

    Args:
        cells: a list of cells (objects with `call` and `state_size`).

    Call arguments:
        inputs: one timestep, `(batch_size, input_dim)`.
        states: one state structure per cell.
        training: whether dropout applies.

    Input shape:
        `(batch_size, input_dim)`.

    Output shape:
        `(output, states)`: the last cell's output and every cell's states.

    Example:
    >>> cells = StackedRNNCells([SimpleRNNCell(4), LSTMCell(3)])
    >>> RNN(cells)(np.ones((2, 5, 6), "float32")).shape
    torch.Size([2, 3])
    """

    def __init__(self, cells: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(
                    "StackedRNNCells expects cells with a `call` method, received: "
                    f"{cell!r}."
                )
            if getattr(cell, "state_size", None) is None:
                raise ValueError(
                    "StackedRNNCells expects cells with a `state_size` attribute, "
                    f"received: {cell!r}."
                )
        self.cells = list(cells)

    @property
    def state_size(self) -> list[Any]:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size: int) -> list[Any]:
        states: list[Any] = []
        for cell in self.cells:
            make = getattr(cell, "get_initial_state", None)
            if make is not None:
                states.append(make(batch_size=batch_size))
            else:
                sizes = cell.state_size
                zeros = [
                    torch.zeros(batch_size, d, dtype=self._compute_torch_dtype)
                    for d in (sizes if isinstance(sizes, (list, tuple)) else [sizes])
                ]
                states.append(zeros if isinstance(sizes, (list, tuple)) else zeros[0])
        return states

    def build(self, input_shape: Any) -> None:
        batch = tree.flatten(input_shape)[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_with(tuple(input_shape))
            input_shape = (batch, _output_size(cell))

    def call(
        self, inputs: torch.Tensor, states: Any, training: bool | None = False
    ) -> tuple[torch.Tensor, list[Any]]:
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = tree.is_nested(cell_states)
            cell_states = list(cell_states) if was_list else [cell_states]
            if isinstance(cell, Layer):
                kwargs = {"training": training} if cell._call_has_training else {}
                inputs, cell_states = cell.call(inputs, cell_states, **kwargs)
            else:
                inputs, cell_states = cell.call(inputs, cell_states)
            if not tree.is_nested(cell_states):
                cell_states = [cell_states]
            new_states.append(list(cell_states) if was_list else cell_states[0])
        return inputs, new_states

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "cells": [serialization.serialize_keras_object(c) for c in self.cells],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Layer:
        config = dict(config)
        config["cells"] = [
            serialization.deserialize_keras_object(c, custom_objects)
            for c in config["cells"]
        ]
        return super().from_config(config)
