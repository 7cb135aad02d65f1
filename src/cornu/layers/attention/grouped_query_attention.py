"""`GroupQueryAttention`: attention where groups of query heads share a key/value head."""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch

from cornu import constraints, initializers, regularizers
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.attention import attention_masks
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.regularization.dropout import Dropout


class GroupedQueryAttention(Layer):
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
    dropout: float
    use_bias: bool
    use_gate: bool
    sliding_window: int | None
    flash_attention: bool | None
    kernel_initializer: Any
    bias_initializer: Any
    kernel_regularizer: Any
    bias_regularizer: Any
    projection_regularizer: Any
    kernel_constraint: Any
    bias_constraint: Any
    seed: int | None
    _inverse_sqrt_head_dim: float

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
        for name, value in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"{owner} `{name}` must be a positive integer, received: "
                    f"{name}={value!r}."
                )
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"{owner} `num_query_heads` must be divisible by "
                f"`num_key_value_heads`, received num_query_heads={num_query_heads} "
                f"and num_key_value_heads={num_key_value_heads}."
            )
        if sliding_window is not None and (
            not isinstance(sliding_window, int) or sliding_window <= 0
        ):
            raise ValueError(
                f"{owner} `sliding_window` must be a positive integer or None, "
                f"received: sliding_window={sliding_window!r}."
            )
        if not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{owner} `dropout` must be a number in [0, 1], received: "
                f"dropout={dropout!r}."
            )
        if flash_attention and dropout > 0:
            raise ValueError(
                f"{owner} cannot combine flash_attention=True with dropout > 0 "
                f"(received dropout={dropout})."
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.projection_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))
        self._shapes: dict[str, Any] | None = None

    def _dense(
        self, equation: str, shape: tuple, bias_axes: str, name: str, **kwargs: Any
    ) -> EinsumDense:
        return EinsumDense(
            equation,
            output_shape=shape,
            bias_axes=bias_axes if self.use_bias else None,
            name=name,
            kernel_initializer=self.kernel_initializer.clone(),
            bias_initializer=self.bias_initializer.clone(),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.projection_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy,
            **kwargs,
        )

    def build(
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> None:
        if value_shape is None:
            return  # built on the first call, which knows every input's shape
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape != value_shape:
            self._shapes["key_shape"] = key_shape
        nq, nkv, h = self.num_query_heads, self.num_key_value_heads, self.head_dim
        # Keras's attribute names: its weight files hold `_query_dense/vars/0`.
        self._query_dense = self._dense("bqm,muh->bquh", (None, nq, h), "uh", "query")
        self._query_dense._build_with(query_shape)
        self._key_dense = self._dense("bkm,mvh->bkvh", (None, nkv, h), "vh", "key")
        self._key_dense._build_with(key_shape)
        if self.use_gate:
            self._gate_dense = self._dense(
                "bqm,muh->bquh", (None, nq, h), "uh", "gate", activation="sigmoid"
            )
            self._gate_dense._build_with(query_shape)
        self._value_dense = self._dense("bkm,mvh->bkvh", (None, nkv, h), "vh", "value")
        self._value_dense._build_with(value_shape)
        self._dropout_layer = Dropout(
            self.dropout, seed=self.seed, dtype=self.dtype_policy
        )
        self._output_dense = self._dense(
            "bquh,uhm->bqm", (None, query_shape[-1]), "m", "attention_output"
        )
        self._output_dense._build_with((None, None, nq, h))

    def get_build_config(self) -> dict[str, Any] | None:
        return None if self._shapes is None else {"shapes_dict": dict(self._shapes)}

    def build_from_config(self, config: dict[str, Any]) -> None:
        shapes = config.get("shapes_dict")
        if shapes and self._shapes is None:
            self.build(**shapes)
            self.built = True

    def _attend(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None,
        causal_only: bool,
        training: bool | None,
        return_scores: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        dropout = self.dropout if training else 0.0
        if not return_scores and (self.dropout == 0 or mask is None):
            out = attention_masks.fused_attention(
                query,
                key,
                value,
                mask,
                self._inverse_sqrt_head_dim,
                dropout,
                causal_only,
                self.flash_attention,
            )
            return out, None
        if causal_only:
            mask = attention_masks.causal_mask(
                query.shape[1], key.shape[1], query.device
            )
        key = key.repeat_interleave(self.num_repeats, dim=2)  # (B, Tv, heads, h)
        value = value.repeat_interleave(self.num_repeats, dim=2)
        query = query * self._inverse_sqrt_head_dim
        scores = torch.einsum("bquh,bkuh->buqk", query, key)
        if mask is not None:
            while mask.dim() < 4:
                mask = mask.unsqueeze(-3)
        scores = attention_masks.masked_softmax(scores, mask, (-1,))
        weights = self._dropout_layer(scores, training=training) if dropout else scores
        return torch.einsum("buqk,bkuh->bquh", weights, value), scores

    def call(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        key: torch.Tensor | None = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> Any:
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key is None:
            key = value
        elif key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        if self._shapes is None:
            self.build(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        if self.flash_attention and return_attention_scores:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) cannot return attention '
                "scores with flash_attention=True."
            )
        mask, causal_only = attention_masks.attention_mask_for(
            query,
            value,
            query_mask,
            value_mask,
            key_mask,
            attention_mask,
            use_causal_mask,
            self.sliding_window,
        )
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)  # (B, Tq, query_heads, head_dim)
        k = self._key_dense(key)  # (B, Tv, kv_heads, head_dim)
        v = self._value_dense(value)  # (B, Tv, kv_heads, head_dim)
        out, scores = self._attend(
            q, k, v, mask, causal_only, training, return_attention_scores
        )
        if gate is not None:
            out = out * gate
        output = self._output_dense(out)
        if query_mask is not None:
            output._keras_mask = query_mask  # also when scores are returned
        if return_attention_scores:
            return output, scores
        return output

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
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects value and key '
                "shapes equal except in the last dimension, received value shape "
                f"{tuple(value_shape)} and key shape {tuple(key_shape)}."
            )
        return tuple(query_shape)

    def compute_output_spec(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        key_shape = None if key is None else key.shape
        shape = self.compute_output_shape(query.shape, value.shape, key_shape)
        if self._shapes is None:
            self.build(query.shape, value.shape, key_shape)
        dtype = self.compute_dtype
        output = KerasTensor(shape, dtype)
        if return_attention_scores:
            kv_len = (value if key is None else key).shape[1]
            scores = (query.shape[0], self.num_query_heads, query.shape[1], kv_len)
            return output, KerasTensor(scores, dtype)
        return output

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
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.projection_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


# Keras's public name. (Keras's class is `GroupedQueryAttention`, which names
# its group in weight files, but its configs say `GroupQueryAttention`.)
GroupQueryAttention = GroupedQueryAttention
