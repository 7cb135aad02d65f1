"""Recurrent layers: cells, the `RNN` loop over any cell, LSTM/GRU on torch's
fused kernels, `Bidirectional`, `TimeDistributed` and `ConvLSTM*D`."""
