"""`RandomGaussianBlur`: blurs images with a random Gaussian, in training."""

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
from cornu.layers.preprocessing._color import check_value_range
from cornu.ops import image as image_ops


def _kernel_size(value: Any) -> tuple[int, int]:
    pair = isinstance(value, (tuple, list))
    values = list(value) if pair else [value, value]
    if not (
        len(values) == 2
        and all(isinstance(v, numbers.Integral) and v % 2 == 1 for v in values)
    ):
        raise ValueError(
            "RandomGaussianBlur `kernel_size` must be an odd int or a pair of odd "
            f"ints, received: kernel_size={value!r}."
        )
    return int(values[0]), int(values[1])


class RandomGaussianBlur(BaseAugmentationLayer):
    """Blurs images with a Gaussian kernel, each image with a probability.

    Each image is blurred with probability `p`, drawn from `factor`'s
    range. The kernel's two standard deviations are drawn from `sigma`'s
    range once per batch (plus `1e-6`); the result is clipped to
    `value_range`.

    Args:
        factor: the probability of blurring: a number `f` in `[0, 1]` (drawn
            from `[0, f]`) or a pair (`(1.0, 1.0)`: always; default `1.0`).
        kernel_size: an odd int, or a pair of odd ints (default `3`).
        sigma: the standard deviation, a number `s` in `[0, 1]` (drawn from
            `[0, s]`) or a pair (default `1.0`).
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"`, `"bounding_boxes"`
            and `"segmentation_masks"` (all unchanged).
        training: whether to blur (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = RandomGaussianBlur(kernel_size=5, seed=0)
    >>> tuple(layer(np.ones((2, 8, 8, 3), "float32")).shape)
    (2, 8, 8, 3)
    """

    def __init__(
        self,
        factor: Any = 1.0,
        kernel_size: Any = 3,
        sigma: Any = 1.0,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = unit_range("RandomGaussianBlur", "factor", factor)
        self.kernel_size = _kernel_size(kernel_size)
        self.sigma = unit_range("RandomGaussianBlur", "sigma", sigma)
        check_value_range("RandomGaussianBlur", value_range)
        self.value_range = value_range

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.dim() == 4 else 1
        seed = self.generator if seed is None else seed
        probability = random.uniform((batch,), *self.factor, seed=seed)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
        sigma = random.uniform((2,), *self.sigma, dtype=self.compute_dtype, seed=seed)
        return {
            "should_apply_blur": threshold < probability,
            "blur_factor": sigma + 1e-6,
        }

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        blurred = image_ops.gaussian_blur(
            images,
            kernel_size=self.kernel_size,
            sigma=transformation["blur_factor"],
            data_format=self.data_format,
        )
        out = where_batch(transformation["should_apply_blur"], blurred, images)
        return out.clamp(*sorted(self.value_range)).to(images.dtype)

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
            "kernel_size": self.kernel_size,
            "sigma": self.sigma,
            "value_range": self.value_range,
        }
