"""`RandomShear`: shears images along x and/or y by a random amount."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import (
    BaseAffineImageLayer,
    image_size,
)
from cornu.utils.bounding_boxes import clip_to_image_size, convert_format


def _shear_range(name: str, factor: Any) -> tuple[float, float]:
    """Keras's shear factor: `f` in `[0, 1]` -> `(-f, f)`; a pair is sorted.

    Pairs may hold values in `[-1, 1]`, so that the `(-f, f)` that
    `get_config` writes is accepted back.
    """
    pair = isinstance(factor, (tuple, list))
    values = list(factor) if pair and len(factor) == 2 else [] if pair else [factor]
    low = -1.0 if pair else 0.0
    if not values or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= 1
        for v in values
    ):
        raise ValueError(
            f"RandomShear `{name}` must be a number in [0, 1] or a pair of "
            f"numbers in [-1, 1], received: {name}={factor!r}."
        )
    if not pair:
        return -float(factor), float(factor)
    lower, upper = sorted(float(v) for v in values)
    return lower, upper


def shear_transforms(shear: torch.Tensor) -> torch.Tensor:
    """`(batch, 2)` shears `(sx, sy)` -> `(batch, 8)` transforms: an output
    pixel `(x, y)` reads the input at `(x + sx * y, y + sy * x)`."""
    sx, sy = shear[:, 0], shear[:, 1]
    ones, zeros = torch.ones_like(sx), torch.zeros_like(sx)
    return torch.stack([ones, sx, zeros, sy, ones, zeros, zeros, zeros], dim=1)


class RandomShear(BaseAffineImageLayer):
    """Shears each image along the x and y axes by random amounts.

    Each image draws `sx` from `x_factor`'s range and `sy` from
    `y_factor`'s, and with probability 1/2 both change sign; an output pixel
    `(x, y)` then reads the input at `(x + sx * y, y + sy * x)`. Pixels from
    outside the input follow `fill_mode`. Bounding boxes move their corners
    as Keras moves them (in relative coordinates) and are clipped to the
    image.

    Args:
        x_factor: a number `f` in `[0, 1]` (range `[-f, f]`) or a pair
            `(lo, hi)` in `[-1, 1]`: the shear along x, as a fraction of the
            height.
        y_factor: the same along y.
        interpolation: `"bilinear"` (default) or `"nearest"`.
        fill_mode: `"reflect"` (default), `"wrap"`, `"constant"` or `"nearest"`.
        fill_value: the value outside the input with `"constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.
        bounding_box_format: the format of the boxes of dict inputs (e.g.
            `"xyxy"`).

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"` (unchanged),
            `"bounding_boxes"` and `"segmentation_masks"` (sheared with
            nearest interpolation).
        training: whether to shear (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = RandomShear(x_factor=0.3, y_factor=0.3, seed=0)
    >>> tuple(layer(np.ones((2, 8, 8, 3), "float32")).shape)
    (2, 8, 8, 3)
    """

    def __init__(
        self,
        x_factor: Any = 0.0,
        y_factor: Any = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: str | None = None,
        seed: int | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            seed=seed,
            data_format=data_format,
            bounding_box_format=bounding_box_format,
            **kwargs,
        )
        self.x_factor = _shear_range("x_factor", x_factor)
        self.y_factor = _shear_range("y_factor", y_factor)
        self._set_fill(fill_mode, interpolation, fill_value)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        batch = shape[0] if len(shape) == 4 else 1
        # Drawn in Keras's order: the sign, then y, then x.
        invert = self._uniform((batch, 1), 0.0, 1.0, seed)
        sign = torch.where(invert > 0.5, -1.0, 1.0).to(invert.dtype)
        shear_y = self._uniform((batch, 1), *self.y_factor, seed)
        shear_x = self._uniform((batch, 1), *self.x_factor, seed)
        shear = torch.cat([shear_x, shear_y], dim=1) * sign
        return {"shear_factor": shear, "input_shape": shape}

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        fmt, dtype = self._box_format, self.compute_dtype
        out = convert_format(bounding_boxes, fmt, "rel_xyxy", height, width, dtype)
        boxes = out["boxes"]
        shear = torch.as_tensor(transformation["shear_factor"]).to(boxes)
        sx, sy = shear[:, 0:1], shear[:, 1:2]  # (b, 1)
        x1, y1, x2, y2 = boxes.unbind(-1)  # (b, n)
        # Keras's corner choice; y uses the already moved x values.
        x1, x2 = (
            torch.where(sx < 0, x1 - sx * y1, x1 - sx * y2),
            torch.where(sx < 0, x2 - sx * y2, x2 - sx * y1),
        )
        y1, y2 = (
            torch.where(sy > 0, y1 - sy * x2, y1 - sy * x1),
            torch.where(sy > 0, y2 - sy * x1, y2 - sy * x2),
        )
        out["boxes"] = torch.stack([x1, y1, x2, y2], dim=-1)
        out = clip_to_image_size(out, height, width, "rel_xyxy")
        return convert_format(out, "rel_xyxy", fmt, height, width, dtype)

    def _matrix(self, transformation: Any, images: torch.Tensor) -> torch.Tensor:
        shear = torch.as_tensor(transformation["shear_factor"], device=images.device)
        return shear_transforms(shear.float())  # (batch, 8)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "x_factor": self.x_factor,
            "y_factor": self.y_factor,
        }
