"""`DropoutRNNCell`: the per-sequence dropout masks of recurrent cells."""

from __future__ import annotations

from typing import Any

import torch

from cornu import random


class DropoutRNNCell:
    """Mixin giving a cell dropout masks drawn once per sequence.

    Recurrent dropout must drop the same units at every timestep (Gal &
    Ghahramani), so a mask is drawn at the first step and reused until the
    `RNN` layer resets it at the end of the sequence. The cell needs
    `dropout`, `recurrent_dropout` and `seed_generator` attributes; a cell
    that sets `dropout_mask_count = n` gets a list of `n` masks (one per gate).
    """

    dropout: float
    recurrent_dropout: float
    seed_generator: random.SeedGenerator
    dropout_mask_count: int | None = None
    _dropout_mask: Any = None
    _recurrent_dropout_mask: Any = None

    def _create_dropout_mask(self, step_input: torch.Tensor, rate: float) -> Any:
        ones = torch.ones_like(step_input)
        if self.dropout_mask_count is None:
            return random.dropout(ones, rate, seed=self.seed_generator)
        return [
            random.dropout(ones, rate, seed=self.seed_generator)
            for _ in range(self.dropout_mask_count)
        ]

    def get_dropout_mask(self, step_input: torch.Tensor) -> Any:
        """The input mask of the current sequence (`None` without dropout)."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input: torch.Tensor) -> Any:
        """The state mask of the current sequence (`None` without dropout)."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(
                step_input, self.recurrent_dropout
            )
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None
