"""`ConvLSTM1D`: a 1-D convolutional LSTM."""

from __future__ import annotations

from cornu.layers.rnn.conv_lstm import ConvLSTM


class ConvLSTM1D(ConvLSTM):
    """A 1-D convolutional LSTM: an LSTM whose input and recurrent
    transformations are 1-D convolutions (Shi et al., 2015).

    Args:
        See `ConvLSTM`: `filters`, `kernel_size`, `strides`, `padding`,
        `data_format`, `dilation_rate`, the activations, initializers,
        regularizers and constraints of `kernel`, `recurrent_kernel` and
        `bias`, `unit_forget_bias`, `dropout`, `recurrent_dropout`,
        `seed`, `return_sequences`, `return_state`, `go_backwards`,
        `stateful`.

    Call arguments:
        sequences: the input sequence.
        initial_state: `[h, c]`, each shaped like one output step.
        mask: `(batch_size, timesteps)` booleans.
        training: whether dropout applies.

    Input shape:
        `(batch_size, timesteps, steps, channels)` with `"channels_last"`
        (channels after the time axis with `"channels_first"`).

    Output shape:
        `(batch_size, [timesteps,] new_steps, filters)`; with
        `return_state`, `(output, h, c)`.

    Example:
    >>> ConvLSTM1D(4, 3)(np.ones((2, 5, 8, 3), "float32")).shape
    torch.Size([2, 6, 4])
    """

    rank = 1
