"""`CategoryEncoding`: one-hot, multi-hot or count encoding of integer ids."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.preprocessing._encoding import encode_categorical


class CategoryEncoding(Layer):
    """Encodes integer ids in `[0, num_tokens)` as dense vectors.

    `"one_hot"`: each id becomes a row of `num_tokens` (a trailing axis of
    size 1 is replaced). `"multi_hot"` (default): each sample (axis 1)
    becomes one row marking which ids occur. `"count"`: the same row counting
    occurrences, optionally weighted by `count_weights`. Ids outside the
    range encode to zeros.

    Args:
        num_tokens: the number of ids; the size of the output's last axis.
        output_mode: `"multi_hot"` (default; `"binary"` is an alias),
            `"one_hot"` or `"count"`.
        sparse: must be `False` (dense outputs only).

    Call arguments:
        inputs: integer ids.
        count_weights: weights of the ids' occurrences, shaped like
            `inputs`, for `output_mode="count"`.

    Input shape:
        `(batch,)` or `(batch, ids)`.

    Output shape:
        `(batch, num_tokens)`; for `"one_hot"`, `(*input_shape, num_tokens)`.

    Example:
    >>> import numpy as np
    >>> CategoryEncoding(4)(np.array([[0, 1], [1, 3]])).tolist()
    [[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    """

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(
                "CategoryEncoding `output_mode` must be 'multi_hot', 'one_hot' or "
                f"'count', received: output_mode={output_mode!r}."
            )
        if (
            not isinstance(num_tokens, int)
            or isinstance(num_tokens, bool)
            or num_tokens < 1
        ):
            raise ValueError(
                "CategoryEncoding `num_tokens` must be a positive integer, "
                f"received: num_tokens={num_tokens!r}."
            )
        if sparse:
            raise ValueError("CategoryEncoding(sparse=True) is not supported.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse
        self.autocast = False

    def call(self, inputs: Any, count_weights: Any = None) -> torch.Tensor:
        x = torch.as_tensor(inputs)
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f'Layer "{self.name}" (CategoryEncoding) uses `count_weights` '
                    f"only with output_mode='count', not {self.output_mode!r}."
                )
            count_weights = torch.as_tensor(
                count_weights, dtype=self._compute_torch_dtype, device=x.device
            )
        return encode_categorical(
            x,
            self.output_mode,
            self.num_tokens,
            self._compute_torch_dtype,
            count_weights,
        )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if not shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return (*shape, self.num_tokens)
        return (*shape[:-1], self.num_tokens)

    def compute_output_spec(self, inputs: Any, count_weights: Any = None) -> Any:
        return KerasTensor(
            self.compute_output_shape(inputs.shape), dtype=self.compute_dtype
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
        }
