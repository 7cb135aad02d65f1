"""Checks and densifies the `{"boxes", "labels"}` dicts of bounding boxes."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def validate_bounding_boxes(bounding_boxes: Any, require_labels: bool = True) -> None:
    """Raises `ValueError` unless `bounding_boxes` is a dict of `"boxes"`
    (rank 2 or 3, or nested lists) and matching `"labels"` (which may be
    missing when `require_labels` is false)."""
    keys = ("boxes", "labels") if require_labels else ("boxes",)
    if not isinstance(bounding_boxes, dict) or any(
        k not in bounding_boxes for k in keys
    ):
        raise ValueError(
            f"`bounding_boxes` must be a dict with keys {keys}, received: "
            f"{bounding_boxes!r}."
        )
    boxes, labels = bounding_boxes["boxes"], bounding_boxes.get("labels")
    if isinstance(boxes, list):
        if labels is not None and (
            not isinstance(labels, list) or len(labels) != len(boxes)
        ):
            raise ValueError(
                "`bounding_boxes['boxes']` is a list, so `bounding_boxes['labels']` "
                f"must be a list of the same length, received: labels={labels!r}."
            )
        return
    box_rank = np.ndim(boxes)
    if box_rank not in (2, 3):
        raise ValueError(
            "`bounding_boxes['boxes']` must have rank 2 `(num_boxes, 4)` or 3 "
            f"`(batch, num_boxes, 4)`, received shape {tuple(np.shape(boxes))}."
        )
    if labels is not None and np.ndim(labels) not in (box_rank - 1, box_rank):
        raise ValueError(
            f"`bounding_boxes['labels']` must have rank {box_rank - 1} or "
            f"{box_rank} for boxes of shape {tuple(np.shape(boxes))}, received "
            f"shape {tuple(np.shape(labels))}."
        )


def _pad_lists(boxes: list, labels: list, fill: float, label_fill: int):
    longest = max((len(b) for b in boxes), default=0)
    boxes = [list(b) + [[fill] * 4] * (longest - len(b)) for b in boxes]
    labels = [list(x) + [label_fill] * (longest - len(x)) for x in labels]
    return boxes, labels


def _tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    return torch.as_tensor(np.asarray(value))


def densify_bounding_boxes(
    bounding_boxes: dict[str, Any],
    is_batched: bool = False,
    boxes_default_value: float = 0,
    labels_default_value: int = -1,
) -> dict[str, Any]:
    """Boxes as a float32 tensor and labels (when given) as a tensor.

    Batched boxes given as lists of per-image lists of differing lengths are
    padded with `boxes_default_value` (labels with `labels_default_value`).
    """
    validate_bounding_boxes(bounding_boxes, require_labels=False)
    boxes, labels = bounding_boxes["boxes"], bounding_boxes.get("labels")
    out = dict(bounding_boxes)
    ragged = (
        is_batched
        and isinstance(boxes, list)
        and any(isinstance(b, list) and b and isinstance(b[0], list) for b in boxes)
    )
    if ragged and labels is not None:
        boxes, labels = _pad_lists(
            boxes, labels, boxes_default_value, labels_default_value
        )
        out["boxes"] = torch.tensor(boxes, dtype=torch.float32).reshape(
            len(boxes), -1, 4
        )
        out["labels"] = torch.tensor(labels, dtype=torch.int32)
        return out
    out["boxes"] = _tensor(boxes).to(torch.float32)
    if labels is not None:
        out["labels"] = _tensor(labels)
    return out
