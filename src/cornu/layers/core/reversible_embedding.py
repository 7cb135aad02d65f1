"""`ReversibleEmbedding`: an embedding that also projects back to the vocabulary."""

from __future__ import annotations

from typing import Any

import torch

from cornu import config, regularizers
from cornu.core.keras_tensor import KerasTensor
from cornu.layers.core.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An `Embedding` that can also be called in reverse, to give logits.

    Called as usual it embeds integer indices. Called with `reverse=True` it
    projects vectors of size `output_dim` back to `input_dim` logits: with
    the transposed `embeddings` when the weights are tied (the default), or
    with its own `reverse_embeddings` of shape `(output_dim, input_dim)`
    otherwise. There is no bias.

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        tie_weights: whether the reverse projection uses the transposed
            `embeddings` (`True`) or a separate trainable matrix.
        embeddings_initializer: initializer of `embeddings`, and of
            `reverse_embeddings` when the weights are not tied.
        embeddings_regularizer: regularizer of `embeddings`.
        embeddings_constraint: constraint on `embeddings`.
        mask_zero: whether index 0 is padding, masked out downstream
            (forward calls only).
        reverse_dtype: the dtype the reverse projection computes in (by
            default the layer's compute dtype); e.g. `"float32"` for full
            precision logits under mixed precision.
        logit_soft_cap: if set, reverse logits become
            `tanh(logits / logit_soft_cap) * logit_soft_cap`.
        **kwargs: the other `Embedding` arguments (`weights`, `lora_rank`,
            `lora_alpha`, `name`, `dtype`, ...).

    Call arguments:
        inputs: integer indices, or with `reverse=True` vectors whose last
            axis has size `output_dim`.
        reverse: whether to project back to `input_dim` logits.

    Input shape:
        `(batch_size, ...)`; with `reverse=True`, `(batch_size, ...,
        output_dim)`.

    Output shape:
        `(batch_size, ..., output_dim)`; with `reverse=True`,
        `(batch_size, ..., input_dim)`.

    Example:
    >>> layer = ReversibleEmbedding(100, 8)
    >>> hidden = layer(torch.tensor([[1, 2, 3]]))
    >>> hidden.shape
    torch.Size([1, 3, 8])
    >>> layer(hidden, reverse=True).shape
    torch.Size([1, 3, 100])
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Any = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ) -> None:
        if logit_soft_cap is not None and (
            isinstance(logit_soft_cap, bool)
            or not isinstance(logit_soft_cap, (int, float))
            or logit_soft_cap <= 0
        ):
            raise ValueError(
                "ReversibleEmbedding `logit_soft_cap` must be a positive number "
                f"or None, received: {logit_soft_cap!r}."
            )
        weights = kwargs.pop("weights", None)
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = (
            None if reverse_dtype is None else config.standardize_dtype(reverse_dtype)
        )
        self._reverse_torch_dtype = (
            None if reverse_dtype is None else config.torch_dtype(self.reverse_dtype)
        )
        self.logit_soft_cap = logit_soft_cap
        if weights is not None:
            self._build_with((None,))
            if not (isinstance(weights, list) and len(weights) == len(self.weights)):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
                name="reverse_embeddings",
            )

    def call(self, inputs: torch.Tensor, reverse: bool = False) -> torch.Tensor:
        if not reverse:
            outputs = super().call(inputs)
            if self.mask_zero:
                outputs._keras_mask = inputs != 0  # type: ignore[attr-defined]
            return outputs
        if self.tie_weights:
            kernel = self._with_lora(self.embeddings).T  # (output_dim, input_dim)
        else:
            kernel = self.reverse_embeddings
        want = self._reverse_torch_dtype
        if want is None:
            # Indices are not cast on the way in (autocast is off); vectors are.
            x = inputs.to(self._compute_torch_dtype)
            logits = torch.matmul(x, kernel.to(x.dtype))  # (B, ..., input_dim)
        else:
            # An explicit dtype overrides mixed precision's autocast.
            with torch.autocast(inputs.device.type, enabled=False):
                logits = torch.matmul(inputs.to(want), kernel.to(want))
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = torch.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        # `call` sets the mask itself: only forward calls have one.
        return None

    def compute_output_shape(self, input_shape: Any, reverse: bool = False) -> tuple:
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs: Any, reverse: bool = False) -> KerasTensor:
        shape = self.compute_output_shape(tuple(inputs.shape), reverse=reverse)
        dtype = self.compute_dtype
        if reverse and self.reverse_dtype is not None:
            dtype = self.reverse_dtype
        return KerasTensor(shape, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            # Keras's embeddings always write it.
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
