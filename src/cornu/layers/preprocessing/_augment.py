"""The private base and helpers of the newer image augmentations.

Like every image layer, these accept Keras's dict inputs
`{"images": ..., "labels": ..., "segmentation_masks": ...,
"bounding_boxes": {"boxes": ..., "labels": ...}}`: one transformation is
drawn for the images and applied to every entry.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu import random
from cornu.layers.preprocessing._image import BaseRandomImageLayer


def unit_range(layer: str, name: str, value: Any) -> tuple[float, float]:
    """Keras's `[0, 1]` factors: `f` -> `(0, f)`; a pair is sorted."""

    def number(v: Any) -> bool:
        return isinstance(v, numbers.Real) and not isinstance(v, bool)

    if isinstance(value, (tuple, list)) and len(value) == 2 and all(map(number, value)):
        lower, upper = sorted(float(v) for v in value)
        if lower <= 1.0 and upper >= 0.0:
            return lower, upper
    elif number(value) and 0.0 <= value <= 1.0:
        return 0.0, float(value)
    raise ValueError(
        f"{layer} `{name}` must be a number or a pair of numbers in [0, 1], "
        f"received: {name}={value!r}."
    )


def where_batch(
    apply: torch.Tensor, new: torch.Tensor, old: torch.Tensor
) -> torch.Tensor:
    """`new` for the images whose `apply` flag is set, `old` for the others."""
    flag = torch.as_tensor(apply, device=old.device).reshape(-1, 1, 1, 1)
    return torch.where(flag if old.dim() == 4 else flag[0], new, old)


def box_masks(
    shape: tuple[int, ...],
    bounds: tuple[torch.Tensor, ...],
    data_format: str,
) -> torch.Tensor:
    """`(batch, h, w, c)` (or channels-first) boolean masks of the boxes
    `x0 <= x < x1`, `y0 <= y < y1`, each bound a `(batch,)` tensor."""
    x0, x1, y0, y1 = (b.reshape(-1, 1, 1) for b in bounds)
    last = data_format == "channels_last"
    height, width = (shape[-3], shape[-2]) if last else (shape[-2], shape[-1])
    channels = shape[-1] if last else shape[-3]
    ys = torch.arange(height, dtype=x0.dtype, device=x0.device)[None, :, None]
    xs = torch.arange(width, dtype=x0.dtype, device=x0.device)[None, None, :]
    inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)  # (batch, h, w)
    if last:
        return inside[..., None].expand(-1, -1, -1, channels)
    return inside[:, None].expand(-1, channels, -1, -1)


def crop_bounds(
    batch: int, length: int, ratio: torch.Tensor, seed: Any, dtype: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random `[start, end)` span of `ratio * length` inside `[0, length)`."""
    span = ratio * length
    start = random.uniform((batch,), 0.0, 1.0, dtype=dtype, seed=seed) * (length - span)
    return start, start + span


class BaseAugmentationLayer(BaseRandomImageLayer):
    """The base of the newer augmentations.

    Dict inputs and `bounding_box_format` are handled by the shared image
    base (`BaseImageLayer._transform_data`); this class keeps the helpers
    above next to the layers that use them.
    """
