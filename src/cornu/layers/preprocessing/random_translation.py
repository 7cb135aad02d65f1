"""`RandomTranslation`: shifts images by a random offset, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import (
    BaseAffineImageLayer,
    image_size,
    images_of,
    symmetric_factor,
)
from cornu.utils.bounding_boxes import clip_to_image_size, convert_format


def translation_transforms(translations: torch.Tensor) -> torch.Tensor:
    """`(batch, 2)` shifts `(dx, dy)` in pixels -> `(batch, 8)` transforms
    (an output pixel reads the input `(dx, dy)` before it)."""
    dx, dy = translations[:, 0], translations[:, 1]
    ones, zeros = torch.ones_like(dx), torch.zeros_like(dx)
    return torch.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], dim=1)


class RandomTranslation(BaseAffineImageLayer):
    """Shifts each image by a random fraction of its height and width.

    The shifts are drawn uniformly from the factors' ranges, times the image
    height (resp. width); positive values move the content down (resp.
    right). Bounding boxes move with the content and are clipped to the
    image.

    Args:
        height_factor: a number `f` (range `[-f, f]`) or a pair, in `[-1, 1]`.
        width_factor: the same for the width.
        fill_mode: `"reflect"` (default), `"wrap"`, `"constant"` or `"nearest"`.
        interpolation: `"bilinear"` (default) or `"nearest"`.
        seed: an int for reproducible draws.
        fill_value: the value outside the input with `"constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: the format of the boxes of dict inputs (e.g.
            `"xyxy"`).

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"`, `"bounding_boxes"`
            and `"segmentation_masks"` (warped with nearest interpolation).
        training: whether to shift (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
    >>> layer = RandomTranslation(0.0, (0.25, 0.25), fill_mode="constant")
    >>> layer(x)[0, 0, :, 0].tolist()
    [0.0, 0.0, 1.0, 2.0]
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
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
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = symmetric_factor(
            "RandomTranslation", "height_factor", height_factor
        )
        self._width_range = symmetric_factor(
            "RandomTranslation", "width_factor", width_factor
        )
        self._set_fill(fill_mode, interpolation, fill_value)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        shape = tuple(images_of(data).shape)
        batch = shape[0] if len(shape) == 4 else 1
        h_axis, w_axis = self._height_width_axes(len(shape))
        # Drawn height first, as Keras, so one seed gives Keras's draws.
        dy = self._uniform((batch, 1), *self._height_range, seed) * shape[h_axis]
        dx = self._uniform((batch, 1), *self._width_range, seed) * shape[w_axis]
        translations = torch.cat([dx, dy], dim=1).float()  # (batch, 2)
        return {"translations": translations, "input_shape": shape}

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        fmt = self._box_format
        out = convert_format(bounding_boxes, fmt, "xyxy", height, width)
        boxes = out["boxes"]
        shift = torch.as_tensor(transformation["translations"]).to(boxes)
        dx, dy = shift[:, 0:1, None], shift[:, 1:2, None]  # (b, 1, 1)
        x1, y1, x2, y2 = boxes.split(1, dim=-1)
        boxes = torch.cat([x1 + dx, y1 + dy, x2 + dx, y2 + dy], dim=-1)
        out = clip_to_image_size({**out, "boxes": boxes}, height, width, "xyxy")
        return convert_format(out, "xyxy", fmt, height, width)

    def _matrix(self, transformation: Any, images: torch.Tensor) -> torch.Tensor:
        translations = torch.as_tensor(
            transformation["translations"], device=images.device
        ).float()
        return translation_transforms(translations)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
