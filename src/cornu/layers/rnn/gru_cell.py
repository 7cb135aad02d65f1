"""`GRUCell`: one step of a gated recurrent unit layer."""

from __future__ import annotations

from typing import Any

import torch

from cornu import activations
from cornu.layers.rnn.base_rnn_cell import BaseRNNCell


class GRUCell(BaseRNNCell):
    """One step of `GRU` (Cho et al., 2014).

    Gates are ordered z, r, h (update, reset, candidate) along the last axis
    of `kernel (input_dim, 3 * units)` and `recurrent_kernel (units, 3 *
    units)`, as in Keras (torch orders them r, z, n). The bias is `(3 *
    units,)`, or `(2, 3 * units)` (input bias, recurrent bias) with
    `reset_after=True`.

    Args:
        units: the size of the output and of the state.
        activation: the candidate's activation (`"tanh"`).
        recurrent_activation: the gates' activation (`"sigmoid"`).
        use_bias: whether to add bias vectors.
        kernel_initializer: initializer of `kernel`.
        recurrent_initializer: initializer of `recurrent_kernel`
            (`"orthogonal"`).
        bias_initializer: initializer of `bias` (`"zeros"`).
        kernel_regularizer: regularizer of `kernel`.
        recurrent_regularizer: regularizer of `recurrent_kernel`.
        bias_regularizer: regularizer of `bias`.
        kernel_constraint: constraint on `kernel`.
        recurrent_constraint: constraint on `recurrent_kernel`.
        bias_constraint: constraint on `bias`.
        dropout: the fraction of the inputs dropped in training.
        recurrent_dropout: the fraction of the state dropped in training.
        reset_after: apply the reset gate after the recurrent matmul (the
            cuDNN/torch convention, default) or before it.
        seed: an int making the dropout masks reproducible.

    Call arguments:
        inputs: one timestep, `(batch_size, input_dim)`.
        states: `[h]` (or `h`), `(batch_size, units)`.
        training: whether dropout applies.

    Input shape:
        `(batch_size, input_dim)`.

    Output shape:
        `(h, [h])`, each `(batch_size, units)`.

    Example:
    >>> rnn = RNN(GRUCell(4))
    >>> rnn(np.ones((2, 3, 5), "float32")).shape
    torch.Size([2, 4])
    """

    gates = 3

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
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
        self.reset_after = reset_after

    def build(self, input_shape: Any) -> None:
        width = 3 * self.units
        shape = (2, width) if self.reset_after else (width,)
        self._build_weights(input_shape[-1], shape, self.bias_initializer)

    def call(
        self, inputs: torch.Tensor, states: Any, training: bool | None = False
    ) -> tuple[torch.Tensor, Any]:
        h = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        input_bias = recurrent_bias = None
        if self.bias is not None:
            if self.reset_after:
                input_bias, recurrent_bias = self.bias[0], self.bias[1]
            else:
                input_bias = self.bias
        x = self._input_projection(inputs, training)  # (B, 3 * units)
        if input_bias is not None:
            x = x + input_bias
        x_z, x_r, x_h = x.split(u, dim=-1)

        kernel = self.recurrent_kernel
        dropped = self._recurrent_inputs(h, training)
        h_z, h_r, h_h = dropped if dropped is not None else (h, h, h)
        if dropped is None and self.reset_after:
            inner = h @ kernel  # (B, 3 * units)
        elif dropped is None:
            inner = h @ kernel[:, : 2 * u]  # (B, 2 * units)
        else:
            inner = torch.cat([h_z @ kernel[:, :u], h_r @ kernel[:, u : 2 * u]], -1)
            if self.reset_after:
                inner = torch.cat([inner, h_h @ kernel[:, 2 * u :]], -1)
        if recurrent_bias is not None:
            inner = inner + recurrent_bias[: inner.shape[-1]]
        sigma = self.recurrent_activation
        z = sigma(x_z + inner[:, :u])
        r = sigma(x_r + inner[:, u : 2 * u])
        if self.reset_after:
            candidate = r * inner[:, 2 * u :]
        else:
            candidate = (r * h_h) @ kernel[:, 2 * u :]
        hh = self.activation(x_h + candidate)
        h = z * h + (1 - z) * hh
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }
