"""Helpers shared by the metric families: input conversion, rank matching, masks.

Everything here runs inside `update_state`, on the device, without reading a
value back to the host.
"""

from __future__ import annotations

from typing import Any

import torch

from cornu import config
from cornu.ops.core import convert_to_tensor


def floatx() -> torch.dtype:
    """The default float type, as a torch dtype."""
    return config.torch_dtype(config.floatx())


def to_tensor(
    x: Any, dtype: torch.dtype | None = None, device: torch.device | None = None
) -> torch.Tensor:
    """Returns `x` as a tensor on `device`, cast to `dtype` when given.

    Tensors already in place pass through untouched (`Tensor.to` is then a
    no-op), so the common case costs nothing.
    """
    if not isinstance(x, torch.Tensor):
        nested = isinstance(x, (list, tuple))
        x = convert_to_tensor(x)
        if nested and dtype is None and x.dtype == torch.float64:
            # Python floats mean `floatx`, however deeply nested.
            x = x.to(floatx())
    return x.to(device=device, dtype=dtype)


def get_mask(x: Any) -> torch.Tensor | None:
    """The Keras mask a layer attached to `x`, if any."""
    return getattr(x, "_keras_mask", None)


def squeeze_or_expand_to_same_rank(
    x1: torch.Tensor, x2: torch.Tensor, expand_rank_1: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Matches ranks that differ by one through a trailing axis of size 1.

    The higher-rank tensor loses its trailing 1, except when the other is a
    vector and `expand_rank_1` is set: then the vector gains one (so `(B,)`
    labels meet `(B, 1)` predictions as `(B, 1)`, as in Keras).
    """
    r1, r2 = x1.dim(), x2.dim()
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def float_pair(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels and predictions as tensors of one float dtype and equal rank.

    Integer predictions become `floatx`; the labels take the predictions'
    dtype and device.
    """
    y_pred = to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(floatx())
    y_true = to_tensor(y_true, y_pred.dtype, y_pred.device)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def divide_no_nan(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`x / y`, with 0 wherever `y` is 0."""
    return torch.where(y == 0, torch.zeros_like(x), x / y)


def apply_mask(
    sample_weight: torch.Tensor | None,
    mask: torch.Tensor | None,
    dtype: torch.dtype,
) -> torch.Tensor | None:
    """Folds a Keras mask into the sample weights (masked entries weigh 0)."""
    if mask is None:
        return sample_weight
    float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = sample_weight.to(dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(
        float_mask, sample_weight
    )
    return sample_weight * float_mask


def loss_function(name: str) -> Any:
    """The function `name` of `cornu.losses`, looked up when a metric is built.

    Metrics and losses are peers: importing `cornu.losses` at use rather
    than at import keeps `cornu.metrics` importable on its own.
    """
    from cornu import losses

    return getattr(losses, name)
