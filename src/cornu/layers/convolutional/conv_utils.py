"""Shared helpers for convolution and pooling: argument checks, padding."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from cornu import config


def normalize_tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    """`3` -> `(3, 3)`; a sequence must have `n` positive ints."""
    if isinstance(value, int):
        values: tuple[int, ...] = (value,) * n
    else:
        values = tuple(int(v) for v in value)
    if len(values) != n or any(v <= 0 for v in values):
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} positive integers. "
            f"Received: {value!r}."
        )
    return values


def normalize_data_format(value: str | None) -> str:
    value = (value or config.image_data_format()).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: {value!r}."
        )
    return value


def normalize_padding(value: str, allowed: tuple[str, ...]) -> str:
    value = str(value).lower()
    if value not in allowed:
        raise ValueError(f"`padding` must be one of {allowed}. Received: {value!r}.")
    return value


def to_channels_first(x: torch.Tensor) -> torch.Tensor:
    """(B, *spatial, C) -> (B, C, *spatial) as a view (channels-last memory)."""
    return x.movedim(-1, 1)


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.movedim(1, -1)


def same_padding(
    in_size: int, kernel: int, stride: int, dilation: int
) -> tuple[int, int]:
    """TensorFlow/Keras "same": output size ceil(in / stride), extra pad at the end."""
    out = math.ceil(in_size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - in_size, 0)
    return total // 2, total - total // 2


def pad_for(
    x: torch.Tensor,
    padding: str,
    kernel: tuple[int, ...],
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    value: float = 0.0,
) -> tuple[torch.Tensor, tuple[int, ...] | int]:
    """Returns (input, padding argument) for a channels-first torch op.

    Symmetric "same" padding is passed to the kernel; asymmetric padding
    (stride > 1 with an even total) needs an explicit `F.pad`.
    """
    n = len(kernel)
    if padding == "valid":
        return x, 0
    spatial = x.shape[2:]
    if padding == "causal":
        left = (kernel[0] - 1) * dilation[0]
        return F.pad(x, (left, 0), value=value), 0
    pads = [
        same_padding(spatial[i], kernel[i], strides[i], dilation[i]) for i in range(n)
    ]
    if all(a == b for a, b in pads):
        return x, tuple(a for a, _ in pads)
    flat: list[int] = []
    for before, after in reversed(pads):
        flat += [before, after]
    return F.pad(x, flat, value=value), 0


def conv_output_length(
    length: int | None, kernel: int, padding: str, stride: int, dilation: int = 1
) -> int | None:
    if length is None:
        return None
    if padding in ("same", "causal"):
        return math.ceil(length / stride)
    extent = (kernel - 1) * dilation + 1
    return max((length - extent) // stride + 1, 0)
