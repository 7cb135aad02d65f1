"""`RandomZoom`: zooms images in or out by a random factor, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import (
    BaseAffineImageLayer,
    image_size,
    images_of,
    symmetric_factor,
    zoom_transforms,
)
from cornu.utils.bounding_boxes import clip_to_image_size, convert_format


def _zoom_range(name: str, factor: Any) -> tuple[float, float]:
    lower, upper = symmetric_factor("RandomZoom", name, factor)
    if lower <= -1.0:
        raise ValueError(
            f"RandomZoom `{name}` values must be above -1 (a zoom of 1 + factor "
            f"must stay positive), received: {name}={factor!r}."
        )
    return lower, upper


class RandomZoom(BaseAffineImageLayer):
    """Zooms each image about its centre by a random factor.

    An output pixel reads the input at `1 + f` times its offset from the
    centre, `f` drawn uniformly from the factor's range: positive factors
    zoom out (the image shrinks), negative ones zoom in. Without
    `width_factor` both axes share the draw (the aspect ratio is kept).
    Bounding boxes are clipped to the part of the input still visible and
    scaled with it, as Keras does.

    Args:
        height_factor: a number `f` (range `[-f, f]`) or a pair, in `(-1, 1]`.
        width_factor: the same for the width; `None` reuses the height zoom.
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
        training: whether to zoom (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = RandomZoom(0.2, seed=0)
    >>> tuple(layer(np.ones((2, 8, 8, 3), "float32")).shape)
    (2, 8, 8, 3)
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
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
        self._height_range = _zoom_range("height_factor", height_factor)
        self._width_range = (
            None if width_factor is None else _zoom_range("width_factor", width_factor)
        )
        self._set_fill(fill_mode, interpolation, fill_value)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        shape = tuple(images_of(data).shape)
        draw_shape = (shape[0], 1) if len(shape) == 4 else (1, 1)
        lo, hi = self._height_range
        height_zoom = self._uniform(draw_shape, 1.0 + lo, 1.0 + hi, seed)
        if self._width_range is None:
            width_zoom = height_zoom
        else:
            lo, hi = self._width_range
            width_zoom = self._uniform(draw_shape, 1.0 + lo, 1.0 + hi, seed)
        return {
            "height_zoom": height_zoom,
            "width_zoom": width_zoom,
            "input_shape": shape,
        }

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        out = convert_format(bounding_boxes, self._box_format, "xyxy", height, width)
        boxes = out["boxes"]
        matrix = zoom_transforms(
            torch.as_tensor(transformation["width_zoom"]).float(),
            torch.as_tensor(transformation["height_zoom"]).float(),
            height,
            width,
        ).to(boxes.device)
        # The visible window of the input: where the output's corners read.
        zx, zy = matrix[:, 0:1, None], matrix[:, 4:5, None]  # (b, 1, 1)
        x0, y0 = matrix[:, 2:3, None], matrix[:, 5:6, None]
        x1, y1 = zx * width + x0, zy * height + y0
        bx1, by1, bx2, by2 = boxes.split(1, dim=-1)
        boxes = torch.cat(
            [
                bx1.clamp(x0, x1) - x0,
                by1.clamp(y0, y1) - y0,
                bx2.clamp(x0, x1) - x0,
                by2.clamp(y0, y1) - y0,
            ],
            dim=-1,
        )
        out = {**out, "boxes": boxes}
        out = convert_format(out, "xyxy", "rel_xyxy", y1 - y0, x1 - x0)
        out = clip_to_image_size(out, bounding_box_format="rel_xyxy")
        return convert_format(out, "rel_xyxy", self._box_format, height, width)

    def _matrix(self, transformation: Any, images: torch.Tensor) -> torch.Tensor:
        h_axis, w_axis = self._height_width_axes(images.dim())
        return zoom_transforms(
            torch.as_tensor(transformation["width_zoom"], device=images.device).float(),
            torch.as_tensor(
                transformation["height_zoom"], device=images.device
            ).float(),
            images.shape[h_axis],
            images.shape[w_axis],
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
