"""Conversions and geometric edits of bounding boxes (`keras.utils.bounding_boxes`).

Every function takes torch tensors, NumPy arrays or nested lists and
returns torch tensors. Boxes are `(num_boxes, 4)` or `(batch, num_boxes, 4)`.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu import config
from cornu.utils.bounding_boxes import formats
from cornu.utils.bounding_boxes.formats import SUPPORTED_FORMATS


def _tensor(value: Any) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else torch.as_tensor(value)


def _number(value: Any, like: torch.Tensor) -> Any:
    """A size as a tensor of `like`'s dtype (python numbers stay numbers)."""
    if isinstance(value, (int, float)):
        return float(value) if like.is_floating_point() else value
    return _tensor(value).to(device=like.device, dtype=like.dtype)


def _scale_columns(boxes: torch.Tensor, sx: Any, sy: Any, divide: bool) -> torch.Tensor:
    """Columns 0 and 2 times (or over) `sx`, columns 1 and 3 `sy`."""
    a, b, c, d = formats.split(boxes)
    if divide:
        return torch.cat([a / sx, b / sy, c / sx, d / sy], dim=-1)
    return torch.cat([a * sx, b * sy, c * sx, d * sy], dim=-1)


def convert_format(
    boxes: Any,
    source: str,
    target: str,
    height: Any = None,
    width: Any = None,
    dtype: Any = "float32",
) -> Any:
    """Converts bounding boxes from one format to another.

    Formats (case-insensitive): `"xyxy"` (left, top, right, bottom),
    `"yxyx"`, `"xywh"` (left, top, width, height), `"center_xywh"`,
    `"center_yxhw"`, and the relative `"rel_xyxy"`, `"rel_yxyx"`,
    `"rel_xywh"`, `"rel_center_xywh"` (fractions of the image size).

    Args:
        boxes: boxes `(..., 4)`, or a dict whose `"boxes"` are converted
            (other entries are kept).
        source: the boxes' format.
        target: the format to return.
        height: the image height; needed when either format is relative.
        width: the image width; needed when either format is relative.
        dtype: the dtype of the result (default `"float32"`).

    Returns:
        The converted boxes (or a dict holding them).

    Example:
    >>> convert_format([[10, 20, 30, 40]], "xyxy", "xywh").tolist()
    [[10.0, 20.0, 20.0, 20.0]]
    """
    if isinstance(boxes, dict):
        converted = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return {**boxes, "boxes": converted}
    boxes = _tensor(boxes)
    if boxes.dim() == 0 or boxes.shape[-1] != 4:
        raise ValueError(
            "convert_format() expects `boxes` with a last dimension of 4, "
            f"received shape {tuple(boxes.shape)}."
        )
    source, target = source.lower(), target.lower()
    for name, value in (("source", source), ("target", target)):
        if value not in SUPPORTED_FORMATS:
            raise ValueError(
                f"convert_format() `{name}` must be one of {SUPPORTED_FORMATS}, "
                f"received: {name}={value!r}."
            )
    relative = source.startswith("rel_"), target.startswith("rel_")
    if any(relative) and (height is None or width is None):
        raise ValueError(
            "convert_format() needs `height` and `width` to convert between "
            f"relative and absolute formats, received source={source!r}, "
            f"target={target!r}, height={height}, width={width}."
        )
    boxes = boxes.to(config.torch_dtype(dtype))
    if source == target:
        return boxes
    if all(relative):  # both relative: no scaling needed
        return formats.from_xyxy(formats.to_xyxy(boxes, source[4:]), target[4:])
    xyxy = formats.to_xyxy(boxes, source.removeprefix("rel_"))
    if not any(relative):
        return formats.from_xyxy(xyxy, target)
    sx, sy = _number(width, boxes), _number(height, boxes)
    if relative[0]:
        return formats.from_xyxy(_scale_columns(xyxy, sx, sy, divide=False), target)
    out = formats.from_xyxy(xyxy, target[4:])
    if target == "rel_yxyx":
        sx, sy = sy, sx  # y values come first
    return _scale_columns(out, sx, sy, divide=True)


