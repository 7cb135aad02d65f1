"""The bounding box formats: the order and meaning of a box's four numbers.

Absolute formats hold pixels; the `rel_` ones hold fractions of the image
width (x values) and height (y values).
"""

from __future__ import annotations

import torch

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def split(boxes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The four `(..., 1)` columns of `(..., 4)` boxes."""
    return tuple(boxes.split(1, dim=-1))


def to_xyxy(boxes: torch.Tensor, fmt: str) -> torch.Tensor:
    """Boxes of an absolute (or, unscaled, a relative) format -> corners."""
    a, b, c, d = split(boxes)
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return torch.cat([b, a, d, c], dim=-1)
    if fmt == "xywh":
        return torch.cat([a, b, a + c, b + d], dim=-1)
    if fmt == "center_xywh":
        return torch.cat([a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0], dim=-1)
    # center_yxhw: (cy, cx, h, w)
    return torch.cat([b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0], dim=-1)


def from_xyxy(boxes: torch.Tensor, fmt: str) -> torch.Tensor:
    """Corners -> boxes of an absolute (or, unscaled, a relative) format."""
    x1, y1, x2, y2 = split(boxes)
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return torch.cat([y1, x1, y2, x2], dim=-1)
    w, h = x2 - x1, y2 - y1
    if fmt == "xywh":
        return torch.cat([x1, y1, w, h], dim=-1)
    cx, cy = x1 + w / 2.0, y1 + h / 2.0
    if fmt == "center_xywh":
        return torch.cat([cx, cy, w, h], dim=-1)
    return torch.cat([cy, cx, h, w], dim=-1)  # center_yxhw
