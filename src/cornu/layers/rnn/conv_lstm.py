"""The private base of `ConvLSTM1D/2D/3D`: an LSTM whose matmuls are convolutions."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu import activations
from cornu.core.input_spec import InputSpec
from cornu.layers.convolutional import conv_utils
from cornu.layers.rnn.base_rnn_cell import RecurrentCell
from cornu.layers.rnn.base_rnn_layer import CellRNN
from cornu.layers.rnn.lstm_cell import _UnitForgetBias

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


class ConvLSTMCell(RecurrentCell):
    """One step of a ConvLSTM (Shi et al., 2015); not public in Keras either.

    `kernel` is `(*kernel_size, input_channels, 4 * filters)` and
    `recurrent_kernel` `(*kernel_size, filters, 4 * filters)`, gates i, f,
    c, o along the last axis; the recurrent convolution uses "same"
    padding and stride 1 so the state keeps its spatial shape.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        owner = f"ConvLSTM{rank}D"
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"{owner} `filters` must be a positive integer, received: {filters!r}."
            )
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
        self.rank = rank
        self.filters = filters
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, rank, "strides")
        self.padding = conv_utils.normalize_padding(padding, ("valid", "same"))
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.dilation_rate = conv_utils.normalize_tuple(
            dilation_rate, rank, "dilation_rate"
        )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner} cannot combine `strides` > 1 with `dilation_rate` > 1, "
                f"received strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}."
            )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.dropout_mask_count = 4
        self.state_size = -1  # spatial: see `get_initial_state`
        self.spatial_dims: tuple = ()
        self.input_dim = 0

    def build(self, input_shape: Any) -> None:
        channels_last = self.data_format == "channels_last"
        spatial = tuple(input_shape[1:-1] if channels_last else input_shape[2:])
        channels = input_shape[-1] if channels_last else input_shape[1]
        if None in spatial or channels is None:
            raise ValueError(
                f"ConvLSTM{self.rank}D needs static spatial and channel dimensions, "
                f"received step input shape {tuple(input_shape)}."
            )
        self.spatial_dims = spatial
        self.input_dim = channels
        width = 4 * self.filters
        init = self.bias_initializer
        if self.unit_forget_bias:
            init = _UnitForgetBias(self.bias_initializer, self.filters)
        self._add_weights(
            (*self.kernel_size, channels, width),
            (*self.kernel_size, self.filters, width),
            (width,),
            init,
        )

    def _torch_kernel(self, kernel: torch.Tensor) -> torch.Tensor:
        # (*k, in, out) -> (out, in, *k), a view.
        return kernel.permute(self.rank + 1, self.rank, *range(self.rank))

    def _conv(
        self, x: torch.Tensor, kernel: torch.Tensor, padding: str, recurrent: bool
    ) -> torch.Tensor:
        """Channels-first convolution `x (B, C, *spatial)` with a Keras kernel."""
        ones = (1,) * self.rank
        strides = ones if recurrent else self.strides
        dilation = ones if recurrent else self.dilation_rate
        x, pad = conv_utils.pad_for(x, padding, self.kernel_size, strides, dilation)
        return _CONV[self.rank](
            x, self._torch_kernel(kernel), None, strides, pad, dilation
        )

    def call(
        self, inputs: torch.Tensor, states: Any, training: bool | None = False
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        channels_last = self.data_format == "channels_last"
        h, c = states[0], states[1]
        if channels_last:
            inputs, h, c = (conv_utils.to_channels_first(t) for t in (inputs, h, c))
        dp = self.get_dropout_mask(inputs) if training else None
        rdp = self.get_recurrent_dropout_mask(h) if training else None
        z = self._gate_convs(inputs, self.kernel, dp, self.padding, False)
        z = z + self._gate_convs(h, self.recurrent_kernel, rdp, "same", True)
        if self.bias is not None:
            z = z + self.bias.view(-1, *([1] * self.rank))
        z_i, z_f, z_c, z_o = z.chunk(4, dim=1)  # (B, filters, *spatial) each
        sigma = self.recurrent_activation
        c = sigma(z_f) * c + sigma(z_i) * self.activation(z_c)
        h = sigma(z_o) * self.activation(c)
        if channels_last:
            h, c = conv_utils.to_channels_last(h), conv_utils.to_channels_last(c)
        return h, [h, c]

    def _gate_convs(
        self,
        x: torch.Tensor,
        kernel: torch.Tensor,
        masks: list[torch.Tensor] | None,
        padding: str,
        recurrent: bool,
    ) -> torch.Tensor:
        if masks is None:
            return self._conv(x, kernel, padding, recurrent)
        kernels = kernel.chunk(4, dim=-1)
        return torch.cat(
            [self._conv(x * m, k, padding, recurrent) for m, k in zip(masks, kernels)],
            dim=1,
        )

    def state_shape(self, batch_size: Any) -> tuple:
        """The shape of `h` and `c` for a batch, in the layer's data format."""
        spatial = tuple(
            conv_utils.conv_output_length(n, k, self.padding, s, d)
            for n, k, s, d in zip(
                self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate
            )
        )
        if self.data_format == "channels_last":
            return (batch_size, *spatial, self.filters)
        return (batch_size, self.filters, *spatial)

    def get_initial_state(self, batch_size: int) -> list[torch.Tensor]:
        shape = self.state_shape(batch_size)
        device = self.kernel.device
        dtype = self._compute_torch_dtype
        return [torch.zeros(shape, dtype=dtype, device=device) for _ in range(2)]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            **self._initializers_config(),
            "unit_forget_bias": self.unit_forget_bias,
            **self._regularization_config(),
        }


class ConvLSTM(CellRNN):
    """The shared body of `ConvLSTM1D/2D/3D` (`rank` set by each subclass).

    Args:
        filters: the number of output channels of each state.
        kernel_size: an int or a tuple of `rank` ints.
        strides: the input convolution's strides.
        padding: `"valid"` or `"same"` for the input convolution (the
            recurrent one always uses `"same"`).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: the input convolution's dilation.
        activation: the cell and output activation (`"tanh"`).
        recurrent_activation: the gates' activation (`"sigmoid"`).
        use_bias: whether to add a bias vector.
        kernel_initializer: initializer of `kernel`.
        recurrent_initializer: initializer of `recurrent_kernel`.
        bias_initializer: initializer of `bias`.
        unit_forget_bias: whether the forget gate's bias starts at 1.
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
        return_state: also return the final states `h, c`.
        go_backwards: read the sequence from its end.
        stateful: carry the final states over to the next batch.
    """

    rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        **kwargs: Any,
    ) -> None:
        cell = ConvLSTMCell(
            self.rank,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            name="conv_lstm_cell",
            dtype=kwargs.get("dtype"),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def compute_output_shape(
        self, sequences_shape: Any, initial_state_shape: Any = None
    ) -> Any:
        batch, steps = sequences_shape[0], sequences_shape[1]
        cell = self.cell
        if not cell.spatial_dims:
            cell.build((batch, *sequences_shape[2:]))
        state = cell.state_shape(batch)
        output = (batch, steps, *state[1:]) if self.return_sequences else state
        return (output, state, state) if self.return_state else output
