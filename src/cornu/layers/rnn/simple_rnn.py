"""`SimpleRNN`: a fully connected recurrent layer."""

from __future__ import annotations

from typing import Any

from cornu.core.input_spec import InputSpec
from cornu.layers.rnn.base_rnn_layer import CellRNN
from cornu.layers.rnn.simple_rnn_cell import SimpleRNNCell


class SimpleRNN(CellRNN):
    """A fully connected RNN whose output is fed back as the next input state.

    `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.
    The weights live in the cell (`layer.cell.kernel`, Keras's layout).

    Args:
        units: the size of the output and of the state.
        activation: the activation (`"tanh"`).
        use_bias: whether to add a bias vector.
        kernel_initializer: initializer of `kernel` `(input_dim, units)`.
        recurrent_initializer: initializer of `recurrent_kernel`.
        bias_initializer: initializer of `bias`.
        kernel_regularizer: regularizer of `kernel`.
        recurrent_regularizer: regularizer of `recurrent_kernel`.
        bias_regularizer: regularizer of `bias`.
        activity_regularizer: regularizer of the output.
        kernel_constraint: constraint on `kernel`.
        recurrent_constraint: constraint on `recurrent_kernel`.
        bias_constraint: constraint on `bias`.
        dropout: the fraction of the inputs dropped in training.
        recurrent_dropout: the fraction of the state dropped in training.
        seed: an int making the dropout masks reproducible.
        return_sequences: return every step's output, not only the last.
        return_state: also return the final state.
        go_backwards: read the sequence from its end.
        stateful: carry the final state over to the next batch.
        unroll: accepted for Keras compatibility (the loop is eager).

    Call arguments:
        sequences: `(batch_size, timesteps, features)`.
        initial_state: `[h]`, `(batch_size, units)`.
        mask: `(batch_size, timesteps)` booleans.
        training: whether dropout applies.

    Input shape:
        `(batch_size, timesteps, features)`.

    Output shape:
        `(batch_size, timesteps, units)` with `return_sequences`, else
        `(batch_size, units)`; with `return_state`, `(output, h)`.

    Example:
    >>> SimpleRNN(4)(np.ones((2, 3, 5), "float32")).shape
    torch.Size([2, 4])
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = SimpleRNNCell(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=3)
