"""Overlap measures of bounding boxes: IoU tables and complete IoU."""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu import config
from cornu.utils.bounding_boxes.converters import _tensor, convert_format


def _size(image_shape: Any) -> tuple[Any, Any]:
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def compute_iou(
    boxes1: Any,
    boxes2: Any,
    bounding_box_format: str,
    use_masking: bool = False,
    mask_val: float = -1,
    image_shape: Any = None,
) -> torch.Tensor:
    """The table of intersection over union of every pair of boxes.

    `(m, 4)` and `(n, 4)` boxes give `(m, n)`; when either is batched,
    `(batch, m, n)`.

    Args:
        boxes1: `(m, 4)` or `(batch, m, 4)` boxes.
        boxes2: `(n, 4)` or `(batch, n, 4)` boxes.
        bounding_box_format: the boxes' format (e.g. `"xyxy"`).
        use_masking: give `mask_val` to pairs where a box has all four
            values negative (padding).
        mask_val: the value of masked pairs (default `-1`).
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The IoU table.

    Example:
    >>> compute_iou([[0.0, 0.0, 2.0, 2.0]], [[1.0, 0.0, 3.0, 2.0]], "xyxy").tolist()
    [[0.3333333432674408]]
    """
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        rank = _tensor(boxes).dim()
        if rank not in (2, 3):
            raise ValueError(
                f"compute_iou() expects `{name}` of rank 2 `(n, 4)` or 3 "
                f"`(batch, n, 4)`, received rank {rank}."
            )
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "compute_iou() needs `image_shape` for the relative format "
            f"{bounding_box_format!r}, received image_shape=None."
        )
    height, width = _size(image_shape)
    a = convert_format(boxes1, bounding_box_format, "yxyx", height, width)
    b = convert_format(boxes2, bounding_box_format, "yxyx", height, width)
    a_top, a_left, a_bottom, a_right = a.split(1, dim=-1)  # (..., m, 1)
    b_top, b_left, b_bottom, b_right = (
        v.transpose(-1, -2) for v in b.split(1, dim=-1)
    )  # (..., 1, n)
    inter_h = (torch.minimum(a_bottom, b_bottom) - torch.maximum(a_top, b_top)).clamp(
        min=0
    )
    inter_w = (torch.minimum(a_right, b_right) - torch.maximum(a_left, b_left)).clamp(
        min=0
    )
    intersection = inter_h * inter_w  # (..., m, n)
    area_a = (a_bottom - a_top) * (a_right - a_left)  # (..., m, 1)
    area_b = (b_bottom - b_top) * (b_right - b_left)  # (..., 1, n)
    iou = intersection / (area_a + area_b - intersection + config.epsilon())
    if not use_masking:
        return iou
    padded_a = a.amax(-1, keepdim=True) < 0
    padded_b = (b.amax(-1, keepdim=True) < 0).transpose(-1, -2)
    return torch.where(padded_a | padded_b, torch.full_like(iou, mask_val), iou)


def compute_ciou(
    boxes1: Any, boxes2: Any, bounding_box_format: str, image_shape: Any = None
) -> torch.Tensor:
    """The complete IoU of matching boxes: IoU less a centre-distance term
    and an aspect-ratio term.

    Args:
        boxes1: `(..., 4)` boxes.
        boxes2: `(..., 4)` boxes, broadcastable against `boxes1`.
        bounding_box_format: an absolute format (relative ones are refused,
            as Keras does).
        image_shape: `(height, width, channels)`; unused by absolute formats.

    Returns:
        The CIoU of each pair, shaped as the boxes without the last axis.

    Example:
    >>> compute_ciou([[0.0, 0.0, 2.0, 2.0]], [[0.0, 0.0, 2.0, 2.0]], "xyxy").tolist()
    [1.0]
    """
    if "rel" in bounding_box_format:
        raise ValueError(
            "compute_ciou() supports absolute formats only, received "
            f"bounding_box_format={bounding_box_format!r}."
        )
    height, width = _size(image_shape)
    a = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    b = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    eps = config.epsilon()
    ax1, ay1, ax2, ay2 = a[..., :4].unbind(-1)
    bx1, by1, bx2, by2 = b[..., :4].unbind(-1)
    w1, h1 = ax2 - ax1, ay2 - ay1 + eps
    w2, h2 = bx2 - bx1, by2 - by1 + eps
    inter = (torch.minimum(ax2, bx2) - torch.maximum(ax1, bx1)).clamp(min=0) * (
        torch.minimum(ay2, by2) - torch.maximum(ay1, by1)
    ).clamp(min=0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / (union + eps)
    hull_w = torch.maximum(ax2, bx2) - torch.minimum(ax1, bx1)
    hull_h = torch.maximum(ay2, by2) - torch.minimum(ay1, by1)
    diagonal = hull_w**2 + hull_h**2 + eps
    centres = ((ax1 + ax2) / 2 - (bx1 + bx2) / 2) ** 2 + (
        (ay1 + ay2) / 2 - (by1 + by2) / 2
    ) ** 2
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres / diagonal + v * alpha)
