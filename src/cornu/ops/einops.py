"""`keras.ops.rearrange`: einops-style axis rearrangement (reshape + permute)."""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from cornu.ops.core import keras_op
from cornu.ops.numpy import _t

_TOKEN = re.compile(r"\(([^)]*)\)|(\S+)")


def _groups(side: str) -> list[list[str]]:
    """`"b (h w) c"` -> `[["b"], ["h", "w"], ["c"]]`."""
    return [
        m.group(1).split() if m.group(1) is not None else [m.group(2)]
        for m in _TOKEN.finditer(side.strip())
    ]


@keras_op("Rearrange")
def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> torch.Tensor:
    """Reorders, merges and splits axes following an einops pattern.

    Args:
        tensor: the input.
        pattern: e.g. `"b h w c -> b c h w"` or `"b (h w) c -> b h w c"`.
        **axes_lengths: sizes of axes split out of a group (one per group
            may be inferred).

    Returns:
        The rearranged tensor (a view where possible).

    Example:
        >>> rearrange(torch.zeros(2, 3, 4), "b h w -> b (h w)").shape
        torch.Size([2, 12])
    """
    x = _t(tensor)
    if "->" not in pattern:
        raise ValueError(f"`pattern` must contain '->', received: {pattern!r}.")
    left, right = (_groups(s) for s in pattern.split("->"))
    if len(left) != x.ndim:
        raise ValueError(
            f"The pattern {pattern!r} names {len(left)} input axes but the input "
            f"has shape {tuple(x.shape)}."
        )
    sizes: dict[str, int] = {}
    for group, dim in zip(left, x.shape):
        known = [a for a in group if a in axes_lengths]
        unknown = [a for a in group if a not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(
                f"Cannot infer the sizes of {unknown} in {pattern!r}: pass them "
                "as keyword arguments."
            )
        for a in known:
            sizes[a] = int(axes_lengths[a])
        if unknown:
            sizes[unknown[0]] = dim // math.prod(sizes[a] for a in known)
    flat_left = [a for g in left for a in g]
    flat_right = [a for g in right for a in g]
    if sorted(flat_left) != sorted(flat_right):
        raise ValueError(
            f"The pattern {pattern!r} must use the same axes on both sides."
        )
    y = x.reshape([sizes[a] for a in flat_left])
    y = y.permute([flat_left.index(a) for a in flat_right])
    return y.reshape([math.prod(sizes[a] for a in g) for g in right])


__all__ = [
    "rearrange",
]