def clip_to_image_size(
    bounding_boxes: dict[str, Any],
    height: Any = None,
    width: Any = None,
    bounding_box_format: str = "xyxy",
) -> dict[str, Any]:
    """Clips boxes to the image; boxes left with no area get label `-1`.

    Args:
        bounding_boxes: a dict with `"boxes"` `(n, 4)` or `(batch, n, 4)` and
            optionally `"labels"` `(n,)` or `(batch, n)`.
        height: the image height (needed for `"xyxy"`).
        width: the image width (needed for `"xyxy"`).
        bounding_box_format: `"xyxy"` (default) or `"rel_xyxy"`.

    Returns:
        A new dict with the clipped boxes and updated labels.

    Example:
    >>> out = clip_to_image_size(
    ...     {"boxes": [[-5.0, 2.0, 20.0, 8.0], [12.0, 0.0, 15.0, 3.0]], "labels": [1, 2]},
    ...     height=10, width=10)
    >>> out["boxes"].tolist(), out["labels"].tolist()
    ([[0.0, 2.0, 10.0, 8.0], [10.0, 0.0, 10.0, 3.0]], [1, -1])
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            "clip_to_image_size() supports bounding_box_format 'xyxy' or "
            f"'rel_xyxy', received: {bounding_box_format!r}."
        )
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError(
            "clip_to_image_size() needs `height` and `width` for "
            f"bounding_box_format='xyxy', received height={height}, width={width}."
        )
    boxes = _tensor(bounding_boxes["boxes"])
    if bounding_box_format == "xyxy":
        top_x, top_y = _number(width, boxes), _number(height, boxes)
    else:
        top_x = top_y = 1.0
    x1, y1, x2, y2 = formats.split(boxes)

    def clip(v: torch.Tensor, top: Any) -> torch.Tensor:
        v = v.clamp(min=0)
        return v.clamp(max=top) if not isinstance(top, torch.Tensor) else v.minimum(top)

    boxes = torch.cat(
        [clip(x1, top_x), clip(y1, top_y), clip(x2, top_x), clip(y2, top_y)], -1
    )
    result = {**bounding_boxes, "boxes": boxes}
    if bounding_boxes.get("labels") is not None:
        x1, y1, x2, y2 = formats.split(boxes)
        area = ((x2 - x1) * (y2 - y1)).squeeze(-1)
        labels = _tensor(bounding_boxes["labels"]).to(boxes.device)
        result["labels"] = torch.where(area > 0, labels, -1)
    return result


def _inverse_affine(
    angle: torch.Tensor,
    translate: tuple[torch.Tensor, torch.Tensor],
    scale: torch.Tensor,
    shear: tuple[torch.Tensor, torch.Tensor],
    center: tuple[float, float],
    height: int,
    width: int,
) -> tuple[torch.Tensor, ...]:
    """The `(batch,)` entries `m00, m01, m02, m10, m11, m12` of the map from
    input points to output points for the sampling transform that rotates
    by `angle` degrees, scales, shears (degrees) and translates (fractions)
    about `center` (fractions of the size)."""
    to_rad = math.pi / 180.0
    rot, shear_x, shear_y = -angle * to_rad, -shear[0] * to_rad, -shear[1] * to_rad
    cx, cy = center[0] * (width - 1), center[1] * (height - 1)
    px = cx - translate[0] * (width - 1)  # the shifted centre
    py = cy - translate[1] * (height - 1)
    # Rotation composed with shear; its determinant is 1, so its inverse is
    # the adjugate [[d, -b], [-c, a]].
    a = torch.cos(rot - shear_y) / torch.cos(shear_y)
    b = a * torch.tan(shear_x) + torch.sin(rot)
    c = -torch.sin(rot - shear_y) / torch.cos(shear_y)
    d = torch.cos(rot) - c * torch.tan(shear_x)
    m00, m01, m10, m11 = d * scale, -b * scale, -c * scale, a * scale
    return m00, m01, cx - m00 * px - m01 * py, m10, m11, cy - m10 * px - m11 * py


def affine_transform(
    boxes: Any,
    angle: Any,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: int,
    width: int,
    center_x: float | None = None,
    center_y: float | None = None,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """Maps boxes through the affine transformation of their images.

    The four corners of each box are transformed and the result is the
    box around them. Each parameter holds one value per image.

    Args:
        boxes: `(batch, n, 4)` (or `(n, 4)`) boxes in `"xyxy"`.
        angle: the rotation, in degrees.
        translate_x: the horizontal shift, a fraction of the width.
        translate_y: the vertical shift, a fraction of the height.
        scale: the scaling factor.
        shear_x: the shear along x, in degrees.
        shear_y: the shear along y, in degrees.
        height: the image height.
        width: the image width.
        center_x: the centre's x, a fraction of the width (default `0.5`).
        center_y: the centre's y, a fraction of the height (default `0.5`).
        bounding_box_format: only `"xyxy"` is supported.

    Returns:
        The transformed boxes, shaped as `boxes`.

    Example:
    >>> import torch
    >>> zero, one = torch.zeros(1), torch.ones(1)
    >>> out = affine_transform(
    ...     torch.tensor([[[1.0, 2.0, 3.0, 4.0]]]), zero, zero, zero, one, zero, zero,
    ...     height=10, width=10)
    >>> out.tolist()
    [[[1.0, 2.0, 3.0, 4.0]]]
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            "affine_transform() supports only bounding_box_format='xyxy', "
            f"received: {bounding_box_format!r}."
        )
    angle = _tensor(angle).reshape(-1)
    if not angle.is_floating_point():
        angle = angle.float()

    def per_image(value: Any) -> torch.Tensor:
        return _tensor(value).to(angle).reshape(-1)

    boxes = _tensor(boxes).to(angle.dtype)
    unbatched = boxes.dim() == 2
    batch_boxes = boxes.unsqueeze(0) if unbatched else boxes  # (B, N, 4)
    m00, m01, m02, m10, m11, m12 = (
        v.reshape(-1, 1, 1)
        for v in _inverse_affine(
            angle,
            (per_image(translate_x), per_image(translate_y)),
            per_image(scale),
            (per_image(shear_x), per_image(shear_y)),
            (
                0.5 if center_x is None else center_x,
                0.5 if center_y is None else center_y,
            ),
            height,
            width,
        )
    )
    x1, y1, x2, y2 = batch_boxes.unbind(-1)
    xs = torch.stack([x1, x2, x2, x1], dim=-1)  # (B, N, 4) corner x values
    ys = torch.stack([y1, y1, y2, y2], dim=-1)
    new_x = m00 * xs + m01 * ys + m02
    new_y = m10 * xs + m11 * ys + m12
    out = torch.stack(
        [new_x.amin(-1), new_y.amin(-1), new_x.amax(-1), new_y.amax(-1)], dim=-1
    )
    return out[0] if unbatched else out


