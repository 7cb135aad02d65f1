"""`RandomPerspective`: moves images' corners at random, warping the view."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu import random
from cornu.layers.preprocessing._augment import (
    BaseAugmentationLayer,
    unit_range,
    where_batch,
)
from cornu.layers.preprocessing._image import INTERPOLATIONS, check_choice, image_size
from cornu.ops import image as image_ops
from cornu.utils.bounding_boxes import clip_to_image_size, convert_format


class RandomPerspective(BaseAugmentationLayer):
    """Applies a random perspective warp to each image, with a probability.

    Each image is warped with probability `p`, itself drawn from `factor`'s
    range. The four corners `(0, 0)`, `(w - 1, 0)`, `(0, h - 1)`,
    `(w - 1, h - 1)` move to `corner * (1 + d)`, each coordinate's `d`
    drawn uniformly from `[-scale / 2, scale / 2]`; pixels from outside the
    input take `fill_value`. Bounding boxes become the box around their
    warped corners, clipped to the image, in `bounding_box_format` (Keras
    returns them in `"xyxy"`).

    Args:
        factor: the probability of warping: a number `f` in `[0, 1]` (drawn
            from `[0, f]`) or a pair (`(1.0, 1.0)`: always; default `1.0`).
        scale: in `[0, 1]`: how far the corners move (default `1.0`).
        interpolation: `"bilinear"` (default) or `"nearest"`.
        fill_value: the value outside the input.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: the format of the boxes of dict inputs (e.g.
            `"xyxy"`).

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"` (unchanged),
            `"bounding_boxes"` and `"segmentation_masks"` (warped with
            nearest interpolation).
        training: whether to warp (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = RandomPerspective(scale=0.2, seed=0)
    >>> tuple(layer(np.ones((2, 8, 8, 3), "float32")).shape)
    (2, 8, 8, 3)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
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
        self.factor = unit_range("RandomPerspective", "factor", factor)
        if not (
            isinstance(scale, numbers.Real)
            and not isinstance(scale, bool)
            and 0.0 <= scale <= 1.0
        ):
            raise ValueError(
                "RandomPerspective `scale` must be a number in [0, 1], received: "
                f"scale={scale!r}."
            )
        self.scale: float = scale
        self.interpolation: str = check_choice(
            "RandomPerspective", "interpolation", interpolation, INTERPOLATIONS
        )
        self.fill_value: float = fill_value

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        h_axis, w_axis = self._height_width_axes(len(shape))
        height, width = shape[h_axis], shape[w_axis]
        batch = shape[0] if len(shape) == 4 else 1
        seed = self.generator if seed is None else seed
        probability = random.uniform((batch,), *self.factor, seed=seed)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
        half = 0.5 * self.scale
        shift = random.uniform(
            (batch, 4, 2), -half, half, dtype=self.compute_dtype, seed=seed
        )
        corners = [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1]]
        corners.append([width - 1, height - 1])
        start = torch.tensor(corners, dtype=shift.dtype, device=shift.device)
        start = start.expand(batch, 4, 2)  # (batch, 4, 2) (x, y) corners
        return {
            "apply_perspective": threshold < probability,
            "start_points": start,
            "end_points": start + start * shift,
            "input_shape": shape,
        }

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        return self._warp(images, transformation, self.interpolation)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        return self._warp(segmentation_masks, transformation, "nearest")

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        fmt = self._box_format
        out = convert_format(bounding_boxes, fmt, "xyxy", height, width)
        boxes = out["boxes"]  # (b, n, 4)
        start = torch.as_tensor(transformation["start_points"]).to(boxes)
        end = torch.as_tensor(transformation["end_points"]).to(boxes)
        # The sampling map takes output points to input points; boxes go
        # the other way, through its inverse.
        sampling = image_ops._homography(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2))
        matrix = torch.cat([sampling, torch.ones_like(sampling[:, :1])], dim=1)
        forward = torch.linalg.inv(matrix.reshape(-1, 3, 3))  # (b, 3, 3)
        x1, y1, x2, y2 = boxes.unbind(-1)
        xs = torch.stack([x1, x2, x1, x2], dim=-1)  # (b, n, 4) corners
        ys = torch.stack([y1, y2, y2, y1], dim=-1)
        points = torch.stack([xs, ys, torch.ones_like(xs)], dim=-1)  # (b, n, 4, 3)
        moved = torch.einsum("bij,bnkj->bnki", forward, points)
        new_x, new_y = moved[..., 0] / moved[..., 2], moved[..., 1] / moved[..., 2]
        warped = torch.stack(
            [new_x.amin(-1), new_y.amin(-1), new_x.amax(-1), new_y.amax(-1)], dim=-1
        )
        apply = torch.as_tensor(transformation["apply_perspective"])
        apply = apply.to(boxes.device).reshape(-1, 1, 1)
        out["boxes"] = torch.where(apply, warped, boxes)
        out = clip_to_image_size(out, height, width, "xyxy")
        return convert_format(out, "xyxy", fmt, height, width)

    def _warp(
        self, images: torch.Tensor, transformation: Any, interpolation: str
    ) -> torch.Tensor:
        start = torch.as_tensor(transformation["start_points"], device=images.device)
        end = torch.as_tensor(transformation["end_points"], device=images.device)
        warped = image_ops.perspective_transform(
            images,
            start if images.dim() == 4 else start[0],
            end if images.dim() == 4 else end[0],
            interpolation=interpolation,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        return where_batch(transformation["apply_perspective"], warped, images)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }
