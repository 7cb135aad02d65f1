"""The private bases of the recurrent cells: `SimpleRNNCell`, `LSTMCell`,
`GRUCell` and the ConvLSTM cell."""

from __future__ import annotations

from typing import Any

import torch

from cornu import activations, config, constraints, initializers, random, regularizers
from cornu.core.layer import Layer
from cornu.layers.rnn.dropout_rnn_cell import DropoutRNNCell


def check_units(units: Any, owner: str) -> None:
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(
            f"{owner} `units` must be a positive integer, received: {units!r}."
        )


def check_rate(value: Any, name: str, owner: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(
            f"{owner} `{name}` must be a number in [0, 1], received: {value!r}."
        )
    # Keras clips out-of-range rates rather than refusing them.
    return min(1.0, max(0.0, float(value)))


class RecurrentCell(Layer, DropoutRNNCell):
    """A cell with a `kernel`, a `recurrent_kernel` and an optional `bias`.

    Holds the arguments every Keras recurrent cell takes for these weights
    (initializers, regularizers, constraints), its activation, and input and
    recurrent dropout; `owner` names the layer in error messages.
    """

    def __init__(
        self,
        owner: str,
        activation: Any,
        use_bias: bool,
        kernel_initializer: Any,
        recurrent_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any,
        recurrent_regularizer: Any,
        bias_regularizer: Any,
        kernel_constraint: Any,
        recurrent_constraint: Any,
        bias_constraint: Any,
        dropout: float,
        recurrent_dropout: float,
        seed: int | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(dropout, "dropout", owner)
        self.recurrent_dropout = check_rate(
            recurrent_dropout, "recurrent_dropout", owner
        )
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.bias: torch.Tensor | None = None

    def _add_weights(
        self,
        kernel_shape: tuple[int, ...],
        recurrent_shape: tuple[int, ...],
        bias_shape: tuple[int, ...],
        bias_initializer: Any,
    ) -> None:
        self.kernel = self.add_weight(
            shape=kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=recurrent_shape,
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            name="recurrent_kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape,
                initializer=bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def _initializers_config(self) -> dict[str, Any]:
        return {
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }

    def _regularization_config(self) -> dict[str, Any]:
        return {
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class BaseRNNCell(RecurrentCell):
    """A cell with `kernel (input_dim, gates * units)`, `recurrent_kernel
    (units, gates * units)` and an optional bias, Keras's layouts.

    Subclasses set `gates` and write `call(inputs, states, training)`; the
    arguments shared by Keras's three cells are handled here.
    """

    gates = 1

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
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        check_units(units, owner)
        # Keras's `implementation` (1: per-gate matmuls, 2: fused) changes no
        # result here; it is accepted and dropped.
        kwargs.pop("implementation", None)
        super().__init__(
            owner,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            kernel_regularizer,
            recurrent_regularizer,
            bias_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            seed,
            **kwargs,
        )
        self.units = units
        # With recurrent dropout Keras drops each gate's inputs independently.
        self.dropout_mask_count = (
            self.gates if self.recurrent_dropout and self.gates > 1 else None
        )
        self.state_size: Any = units
        self.output_size = units

    def _build_weights(
        self, input_dim: int, bias_shape: tuple[int, ...], bias_initializer: Any
    ) -> None:
        width = self.gates * self.units
        self._add_weights(
            (input_dim, width), (self.units, width), bias_shape, bias_initializer
        )

    def _input_projection(
        self, inputs: torch.Tensor, training: bool | None
    ) -> torch.Tensor:
        """`inputs @ kernel` (B, gates * units), with the input dropout mask(s)."""
        mask = self.get_dropout_mask(inputs) if training else None
        if mask is None:
            return inputs @ self.kernel
        if isinstance(mask, list):
            kernels = self.kernel.chunk(self.gates, dim=1)
            return torch.cat([(inputs * m) @ k for m, k in zip(mask, kernels)], -1)
        return (inputs * mask) @ self.kernel

    def _recurrent_inputs(
        self, h: torch.Tensor, training: bool | None
    ) -> list[torch.Tensor] | None:
        """The previous state seen by each gate under recurrent dropout, or None."""
        mask = self.get_recurrent_dropout_mask(h) if training else None
        if mask is None:
            return None
        if isinstance(mask, list):
            return [h * m for m in mask]
        return [h * mask] * self.gates

    def get_initial_state(self, batch_size: int) -> list[torch.Tensor]:
        """Zero states, one `(batch_size, size)` tensor per entry of `state_size`."""
        sizes = (
            self.state_size if isinstance(self.state_size, list) else [self.state_size]
        )
        kernel = getattr(self, "kernel", None)
        device = kernel.device if kernel is not None else config.device()
        return [
            torch.zeros(batch_size, d, dtype=self._compute_torch_dtype, device=device)
            for d in sizes
        ]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            **self._initializers_config(),
            **self._regularization_config(),
        }
