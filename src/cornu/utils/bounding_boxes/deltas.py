"""Box regression targets: boxes as offsets and log-scales of anchors."""

from __future__ import annotations

from typing import Any

import torch

from cornu import config
from cornu.utils.bounding_boxes.converters import _tensor, convert_format

_ENCODINGS = ("center_xywh", "center_yxhw")


def _check(name: str, encoding: str, variance: Any) -> torch.Tensor | None:
    if encoding not in _ENCODINGS:
        raise ValueError(
            f"`{name}` must be one of {_ENCODINGS}, received: {name}={encoding!r}."
        )
    if variance is None:
        return None
    variance = _tensor(variance).to(torch.float32)
    if variance.dim() == 0 or variance.shape[-1] != 4:
        raise ValueError(
            "`variance` must hold 4 values, received shape "
            f"{tuple(variance.shape)}: variance={variance.tolist()}."
        )
    return variance


def _size(image_shape: Any) -> tuple[Any, Any]:
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(
    anchors: Any,
    boxes: Any,
    anchor_format: str,
    box_format: str,
    encoding_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> torch.Tensor:
    """Encodes boxes as deltas from anchors.

    In `encoding_format`, the deltas are the centre offsets over the anchor
    size, then the log of the size ratios; divided by `variance` if given.

    Args:
        anchors: `(n, 4)` anchor boxes.
        boxes: `(n, 4)` or `(batch, n, 4)` boxes.
        anchor_format: the anchors' format.
        box_format: the boxes' format.
        encoding_format: `"center_yxhw"` (default) or `"center_xywh"`.
        variance: 4 numbers to divide the deltas by (default none).
        image_shape: `(height, width, channels)`, for relative formats.

    Returns:
        The deltas, shaped as `boxes`.

    Example:
    >>> encode_box_to_deltas([[0.0, 0.0, 10.0, 10.0]], [[0.0, 0.0, 10.0, 10.0]],
    ...     "xyxy", "xyxy").tolist()
    [[0.0, 0.0, 0.0, 0.0]]
    """
    variance = _check("encoding_format", encoding_format, variance)
    height, width = _size(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_size = anchors[..., 2:].clamp(min=config.epsilon())
    box_size = boxes[..., 2:].clamp(min=config.epsilon())
    deltas = torch.cat(
        [
            (boxes[..., :2] - anchors[..., :2]) / anchor_size,
            torch.log(box_size / anchor_size),
        ],
        dim=-1,
    )
    return deltas if variance is None else deltas / variance.to(deltas.device)


def decode_deltas_to_boxes(
    anchors: Any,
    boxes_delta: Any,
    anchor_format: str,
    box_format: str,
    encoded_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> Any:
    """Decodes deltas from anchors back into boxes (the inverse of
    `encode_box_to_deltas`).

    Args:
        anchors: `(n, 4)` anchors, or a dict of them by feature level.
        boxes_delta: `(n, 4)` or `(batch, n, 4)` deltas, or a dict with the
            same keys as `anchors`.
        anchor_format: the anchors' format.
        box_format: the format of the returned boxes.
        encoded_format: `"center_yxhw"` (default) or `"center_xywh"`.
        variance: 4 numbers the deltas are multiplied by (default none).
        image_shape: `(height, width, channels)`, for relative formats.

    Returns:
        The boxes (a dict of them for dict inputs).

    Example:
    >>> decode_deltas_to_boxes([[0.0, 0.0, 10.0, 10.0]], [[0.1, 0.0, 0.0, 0.0]],
    ...     "xyxy", "xyxy").tolist()
    [[0.0, 1.0, 10.0, 11.0]]
    """
    variance = _check("encoded_format", encoded_format, variance)
    height, width = _size(image_shape)

    def decode(anchor: Any, delta: Any) -> torch.Tensor:
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = _tensor(delta)
        if variance is not None:
            delta = delta * variance.to(delta.device)
        box = torch.cat(
            [
                delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                torch.exp(delta[..., 2:]) * anchor[..., 2:],
            ],
            dim=-1,
        )
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(a, boxes_delta[level]) for level, a in anchors.items()}
    return decode(anchors, boxes_delta)
