"""`SimpleRNNCell`: one step of a fully connected recurrent layer."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.rnn.base_rnn_cell import BaseRNNCell


class SimpleRNNCell(BaseRNNCell):
    """One step of `SimpleRNN`: `h = activation(x @ kernel + h @ recurrent_kernel + bias)`.

    Args:
        units: the size of the output and of the state.
        activation: the activation (`"tanh"`); `None` means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer: initializer of `kernel` `(input_dim, units)`.
        recurrent_initializer: initializer of `recurrent_kernel`
            `(units, units)` (`"orthogonal"`).
        bias_initializer: initializer of `bias` `(units,)` (`"zeros"`).
        kernel_regularizer: regularizer of `kernel`.
        recurrent_regularizer: regularizer of `recurrent_kernel`.
        bias_regularizer: regularizer of `bias`.
        kernel_constraint: constraint on `kernel`.
        recurrent_constraint: constraint on `recurrent_kernel`.
        bias_constraint: constraint on `bias`.
        dropout: the fraction of the inputs dropped in training (one mask
            per sequence).
        recurrent_dropout: the fraction of the state dropped in training.
        seed: an int making the dropout masks reproducible.

    Call arguments:
        inputs: one timestep, `(batch_size, input_dim)`.
        states: `[h]`, the previous state `(batch_size, units)`.
        training: whether dropout applies.

    Input shape:
        `(batch_size, input_dim)`.

    Output shape:
        `(output, [h])`, both `(batch_size, units)`.

    Example:
    >>> rnn = RNN(SimpleRNNCell(4))
    >>> rnn(np.ones((2, 3, 5), "float32")).shape
    torch.Size([2, 4])
    """

    gates = 1

    def build(self, input_shape: Any) -> None:
        self._build_weights(input_shape[-1], (self.units,), self.bias_initializer)

    def call(
        self, inputs: torch.Tensor, states: Any, training: bool | None = False
    ) -> tuple[torch.Tensor, Any]:
        h = states[0] if isinstance(states, (list, tuple)) else states
        x = self._input_projection(inputs, training)  # (B, units)
        if self.bias is not None:
            x = x + self.bias
        dropped = self._recurrent_inputs(h, training)
        if dropped is not None:
            h = dropped[0]
        output = x + h @ self.recurrent_kernel
        if self.activation is not None:
            output = self.activation(output)
        return output, [output] if isinstance(states, (list, tuple)) else output
