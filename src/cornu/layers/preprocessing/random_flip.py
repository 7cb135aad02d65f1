"""`RandomFlip`: flips images at random, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import (
    BaseRandomImageLayer,
    check_choice,
    image_size,
    images_of,
)
from cornu.utils.bounding_boxes import clip_to_image_size, convert_format

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(BaseRandomImageLayer):
    """Flips each image left-right and/or up-down with probability 1/2.

    With `"horizontal_and_vertical"` one draw decides both flips of an image,
    as in Keras. Dict inputs flip their segmentation masks and bounding
    boxes with their images (boxes left without area get label `-1`).

    Args:
        mode: `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"`
            (default).
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: the format of the boxes of dict inputs (e.g.
            `"xyxy"`).

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"`, `"bounding_boxes"`
            and `"segmentation_masks"`.
        training: whether to flip (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
    >>> RandomFlip("horizontal")(x, training=False)[0, 0, :, 0].tolist()
    [0.0, 1.0, 2.0, 3.0]
    """

    def __init__(
        self,
        mode: str = HORIZONTAL_AND_VERTICAL,
        seed: int | None = None,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            seed=seed,
            data_format=data_format,
            bounding_box_format=bounding_box_format,
            **kwargs,
        )
        self.mode = check_choice(
            "RandomFlip", "mode", mode, (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)
        )

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        shape = tuple(images_of(data).shape)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        flips = self._uniform(flips_shape, 0.0, 1.0, seed) <= 0.5
        return {"flips": flips, "input_shape": shape}

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        flips = torch.as_tensor(transformation["flips"], device=images.device)
        if images.dim() == 3:
            flips = flips.reshape(1, 1, 1)
        h_axis, w_axis = self._height_width_axes(images.dim())
        out = images
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = torch.where(flips, out.flip(w_axis), out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = torch.where(flips, out.flip(h_axis), out)
        return out

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        flips = torch.as_tensor(transformation["flips"]).squeeze(-1)  # (b, 1, 1)
        fmt = self._box_format
        out = convert_format(bounding_boxes, fmt, "rel_xyxy", height, width)
        boxes = out["boxes"]
        flips = flips.to(boxes.device)
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x1, y1, x2, y2 = boxes.unbind(-1)
            flipped = torch.stack([1 - x2, y1, 1 - x1, y2], dim=-1)
            boxes = torch.where(flips, flipped, boxes)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            x1, y1, x2, y2 = boxes.unbind(-1)
            flipped = torch.stack([x1, 1 - y2, x2, 1 - y1], dim=-1)
            boxes = torch.where(flips, flipped, boxes)
        # Clipped as absolute boxes, as Keras does (a no-op on relative ones
        # but for the labels of empty boxes).
        out = clip_to_image_size({**out, "boxes": boxes}, height, width, "xyxy")
        return convert_format(out, "rel_xyxy", fmt, height, width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}
