"""`Embedding`: maps integer indices to dense vectors."""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from cornu import constraints, initializers, regularizers
from cornu.core.layer import Layer
from cornu.layers.core.lora import LoraMixin
from cornu.layers.core.quantization import EmbeddingQuantization


def _check_positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Embedding `{name}` must be a positive integer, received: {value!r}."
        )


class Embedding(EmbeddingQuantization, LoraMixin, Layer):
    """Turns non-negative integer indices into dense vectors of a fixed size.

    The weight `embeddings` has shape `(input_dim, output_dim)`, the layout of
    `torch.nn.Embedding.weight`; row `i` is the vector of index `i`.

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        embeddings_initializer: initializer of the matrix (`"uniform"`).
        embeddings_regularizer: regularizer of the matrix.
        embeddings_constraint: constraint on the matrix.
        mask_zero: whether index 0 is padding, to be masked out downstream
            (then index 0 is not a word: `input_dim` is vocabulary size + 1).
        weights: an optional initial matrix of shape `(input_dim, output_dim)`.
        lora_rank: if set, LoRA of this rank is enabled at build (see
            `enable_lora`): `embeddings` is frozen and a trainable low-rank
            update is added to it.
        lora_alpha: scales the LoRA update by `lora_alpha / lora_rank`
            (default `lora_rank`).
        quantization_config: an `Int8QuantizationConfig` (or its dict),
            used when the layer is (or gets) quantized; see `quantize`.

    Call arguments:
        inputs: an integer tensor of indices (floats are truncated).

    Input shape:
        `(batch_size, ...)`, e.g. `(batch_size, sequence_length)`.

    Output shape:
        `(batch_size, ..., output_dim)`; with `mask_zero`, the output mask
        is `inputs != 0`.

    Example:
    >>> layer = Embedding(10, 4)
    >>> layer(torch.tensor([[1, 2, 3]])).shape
    torch.Size([1, 3, 4])
    """

    _lora_weight = "embeddings"

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        _check_positive_int("input_dim", input_dim)
        _check_positive_int("output_dim", output_dim)
        if kwargs.pop("input_length", None) is not None:
            warnings.warn(
                "Embedding argument `input_length` is deprecated and ignored; "
                "remove it.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self._init_lora(lora_rank, lora_alpha)
        self._init_quantization(quantization_config)
        # Indices must not be cast to the float compute dtype.
        self.autocast = False
        if weights is not None:
            self._build_with((None,))
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype is not torch.int64 and inputs.dtype is not torch.int32:
            inputs = inputs.long()
        outputs = F.embedding(
            inputs, self._with_lora(self.embeddings)
        )  # (B, ..., output_dim)
        want = self._compute_torch_dtype
        return outputs if outputs.dtype is want else outputs.to(want)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return inputs != 0 if self.mask_zero else None

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(
                self.embeddings_initializer
            ),
            "embeddings_regularizer": regularizers.serialize(
                self.embeddings_regularizer
            ),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": self._serialized_quantization_config(),
        }
        return config
