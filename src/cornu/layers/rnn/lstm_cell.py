"""`LSTMCell`: one step of a long short-term memory layer."""

from __future__ import annotations

from typing import Any

import torch

from cornu import activations, initializers
from cornu.layers.rnn.base_rnn_cell import BaseRNNCell


class _UnitForgetBias:
    """Bias initializer: Keras's `bias_initializer` with the forget gate at 1."""

    def __init__(self, base: Any, units: int) -> None:
        self.base = base
        self.units = units

    def __call__(self, shape: Any, dtype: Any = None) -> torch.Tensor:
        u = self.units
        ones = initializers.get("ones")
        return torch.cat(
            [
                self.base((u,), dtype=dtype),
                ones((u,), dtype=dtype),
                self.base((2 * u,), dtype=dtype),
            ]
        )


class LSTMCell(BaseRNNCell):
    """One step of `LSTM` (Hochreiter & Schmidhuber, 1997).

    Gates are ordered i, f, c, o (input, forget, cell, output) along the last
    axis of `kernel (input_dim, 4 * units)`, `recurrent_kernel (units, 4 *
    units)` and `bias (4 * units,)` - Keras's layout, and torch's gate order.

    Args:
        units: the size of the output and of each state.
        activation: the cell and output activation (`"tanh"`).
        recurrent_activation: the gates' activation (`"sigmoid"`).
        use_bias: whether to add a bias vector.
        kernel_initializer: initializer of `kernel`.
        recurrent_initializer: initializer of `recurrent_kernel`
            (`"orthogonal"`).
        bias_initializer: initializer of `bias` (`"zeros"`).
        unit_forget_bias: whether the forget gate's bias starts at 1.
        kernel_regularizer: regularizer of `kernel`.
        recurrent_regularizer: regularizer of `recurrent_kernel`.
        bias_regularizer: regularizer of `bias`.
        kernel_constraint: constraint on `kernel`.
        recurrent_constraint: constraint on `recurrent_kernel`.
        bias_constraint: constraint on `bias`.
        dropout: the fraction of the inputs dropped in training.
        recurrent_dropout: the fraction of the state dropped in training.
        seed: an int making the dropout masks reproducible.

    Call arguments:
        inputs: one timestep, `(batch_size, input_dim)`.
        states: `[h, c]`, each `(batch_size, units)`.
        training: whether dropout applies.

    Input shape:
        `(batch_size, input_dim)`.

    Output shape:
        `(h, [h, c])`, each `(batch_size, units)`.

    Example:
    >>> rnn = RNN(LSTMCell(4), return_state=True)
    >>> [tuple(t.shape) for t in rnn(np.ones((2, 3, 5), "float32"))]
    [(2, 4), (2, 4), (2, 4)]
    """

    gates = 4

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
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
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]

    def build(self, input_shape: Any) -> None:
        init = self.bias_initializer
        if self.unit_forget_bias:
            init = _UnitForgetBias(self.bias_initializer, self.units)
        self._build_weights(input_shape[-1], (4 * self.units,), init)

    def call(
        self, inputs: torch.Tensor, states: Any, training: bool | None = False
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        h, c = states[0], states[1]
        z = self._input_projection(inputs, training)  # (B, 4 * units)
        dropped = self._recurrent_inputs(h, training)
        if dropped is None:
            z = z + h @ self.recurrent_kernel
        else:
            kernels = self.recurrent_kernel.chunk(4, dim=1)
            z = z + torch.cat([hg @ k for hg, k in zip(dropped, kernels)], -1)
        if self.bias is not None:
            z = z + self.bias
        z_i, z_f, z_c, z_o = z.chunk(4, dim=-1)
        sigma = self.recurrent_activation
        c = sigma(z_f) * c + sigma(z_i) * self.activation(z_c)
        h = sigma(z_o) * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }
