"""`Attention`: dot-product (Luong-style) attention over a query and a value."""

from __future__ import annotations

import numbers
from typing import Any

import torch
import torch.nn.functional as F

from cornu import random
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.attention import attention_masks


def _masks_of(inputs: list[Any]) -> list[Any] | None:
    masks = [getattr(x, "_keras_mask", None) for x in inputs]
    return masks if any(m is not None for m in masks) else None


class Attention(Layer):
    """Dot-product attention: `softmax(query @ key^T) @ value`.

    With `score_mode="concat"` the scores are `sum(tanh(query + key))`
    instead. Without returned scores the dot product runs on torch's
    `scaled_dot_product_attention`.

    Args:
        use_scale: learn a scalar `scale` multiplying the scores.
        score_mode: `"dot"` (default) or `"concat"`.
        dropout: the fraction of attention weights dropped in training.
        seed: an int making the dropout reproducible.

    Call arguments:
        inputs: `[query, value]` or `[query, value, key]`; `key` defaults
            to `value`.
        mask: `[query_mask, value_mask]`: booleans `(batch_size, Tq)` and
            `(batch_size, Tv)`; read from the inputs' masks when omitted.
            Masked values get no weight; masked query steps output zeros.
        training: whether dropout applies.
        return_attention_scores: also return the attention weights.
        use_causal_mask: query step `i` attends to value steps `<= i`.

    Input shape:
        query `(batch_size, Tq, dim)`, value and key `(batch_size, Tv, dim)`.

    Output shape:
        `(batch_size, Tq, dim)`; the scores are `(batch_size, Tq, Tv)`.

    Example:
    >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
    >>> Attention()([q, v]).shape
    torch.Size([2, 3, 4])
    """

    use_scale: bool
    score_mode: str
    dropout: float
    seed: int | None
    seed_generator: random.SeedGenerator

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{owner} `score_mode` must be 'dot' or 'concat', received: "
                f"score_mode={score_mode!r}."
            )
        if not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{owner} `dropout` must be a number in [0, 1], received: "
                f"dropout={dropout!r}."
            )
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        if dropout > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.scale: torch.Tensor | None = None
        self.concat_score_weight: torch.Tensor | None = None

    def _check_inputs(self, inputs: Any, mask: Any = None) -> None:
        where = f'Layer "{self.name}" ({type(self).__name__})'
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{where} expects a list of inputs [query, value] or [query, value, "
                f"key], received a single input of shape {tuple(inputs.shape)}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{where} expects 2 or 3 inputs [query, value(, key)], received "
                f"{len(inputs)}."
            )
        if mask is not None and (
            not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3
        ):
            raise ValueError(
                f"{where} expects `mask` as a list [query_mask, value_mask], "
                f"received: {mask!r}."
            )

    def build(self, input_shape: Any) -> None:
        self._check_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                shape=(), initializer="ones", name="concat_score_weight"
            )

    def _scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """(B, Tq, Tv) attention logits."""
        if self.score_mode == "dot":
            scores = query @ key.transpose(-2, -1)
            return scores if self.scale is None else scores * self.scale
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)  # (B, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        assert self.concat_score_weight is not None
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    def _drop(self, weights: torch.Tensor) -> torch.Tensor:
        if self.seed is None:
            return F.dropout(weights, self.dropout, True)
        return random.dropout(weights, self.dropout, seed=self.seed_generator)

    def call(
        self,
        inputs: list[torch.Tensor],
        mask: list[Any] | None = None,
        training: bool | None = False,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._check_inputs(inputs, mask)
        if mask is None:
            mask = _masks_of(inputs)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        q_len, v_len = query.shape[-2], key.shape[-2]
        score_mask = None
        if v_mask is not None:
            score_mask = (
                torch.as_tensor(v_mask, device=query.device).bool().unsqueeze(-2)
            )
        if use_causal_mask:
            causal = attention_masks.causal_mask(q_len, v_len, query.device)
            score_mask = causal if score_mask is None else score_mask & causal
        dropout = self.dropout if training else 0.0

        fusable = self.score_mode == "dot" and type(self)._scores is Attention._scores
        if fusable and not return_attention_scores:
            # Keras subtracts 1e9 from masked logits: an additive bias.
            bias = None
            if score_mask is not None:
                bias = torch.zeros(
                    score_mask.shape, dtype=query.dtype, device=query.device
                )
                bias = bias.masked_fill(~score_mask, -1e9)
            q = query if self.scale is None else query * self.scale
            output = F.scaled_dot_product_attention(
                q, key, value, attn_mask=bias, dropout_p=dropout, scale=1.0
            )
            weights = None
        else:
            scores = self._scores(query, key)
            if score_mask is not None:
                scores = torch.where(score_mask, scores, scores - 1e9)
            weights = torch.softmax(scores, dim=-1)
            if dropout > 0:
                weights = self._drop(weights)
            output = weights @ value
        if q_mask is not None:
            q_keep = torch.as_tensor(q_mask, device=output.device).bool().unsqueeze(-1)
            output = torch.where(q_keep, output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if previous_mask is None and isinstance(inputs, (list, tuple)):
            previous_mask = _masks_of(list(inputs))
        if not previous_mask or previous_mask[0] is None:
            return None
        return previous_mask[0]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        query_shape, value_shape = input_shape[0], input_shape[1]
        return (*query_shape[:-1], value_shape[-1])

    def compute_output_spec(
        self,
        inputs: Any,
        mask: Any = None,
        training: Any = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._check_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        dtype = self.compute_dtype
        output = KerasTensor(
            self.compute_output_shape([query.shape, value.shape]), dtype
        )
        if return_attention_scores:
            return output, KerasTensor((*query.shape[:-1], key.shape[-2]), dtype)
        return output

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }
