"""`to_categorical` and `normalize`, as in `keras.utils`."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def to_categorical(x: Any, num_classes: int | None = None) -> Any:
    """One-hot encodes integer class labels.

    Args:
        x: integer labels (any shape; a trailing axis of size 1 is dropped).
        num_classes: the number of classes (default: `max(x) + 1`).

    Returns:
        A float32 array (or tensor, for tensor input) of shape
        `x.shape + (num_classes,)`.

    Example:
    >>> to_categorical([0, 2], num_classes=3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if isinstance(x, torch.Tensor):
        labels = x.long()
        if labels.dim() > 1 and labels.shape[-1] == 1:
            labels = labels.squeeze(-1)
        n = int(num_classes) if num_classes is not None else int(labels.max()) + 1
        return torch.nn.functional.one_hot(labels, n).float()
    ids = np.asarray(x, dtype="int64")
    if ids.ndim > 1 and ids.shape[-1] == 1:
        ids = ids[..., 0]
    n = int(num_classes) if num_classes is not None else int(ids.max()) + 1
    if ids.size > 0 and (ids.min() < 0 or ids.max() >= n):
        raise ValueError(
            f"Labels must be in [0, {n}) for num_classes={n}; received values "
            f"from {ids.min()} to {ids.max()}."
        )
    out = np.zeros((*ids.shape, n), dtype="float32")
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """Scales `x` to unit `order`-norm along `axis` (zero vectors stay zero)."""
    if isinstance(x, torch.Tensor):
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / torch.where(norm == 0, torch.ones_like(norm), norm)
    arr = np.asarray(x, dtype="float32" if np.asarray(x).dtype.kind != "f" else None)
    norm = np.linalg.norm(arr, ord=order, axis=axis, keepdims=True)
    return arr / np.where(norm == 0, 1, norm)
