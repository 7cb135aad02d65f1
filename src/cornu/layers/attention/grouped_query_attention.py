"""`GroupQueryAttention`: attention where groups of query heads share a key/value head."""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu.layers.attention.base_projected_attention import (
    BaseProjectedAttention,
    check_positive_int,
)
from cornu.layers.regularization.dropout import Dropout


class GroupedQueryAttention(BaseProjectedAttention):
    """Grouped-query attention (Ainslie et al., 2023).

    `num_query_heads` query heads share `num_key_value_heads` key/value
    heads (query heads `g * r ... g * r + r - 1` use key/value head `g`, `r
    = num_query_heads // num_key_value_heads`): multi-head attention when
    both counts are equal, multi-query attention with one key/value head.
    Weights are Keras's (`query` kernel `(dim, num_query_heads, head_dim)`,
    `key`/`value` kernels `(dim, num_key_value_heads, head_dim)`,
    `attention_output` kernel `(num_query_heads, head_dim, dim)`). Without
    returned scores it runs on torch's `scaled_dot_product_attention`, whose
    grouped-query mode needs no copies of the key/value heads.

    Args:
        head_dim: the size of each head.
        num_query_heads: the number of query heads.
        num_key_value_heads: the number of key and value heads; must divide
            `num_query_heads`.
        dropout: the fraction of attention weights dropped in training.
        use_bias: whether the projections have biases.
        sliding_window: if set, query `i` only sees keys `j` with
            `|i - j| < sliding_window`.
        flash_attention: `True` runs only torch's flash kernel, `False` never;
            `None` (default) follows `keras.config.is_flash_attention_enabled()`.
        kernel_initializer: initializer of the projection kernels.
        bias_initializer: initializer of the projection biases.
        kernel_regularizer: regularizer of the projection kernels.
        bias_regularizer: regularizer of the projection biases.
        activity_regularizer: regularizer of the projections' outputs.
        kernel_constraint: constraint on the projection kernels.
        bias_constraint: constraint on the projection biases.
        use_gate: gate each head's output with a sigmoid projection of the
            query.
        seed: an int making the dropout reproducible.

    Call arguments:
        query: `(batch_size, Tq, dim)`.
        value: `(batch_size, Tv, dim)`.
        key: `(batch_size, Tv, dim)`; defaults to `value`.
        query_mask: `(batch_size, Tq)` booleans (default: `query`'s mask).
        value_mask: `(batch_size, Tv)` booleans (default: `value`'s mask).
        key_mask: `(batch_size, Tv)` booleans (default: `key`'s mask).
        attention_mask: `(batch_size, Tq, Tv)` booleans, `True` to attend.
        return_attention_scores: also return the attention weights.
        training: whether dropout applies.
        use_causal_mask: query step `i` attends to key steps `<= i`.

    Input shape:
        query `(batch_size, Tq, dim)`, value and key `(batch_size, Tv, dim)`.

    Output shape:
        `(batch_size, Tq, dim)`; the scores are `(batch_size,
        num_query_heads, Tq, Tv)`.

    Example:
    >>> gqa = GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    >>> gqa(np.ones((2, 3, 8), "float32"), np.ones((2, 5, 8), "float32")).shape
    torch.Size([2, 3, 8])
    """

    # The class name Keras writes in configs (see the alias at the end).
    _keras_class_name = "GroupQueryAttention"

    head_dim: int
    num_query_heads: int
    num_key_value_heads: int
    num_repeats: int

    # Scores are `(B, query_heads, Tq, Tv)`, once each key/value head is
    # repeated for its group of query heads.
    _dot_equation = "bkuh,bquh->buqk"
    _combine_equation = "buqk,bkuh->bquh"
    _softmax_axes = (-1,)

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        check_positive_int(owner, "head_dim", head_dim)
        check_positive_int(owner, "num_query_heads", num_query_heads)
        check_positive_int(owner, "num_key_value_heads", num_key_value_heads)
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"{owner} `num_query_heads` must be divisible by "
                f"`num_key_value_heads`, received num_query_heads={num_query_heads} "
                f"and num_key_value_heads={num_key_value_heads}."
            )
        super().__init__(
            dropout=dropout,
            use_bias=use_bias,
            sliding_window=sliding_window,
            flash_attention=flash_attention,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            use_gate=use_gate,
            seed=seed,
            **kwargs,
        )
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self._scale = 1.0 / math.sqrt(float(head_dim))

    def build(
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> None:
        if value_shape is None:
            return  # built on the first call, which knows every input's shape
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._record_shapes(query_shape, value_shape, key_shape)
        nq, nkv, h = self.num_query_heads, self.num_key_value_heads, self.head_dim
        # Keras's attribute names: its weight files hold `_query_dense/vars/0`.
        self._query_dense = self._dense("bqm,muh->bquh", "uh", (None, nq, h), "query")
        self._query_dense._build_with(query_shape)
        self._key_dense = self._dense("bkm,mvh->bkvh", "vh", (None, nkv, h), "key")
        self._key_dense._build_with(key_shape)
        if self.use_gate:
            self._gate_dense = self._dense(
                "bqm,muh->bquh", "uh", (None, nq, h), "gate", "sigmoid"
            )
            self._gate_dense._build_with(query_shape)
        self._value_dense = self._dense("bkm,mvh->bkvh", "vh", (None, nkv, h), "value")
        self._value_dense._build_with(value_shape)
        self._dropout_layer = Dropout(
            self.dropout, seed=self.seed, dtype=self.dtype_policy
        )
        self._output_dense = self._dense(
            "bquh,uhm->bqm", "m", (None, query_shape[-1]), "attention_output"
        )
        self._output_dense._build_with((None, None, nq, h))

    def _key_value_heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.repeat_interleave(self.num_repeats, dim=2)  # (B, Tv, heads, h)

    def compute_output_shape(
        self, query_shape: Any, value_shape: Any, key_shape: Any = None
    ) -> tuple:
        key_shape = value_shape if key_shape is None else key_shape
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects query and value '
                f"with the same last dimension, received query shape "
                f"{tuple(query_shape)} and value shape {tuple(value_shape)}."
            )
        self._check_key_shape(value_shape, key_shape)
        return tuple(query_shape)

    def _scores_shape(self, query_shape: tuple, value_shape: tuple) -> tuple:
        return (query_shape[0], self.num_query_heads, query_shape[1], value_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            **self._projection_config(),
        }


# Keras's public name. (Keras's class is `GroupedQueryAttention`, which names
# its group in weight files, but its configs say `GroupQueryAttention`.)
GroupQueryAttention = GroupedQueryAttention
