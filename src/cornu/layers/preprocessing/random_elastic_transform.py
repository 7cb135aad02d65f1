"""`RandomElasticTransform`: deforms images along random smooth fields."""

from __future__ import annotations

from typing import Any

import torch

from cornu import random
from cornu.layers.preprocessing._augment import (
    BaseAugmentationLayer,
    unit_range,
    where_batch,
)
from cornu.layers.preprocessing._color import check_value_range
from cornu.layers.preprocessing._image import INTERPOLATIONS, check_choice
from cornu.ops import image as image_ops

_FILL_MODES = ("reflect", "wrap", "constant", "nearest", "mirror")


class RandomElasticTransform(BaseAugmentationLayer):
    """Applies an elastic deformation to each image, with a probability.

    Each image is deformed with probability `p`, drawn from `factor`'s
    range. A distortion `s` is drawn from `scale`'s range for the batch;
    `ops.image.elastic_transform` then runs with
    `alpha = 0.1 * s * max(h, w)` and `sigma = 0.05 * s * min(h, w)`, and the
    result is clipped to `value_range`. Segmentation masks of dict inputs
    are deformed with nearest interpolation, along a field of their own
    (the seed generator moves on, as in Keras); bounding boxes are refused,
    as Keras does.

    Args:
        factor: the probability of deforming: a number `f` in `[0, 1]`
            (drawn from `[0, f]`) or a pair (`(1.0, 1.0)`: always; default `1.0`).
        scale: the distortion, a number `s` in `[0, 1]` (drawn from
            `[0, s]`) or a pair (default `1.0`).
        interpolation: `"bilinear"` (default) or `"nearest"`.
        fill_mode: `"reflect"` (default), `"wrap"`, `"constant"`,
            `"nearest"` or `"mirror"`.
        fill_value: the value outside the input with `"constant"`.
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"` (unchanged) and
            `"segmentation_masks"`.
        training: whether to deform (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = RandomElasticTransform(scale=0.5, seed=0)
    >>> tuple(layer(np.full((2, 16, 16, 3), 9.0, "float32")).shape)
    (2, 16, 16, 3)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = unit_range("RandomElasticTransform", "factor", factor)
        self.scale = unit_range("RandomElasticTransform", "scale", scale)
        self.interpolation = check_choice(
            "RandomElasticTransform", "interpolation", interpolation, INTERPOLATIONS
        )
        self.fill_mode = check_choice(
            "RandomElasticTransform", "fill_mode", fill_mode, _FILL_MODES
        )
        self.fill_value = fill_value
        check_value_range("RandomElasticTransform", value_range)
        self.value_range = value_range

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.dim() == 4 else 1
        seed = self.generator if seed is None else seed
        probability = random.uniform((batch,), *self.factor, seed=seed)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
        distortion = random.uniform(
            (), *self.scale, dtype=self.compute_dtype, seed=seed
        )
        # The deformation field itself is drawn with `seed` when applied.
        return {
            "apply_transform": threshold < probability,
            "distortion_factor": distortion,
            "seed": seed,
        }

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        return self._deform(images, transformation, self.interpolation)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        masks = self._images(segmentation_masks)
        return self._deform(masks, transformation, "nearest")

    def _deform(
        self, images: torch.Tensor, transformation: Any, interpolation: str
    ) -> torch.Tensor:
        h_axis, w_axis = self._height_width_axes(images.dim())
        height, width = images.shape[h_axis], images.shape[w_axis]
        distortion = float(transformation["distortion_factor"])
        deformed = image_ops.elastic_transform(
            images,
            alpha=max(height, width) * 0.1 * distortion,
            sigma=min(height, width) * 0.05 * distortion,
            interpolation=interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            seed=transformation["seed"],
            data_format=self.data_format,
        )
        out = where_batch(transformation["apply_transform"], deformed, images)
        return out.clamp(*sorted(self.value_range)).to(images.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
        }
