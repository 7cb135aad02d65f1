"""`MultiHeadAttention`: attention with learned projections per head."""

from __future__ import annotations

import math
import string
from typing import Any

from cornu.layers.attention.base_projected_attention import (
    BaseProjectedAttention,
    check_positive_int,
)
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.regularization.dropout import Dropout


def projection_equation(free: int, bound: int, out: int) -> tuple[str, str, int]:
    """An EinsumDense equation keeping `free` axes, contracting `bound` axes
    with the kernel and producing `out` new axes: `(equation, bias_axes,
    output_rank)`, e.g. `(2, 1, 2) -> ("abc,cde->abde", "de", 4)`."""
    letters = string.ascii_lowercase
    kept = letters[:free]
    contracted = letters[free : free + bound]
    produced = letters[free + bound : free + bound + out]
    equation = f"{kept}{contracted},{contracted}{produced}->{kept}{produced}"
    return equation, produced, free + out


def attention_equations(rank: int, axes: tuple[int, ...]) -> tuple[str, str, int]:
    """Einsum equations over projected tensors of rank `rank` (batch, ...,
    heads, channels) attending over `axes`: `(dot_product, combine,
    scores_rank)`. Scores are laid out (batch axes, query axes, key axes)."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch = [i for i in range(rank) if i not in axes and i != rank - 1]
    fresh = iter(letters[rank:])
    source = "".join(
        target[i] if i in batch or i == rank - 1 else next(fresh) for i in range(rank)
    )
    product = (
        "".join(target[i] for i in batch)
        + "".join(target[i] for i in axes)
        + "".join(source[i] for i in axes)
    )
    return (
        f"{source},{target}->{product}",
        f"{product},{source}->{target}",
        len(product),
    )


class MultiHeadAttention(BaseProjectedAttention):
    """Multi-head attention (Vaswani et al., 2017), with Keras's weights.

    Query, key and value are projected by `EinsumDense` sublayers (`query`:
    kernel `(query_dim, num_heads, key_dim)`, bias `(num_heads, key_dim)`;
    `key` and `value` likewise; `attention_output`: kernel `(num_heads,
    value_dim, output_dim)`), so weights interchange with Keras. For rank-3
    inputs attending over time, without returned scores, the attention runs
    on torch's `scaled_dot_product_attention`; otherwise on einsums.

    Args:
        num_heads: the number of attention heads.
        key_dim: the size of each head for query and key.
        value_dim: the size of each head for value (default `key_dim`).
        dropout: the fraction of attention weights dropped in training.
        use_bias: whether the projections have biases.
        output_shape: the output's trailing shape (default: the query's
            last dimension).
        attention_axes: the axes attended over (default: every axis but
            batch, heads and features).
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
            query (a `gate` sublayer).
        seed: an int making the dropout reproducible.

    Call arguments:
        query: `(batch_size, Tq, query_dim)`.
        value: `(batch_size, Tv, value_dim)`.
        key: `(batch_size, Tv, key_dim)`; defaults to `value`.
        query_mask: `(batch_size, Tq)` booleans (default: `query`'s mask).
        value_mask: `(batch_size, Tv)` booleans (default: `value`'s mask).
        key_mask: `(batch_size, Tv)` booleans (default: `key`'s mask).
        attention_mask: `(batch_size, Tq, Tv)` booleans, `True` to attend.
        return_attention_scores: also return the attention weights.
        training: whether dropout applies.
        use_causal_mask: query step `i` attends to key steps `<= i`.

    Input shape:
        query `(batch_size, Tq, query_dim)`, value `(batch_size, Tv,
        value_dim)`, key `(batch_size, Tv, key_dim)`.

    Output shape:
        `(batch_size, Tq, *output_shape)`; the scores are `(batch_size,
        num_heads, Tq, Tv)`.

    Example:
    >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
    >>> mha(np.ones((2, 3, 8), "float32"), np.ones((2, 5, 6), "float32")).shape
    torch.Size([2, 3, 8])
    """

    num_heads: int
    key_dim: int
    value_dim: int
    partial_output_shape: tuple[int, ...] | None
    attention_axes: tuple[int, ...] | None

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
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
        check_positive_int(owner, "num_heads", num_heads)
        check_positive_int(owner, "key_dim", key_dim)
        check_positive_int(owner, "value_dim", value_dim, optional=True)
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        elif output_shape is not None and not isinstance(output_shape, (list, tuple)):
            raise ValueError(
                f"{owner} `output_shape` must be an int, a tuple or a list, "
                f"received: output_shape={output_shape!r}."
            )
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(
            attention_axes, (list, tuple)
        ):
            raise ValueError(
                f"{owner} `attention_axes` must be an int, a tuple or a list, "
                f"received: attention_axes={attention_axes!r}."
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
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim or key_dim
        self.partial_output_shape = tuple(output_shape) if output_shape else None
        self.attention_axes = tuple(attention_axes) if attention_axes else None

    # -- building ---------------------------------------------------------------
    def _projection(
        self,
        shape: tuple,
        heads: int,
        dim: int,
        name: str,
        activation: str | None = None,
    ) -> EinsumDense:
        equation, bias_axes, rank = projection_equation(len(shape) - 1, 1, 2)
        out = (*[None] * (rank - 3), heads, dim)
        return self._dense(equation, bias_axes, out, name, activation)

    def build(
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> None:
        if value_shape is None:
            return  # built on the first call, which knows every input's shape
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_key_shape(value_shape, key_shape)
        self._record_shapes(query_shape, value_shape, key_shape)
        # Public attribute names: the weight file paths Keras writes
        # (`query_dense/vars/0`, ...), built in Keras's weight order.
        self.query_dense = self._projection(
            query_shape, self.num_heads, self.key_dim, "query"
        )
        self.query_dense._build_with(query_shape)
        self.key_dense = self._projection(
            key_shape, self.num_heads, self.key_dim, "key"
        )
        self.key_dense._build_with(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection(
                query_shape, self.num_heads, self.value_dim, "gate", "sigmoid"
            )
            self._gate_dense._build_with(query_shape)
        self.value_dense = self._projection(
            value_shape, self.num_heads, self.value_dim, "value"
        )
        self.value_dense._build_with(value_shape)
        rank = len(value_shape) + 1  # projected: (batch, ..., heads, channels)
        axes = self.attention_axes or tuple(range(1, rank - 2))
        self.attention_axes = tuple(a if a >= 0 else rank - 1 + a for a in axes)
        self._dot_equation, self._combine_equation, scores_rank = attention_equations(
            rank, self.attention_axes
        )
        n = len(self.attention_axes)
        self._softmax_axes = tuple(range(scores_rank - n, scores_rank))
        self._dropout_layer = Dropout(
            self.dropout, seed=self.seed, dtype=self.dtype_policy
        )
        out_shape = self.partial_output_shape or (query_shape[-1],)
        equation, bias_axes, out_rank = projection_equation(
            len(query_shape) - 1, 2, len(out_shape)
        )
        self.output_dense = self._dense(
            equation,
            bias_axes,
            (*[None] * (out_rank - 1 - len(out_shape)), *out_shape),
            "attention_output",
        )
        self.output_dense._build_with(
            (*query_shape[:-1], self.num_heads, self.value_dim)
        )
        self._scale = 1.0 / math.sqrt(float(self.key_dim))

    # Keras's private names for the sublayers.
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    def compute_output_shape(
        self, query_shape: Any, value_shape: Any, key_shape: Any = None
    ) -> tuple:
        query_shape = tuple(query_shape)
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_key_shape(value_shape, key_shape)
        if self.partial_output_shape:
            return (*query_shape[:-1], *self.partial_output_shape)
        return query_shape

    def _scores_shape(self, query_shape: tuple, value_shape: tuple) -> tuple:
        q = (*query_shape[:-1], self.num_heads, self.key_dim)
        v = (*value_shape[:-1], self.num_heads, self.key_dim)
        rank = len(q)
        axes = self.attention_axes or tuple(range(1, rank - 2))
        axes = tuple(a if a >= 0 else rank - 1 + a for a in axes)
        batch = [q[i] for i in range(rank) if i not in axes and i != rank - 1]
        return (*batch, *(q[i] for i in axes), *(v[i] for i in axes))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": self.partial_output_shape,
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            **self._projection_config(),
        }