def crop(
    boxes: Any,
    top: Any,
    left: Any,
    height: Any,
    width: Any,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """Moves boxes into a crop's coordinates and clips them to it.

    Args:
        boxes: `(n, 4)` or `(batch, n, 4)` boxes in `"xyxy"`.
        top: the crop's top offset.
        left: the crop's left offset.
        height: the crop's height (`None`: no clip at the bottom).
        width: the crop's width (`None`: no clip at the right).
        bounding_box_format: only `"xyxy"` is supported.

    Returns:
        The cropped boxes.

    Example:
    >>> crop([[10.0, 20.0, 50.0, 60.0]], top=10, left=20, height=40, width=30).tolist()
    [[0.0, 10.0, 30.0, 40.0]]
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            "crop() supports only bounding_box_format='xyxy', received: "
            f"{bounding_box_format!r}."
        )
    x1, y1, x2, y2 = formats.split(_tensor(boxes))

    def shift(v: torch.Tensor, offset: Any, top_value: Any) -> torch.Tensor:
        v = (v - offset).clamp(min=0)
        return v if top_value is None else v.clamp(max=top_value)

    return torch.cat(
        [
            shift(x1, left, width),
            shift(y1, top, height),
            shift(x2, left, width),
            shift(y2, top, height),
        ],
        dim=-1,
    )


def pad(
    boxes: Any,
    top: Any,
    left: Any,
    height: Any = None,
    width: Any = None,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """Moves boxes by the padding added above and left of their image.

    Args:
        boxes: `(n, 4)` or `(batch, n, 4)` boxes in `"xyxy"`.
        top: the padding above.
        left: the padding on the left.
        height: unused; kept for the signature's sake.
        width: unused; kept for the signature's sake.
        bounding_box_format: only `"xyxy"` is supported.

    Returns:
        The moved boxes.

    Example:
    >>> pad([[1.0, 2.0, 3.0, 4.0]], top=10, left=5).tolist()
    [[6.0, 12.0, 8.0, 14.0]]
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            "pad() supports only bounding_box_format='xyxy', received: "
            f"{bounding_box_format!r}."
        )
    x1, y1, x2, y2 = formats.split(_tensor(boxes))
    return torch.cat([x1 + left, y1 + top, x2 + left, y2 + top], dim=-1)
