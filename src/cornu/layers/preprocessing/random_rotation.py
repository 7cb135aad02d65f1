"""`RandomRotation`: rotates images by a random angle, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import (
    BaseAffineImageLayer,
    images_of,
    rotation_transforms,
    symmetric_factor,
)
from cornu.utils.bounding_boxes import (
    affine_transform,
    clip_to_image_size,
    convert_format,
)


class RandomRotation(BaseAffineImageLayer):
    """Rotates each image about its centre by a random angle.

    The angle is drawn uniformly from `factor * 360` degrees (a number `f`
    means `[-f, f]`, a pair `(lo, hi)` that range); positive angles turn
    counter-clockwise. Pixels from outside the input follow `fill_mode`.
    Bounding boxes become the box around their rotated corners, clipped to
    the image, in `bounding_box_format` (Keras reads them as `"xyxy"`).

    Args:
        factor: a number or a pair in `[-1, 1]`: the fraction of a full turn.
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
        training: whether to rotate (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = RandomRotation(0.1, seed=0)
    >>> tuple(layer(np.ones((2, 8, 8, 3), "float32")).shape)
    (2, 8, 8, 3)
    """

    def __init__(
        self,
        factor: Any,
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
        self.factor = symmetric_factor("RandomRotation", "factor", factor)
        self._set_fill(fill_mode, interpolation, fill_value)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        shape = tuple(images_of(data).shape)
        h_axis, w_axis = self._height_width_axes(len(shape))
        height, width = shape[h_axis], shape[w_axis]
        batch = shape[0] if len(shape) == 4 else 1
        angle = self._uniform(
            (batch,), self.factor[0] * 360.0, self.factor[1] * 360.0, seed
        )
        matrix = rotation_transforms(angle, height, width)
        return {
            "angle": angle,
            "rotation_matrix": matrix if len(shape) == 4 else matrix[0],
            "image_height": height,
            "image_width": width,
            "batch_size": batch,
        }

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height = transformation["image_height"]
        width = transformation["image_width"]
        fmt = self._box_format
        out = convert_format(bounding_boxes, fmt, "xyxy", height, width)
        angle = torch.as_tensor(transformation["angle"])
        zeros, ones = torch.zeros_like(angle), torch.ones_like(angle)
        out["boxes"] = affine_transform(
            out["boxes"], angle, zeros, zeros, ones, zeros, zeros,
            height=height, width=width,
        )  # fmt: skip
        out = clip_to_image_size(out, height, width, "xyxy")
        return convert_format(out, "xyxy", fmt, height, width)

    def _matrix(self, transformation: Any, images: torch.Tensor) -> torch.Tensor:
        matrix = torch.as_tensor(
            transformation["rotation_matrix"], device=images.device
        )
        # One image's transformation holds one matrix (8,), as Keras's does.
        return matrix if matrix.dim() == 2 else matrix[None]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
