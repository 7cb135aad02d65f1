"""Categorical encodings shared by the preprocessing layers."""

from __future__ import annotations

import torch
import torch.nn.functional as F

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def one_hot(x: torch.Tensor, depth: int, dtype: torch.dtype) -> torch.Tensor:
    """`(*shape)` ints -> `(*shape, depth)`; values outside `[0, depth)` are all 0."""
    x = x.long()
    valid = (x >= 0) & (x < depth)
    out = F.one_hot(torch.where(valid, x, 0), depth).to(dtype)
    return out * valid.unsqueeze(-1).to(dtype)


def encode_categorical(
    x: torch.Tensor,
    output_mode: str,
    depth: int,
    dtype: torch.dtype,
    count_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Keras's encodings of integer ids in `[0, depth)`.

    `"one_hot"` adds an axis (replacing a trailing axis of size 1);
    `"multi_hot"` and `"count"` reduce axis 1 (axis 0 for rank 1), marking
    presence or counting occurrences (weighted by `count_weights`).
    """
    if output_mode == "int":
        return x.to(dtype)
    if x.dim() == 0:
        x = x.unsqueeze(-1)
    if output_mode == "one_hot":
        if x.dim() > 1 and x.shape[-1] == 1:
            x = x.squeeze(-1)
        return one_hot(x, depth, dtype)
    axis = 1 if x.dim() > 1 else 0
    if output_mode == "multi_hot":
        return one_hot(x, depth, dtype).amax(dim=axis)
    if count_weights is not None:
        dtype = count_weights.dtype
    encoded = one_hot(x, depth, dtype)
    if count_weights is not None:
        encoded = encoded * count_weights.unsqueeze(-1)
    return encoded.sum(dim=axis)
