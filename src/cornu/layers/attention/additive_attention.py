"""`AdditiveAttention`: Bahdanau-style attention over a query and a value."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive attention: scores `sum(scale * tanh(query + key))` over features.

    Args:
        use_scale: learn a vector `scale` of shape `(dim,)` weighting the
            features of the scores (default `True`).
        dropout: the fraction of attention weights dropped in training.
        seed: an int making the dropout reproducible.

    Call arguments:
        inputs: `[query, value]` or `[query, value, key]`.
        mask: `[query_mask, value_mask]`, booleans.
        training: whether dropout applies.
        return_attention_scores: also return the attention weights.
        use_causal_mask: query step `i` attends to value steps `<= i`.

    Input shape:
        query `(batch_size, Tq, dim)`, value and key `(batch_size, Tv, dim)`.

    Output shape:
        `(batch_size, Tq, dim)`; the scores are `(batch_size, Tq, Tv)`.

    Example:
    >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
    >>> AdditiveAttention()([q, v]).shape
    torch.Size([2, 3, 4])
    """

    def __init__(
        self,
        use_scale: bool = True,
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._check_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(
                shape=(input_shape[0][-1],), initializer="glorot_uniform", name="scale"
            )

    def _scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))  # (B, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return pairs.sum(-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config
