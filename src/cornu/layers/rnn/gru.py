"""`GRU`: the gated recurrent unit layer, on torch's fused kernel when it can."""

from __future__ import annotations

from typing import Any

from cornu.core.input_spec import InputSpec
from cornu.layers.rnn.base_rnn_layer import FusedCellRNN, check_use_cudnn
from cornu.layers.rnn.gru_cell import GRUCell


class GRU(FusedCellRNN):
    """Gated recurrent unit (Cho et al., 2014).

    The weights are `GRUCell`'s, in Keras's layout (gates z, r, h). With
    `reset_after=True` (the default, torch's and cuDNN's formulation), tanh
    and sigmoid activations, no recurrent dropout in training, `unroll=False`
    and no mask or a right-padded one, the layer runs on torch's fused GRU
    kernel; otherwise on the step loop, with equal results.

    Args:
        units: the size of the output and of the state.
        activation: the candidate's activation (`"tanh"`).
        recurrent_activation: the gates' activation (`"sigmoid"`).
        use_bias: whether to add bias vectors.
        kernel_initializer: initializer of `kernel` `(input_dim, 3 * units)`.
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
        unroll: forces the step loop (kept for Keras compatibility).
        reset_after: apply the reset gate after the recurrent matmul (bias
            `(2, 3 * units)`) or before it (bias `(3 * units,)`).
        use_cudnn: `"auto"`, `True` (require the fused kernel) or `False`.

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
    >>> GRU(4)(np.ones((2, 3, 5), "float32")).shape
    torch.Size([2, 4])
    """

    _kind = "gru"
    _cell_class = GRUCell

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
        reset_after: bool = True,
        use_cudnn: str | bool = "auto",
        **kwargs: Any,
    ) -> None:
        check_use_cudnn(use_cudnn, "GRU")
        cell = GRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
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
            reset_after=reset_after,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
            implementation=kwargs.pop("implementation", 2),
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
        self.use_cudnn = use_cudnn
