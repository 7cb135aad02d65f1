"""`RandomErasing`: fills a random rectangle of each image, in training."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu import random
from cornu.layers.preprocessing._augment import (
    BaseAugmentationLayer,
    box_masks,
    crop_bounds,
    unit_range,
    where_batch,
)
from cornu.layers.preprocessing._color import check_value_range


class RandomErasing(BaseAugmentationLayer):
    """Erases a random rectangle of each image, with a probability.

    Each image is erased with probability `p`, drawn from `factor`'s range.
    The rectangle's width and height are `sqrt(r) * width` and
    `sqrt(r') * height`, `r, r'` drawn from `scale`, placed uniformly; it
    takes `fill_value` (or, with `None`, normal noise times the top of
    `value_range`), clipped to `value_range`.

    Args:
        factor: the probability of erasing: a number `f` in `[0, 1]` (drawn
            from `[0, f]`) or a pair (`(1.0, 1.0)`: always; default `1.0`).
        scale: the range of the rectangle's area fractions, in `[0, 1]`
            (default `(0.02, 0.33)`).
        fill_value: a number, three per-channel numbers, or `None` (noise).
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"`, `"bounding_boxes"`
            and `"segmentation_masks"` (all unchanged).
        training: whether to erase (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = RandomErasing((1.0, 1.0), scale=(0.25, 0.25), fill_value=0.0, seed=0)
    >>> y = layer(np.full((1, 8, 8, 1), 5.0, "float32"))
    >>> int((y == 0).sum())
    16
    """

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = (0.02, 0.33),
        fill_value: Any = None,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = unit_range("RandomErasing", "factor", factor)
        self.scale = unit_range("RandomErasing", "scale", scale)
        number = isinstance(fill_value, numbers.Real) and not isinstance(
            fill_value, bool
        )
        triple = isinstance(fill_value, (tuple, list)) and len(fill_value) == 3
        if not (fill_value is None or number or triple):
            raise ValueError(
                "RandomErasing `fill_value` must be None, a number or three "
                f"numbers, received: fill_value={fill_value!r}."
            )
        self.fill_value = fill_value
        check_value_range("RandomErasing", value_range)
        self.value_range = value_range

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        batch = shape[0] if len(shape) == 4 else 1
        h_axis, w_axis = self._height_width_axes(len(shape))
        seed = self.generator if seed is None else seed
        dtype = self.compute_dtype
        ratio = random.uniform((batch, 2), *self.scale, dtype=dtype, seed=seed).sqrt()
        x0, x1 = crop_bounds(batch, shape[w_axis], ratio[:, 0], seed, dtype)
        y0, y1 = crop_bounds(batch, shape[h_axis], ratio[:, 1], seed, dtype)
        masks = box_masks(shape, (x0, x1, y0, y1), self.data_format)
        probability = random.uniform((batch,), *self.factor, seed=seed)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
        if self.fill_value is None:
            fill = random.normal(shape, dtype=dtype, seed=seed) * self.value_range[1]
        else:
            fill = torch.as_tensor(
                self.fill_value, dtype=ratio.dtype, device=ratio.device
            )
            if fill.dim() == 1 and self.data_format == "channels_first":
                fill = fill[:, None, None]  # one value per channel
            fill = fill.expand(shape)
        return {
            "apply_erasing": threshold < probability,
            "batch_masks": masks,
            "fill_value": fill.clamp(*sorted(self.value_range)),
        }

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        masks = torch.as_tensor(transformation["batch_masks"], device=images.device)
        fill = torch.as_tensor(transformation["fill_value"], device=images.device)
        batched = images if images.dim() == 4 else images.unsqueeze(0)
        erased = torch.where(masks, fill.to(images.dtype), batched)
        out = where_batch(transformation["apply_erasing"], erased, batched)
        return out if images.dim() == 4 else out[0]

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
        }
