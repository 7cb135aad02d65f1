"""The private base of `MultiHeadAttention` and `GroupedQueryAttention`."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu import constraints, initializers, regularizers
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.attention import attention_masks
from cornu.layers.core.einsum_dense import EinsumDense


def check_positive_int(
    owner: str, name: str, value: Any, optional: bool = False
) -> None:
    """Raises unless `value` is a positive int (or None, when `optional`)."""
    if optional and value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        extra = " or None" if optional else ""
        raise ValueError(
            f"{owner} `{name}` must be a positive integer{extra}, received: "
            f"{name}={value!r}."
        )


class BaseProjectedAttention(Layer):
    """Attention between query, key and value projected per head.

    This base holds the arguments the projections share, the call (masks,
    projections, attention, gate, output projection) and the attention over
    the projected `(batch, ..., heads, channels)` tensors. A subclass
    validates its own arguments, then calls this `__init__`; its `build`
    creates the `EinsumDense` sublayers `_query_dense`, `_key_dense`,
    `_value_dense`, `_output_dense` (and `_gate_dense` with `use_gate`) and
    sets `_scale` (the factor of the queries), `_dot_equation` (key, query
    -> scores), `_combine_equation` (scores, value -> output) and
    `_softmax_axes` (the key axes of the scores).
    """

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
    _scale: float
    _dot_equation: str
    _combine_equation: str
    _softmax_axes: tuple[int, ...]
    _query_dense: EinsumDense
    _key_dense: EinsumDense
    _value_dense: EinsumDense
    _output_dense: EinsumDense
    _gate_dense: EinsumDense
    _dropout_layer: Layer

    def __init__(
        self,
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
        check_positive_int(owner, "sliding_window", sliding_window, optional=True)
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
        self._shapes: dict[str, Any] | None = None

    # -- building ---------------------------------------------------------------
    def build(
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> None:
        raise NotImplementedError

    def _dense(
        self,
        equation: str,
        bias_axes: str,
        shape: tuple,
        name: str,
        activation: str | None = None,
    ) -> EinsumDense:
        """A projection sublayer with the layer's initializers and the rest."""
        return EinsumDense(
            equation,
            output_shape=shape,
            activation=activation,
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
        )

    def _record_shapes(
        self, query_shape: tuple, value_shape: tuple, key_shape: tuple
    ) -> None:
        """Keeps the input shapes `build` was given, for `get_build_config`."""
        self._shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape != value_shape:
            self._shapes["key_shape"] = key_shape

    def _check_key_shape(self, value_shape: Any, key_shape: Any) -> None:
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects value and key '
                "shapes equal except in the last dimension, received value shape "
                f"{tuple(value_shape)} and key shape {tuple(key_shape)}."
            )

    def get_build_config(self) -> dict[str, Any] | None:
        return None if self._shapes is None else {"shapes_dict": dict(self._shapes)}

    def build_from_config(self, config: dict[str, Any]) -> None:
        shapes = config.get("shapes_dict")
        if shapes and self._shapes is None:
            self.build(**shapes)
            self.built = True

    # -- computing --------------------------------------------------------------
    def _key_value_heads(self, x: torch.Tensor) -> torch.Tensor:
        """Projected keys or values with as many heads as the queries."""
        return x

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
        """Attention over projected `(batch, ..., heads, channels)` tensors."""
        dropout = self.dropout if training else 0.0
        # Keras's fused-path condition; with dropout, only where no query row
        # can be fully masked (the two paths differ on such rows).
        fused = (
            query.dim() == 4
            and not return_scores
            and (self.dropout == 0 or mask is None)
        )
        if fused:
            out = attention_masks.fused_attention(
                query,
                key,
                value,
                mask,
                self._scale,
                dropout,
                causal_only,
                self.flash_attention,
            )
            return out, None
        if causal_only:
            mask = attention_masks.causal_mask(
                query.shape[1], key.shape[1], query.device
            )
        key, value = self._key_value_heads(key), self._key_value_heads(value)
        query = query * self._scale
        scores = torch.einsum(self._dot_equation, key, query)
        if mask is not None:
            at = -2 * len(self._softmax_axes) - 1  # before the query axes
            while mask.dim() < scores.dim():
                mask = mask.unsqueeze(at)
        scores = attention_masks.masked_softmax(scores, mask, self._softmax_axes)
        weights = self._dropout_layer(scores, training=training) if dropout else scores
        return torch.einsum(self._combine_equation, weights, value), scores

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
        q = self._query_dense(query)  # (B, Tq, heads, key_dim)
        k = self._key_dense(key)  # (B, Tv, kv_heads, key_dim)
        v = self._value_dense(value)  # (B, Tv, kv_heads, value_dim)
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

    def _scores_shape(self, query_shape: tuple, value_shape: tuple) -> tuple:
        raise NotImplementedError

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
            scores = self._scores_shape(tuple(query.shape), tuple(value.shape))
            return output, KerasTensor(scores, dtype)
        return output

    def _projection_config(self) -> dict[str, Any]:
        """The config of the projections' initializers, regularizers and the rest."""
        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.projection_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }
