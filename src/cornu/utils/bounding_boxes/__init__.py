"""`keras.utils.bounding_boxes`: formats, conversions and IoU of boxes."""

from cornu.utils.bounding_boxes.converters import (
    affine_transform,
    clip_to_image_size,
    convert_format,
    crop,
    pad,
)
from cornu.utils.bounding_boxes.deltas import (
    decode_deltas_to_boxes,
    encode_box_to_deltas,
)
from cornu.utils.bounding_boxes.iou import compute_ciou, compute_iou

__all__ = [
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]
