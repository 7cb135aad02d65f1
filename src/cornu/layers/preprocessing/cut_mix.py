"""`CutMix`: pastes a random box of another image of the batch, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu import random
from cornu.layers.preprocessing._augment import (
    BaseAugmentationLayer,
    box_masks,
    crop_bounds,
    unit_range,
)


class CutMix(BaseAugmentationLayer):
    """Pastes into each image a box cut from another image of the batch.

    A concentration `a` is drawn from `factor`'s range (plus `1e-6`) and, per
    image, a weight `w ~ Beta(a, a)`; a box of `sqrt(1 - w)` times the height
    and width, placed uniformly, is replaced by the same box of the image a
    random permutation of the batch points to. Labels mix in proportion to
    the areas kept: `w' * labels + (1 - w') * labels[permutation]`, `w'` one
    minus the box's share of the image. Unbatched images pass unchanged.

    Args:
        factor: a number `f` in `[0, 1]` (range `[0, f]`) or a pair: the
            range of the Beta concentration (default `1.0`).
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: a batch of images, or a dict with `"images"` and optionally
            `"labels"` (mixed) and `"segmentation_masks"` (cut like images);
            `"bounding_boxes"` are refused, as Keras refuses them.
        training: whether to mix (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)`, or such a dict.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> images = np.random.rand(4, 8, 8, 3).astype("float32")
    >>> labels = np.eye(4, dtype="float32")
    >>> out = CutMix(seed=0)({"images": images, "labels": labels})
    >>> [round(float(s), 4) for s in out["labels"].sum(-1)]
    [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(
        self,
        factor: Any = 1.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = unit_range("CutMix", "factor", factor)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        if len(shape) == 3:
            return None
        batch = shape[0]
        h_axis, w_axis = self._height_width_axes(4)
        height, width = shape[h_axis], shape[w_axis]
        seed = self.generator if seed is None else seed
        dtype = self.compute_dtype
        alpha = random.uniform((), *self.factor, dtype=dtype, seed=seed) + 1e-6
        weight = random.beta((batch,), alpha, alpha, dtype=dtype, seed=seed)
        ratio = torch.sqrt(1.0 - weight)
        x0, x1 = crop_bounds(batch, width, ratio, seed, dtype)
        y0, y1 = crop_bounds(batch, height, ratio, seed, dtype)
        masks = box_masks(shape, (x0, x1, y0, y1), self.data_format)
        order = random.shuffle(torch.arange(batch, dtype=torch.int32), seed=seed)
        return {
            "permutation_order": order,
            "batch_masks": masks,
            # The share of each image kept, from the box's real extent.
            "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / (width * height),
        }

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        order = torch.as_tensor(transformation["permutation_order"]).long()
        masks = torch.as_tensor(transformation["batch_masks"], device=images.device)
        return torch.where(masks, images[order.to(images.device)], images)

    def transform_labels(
        self, labels: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return labels
        order = torch.as_tensor(transformation["permutation_order"]).long()
        weight = torch.as_tensor(transformation["mix_weight"], device=labels.device)
        weight = weight.reshape(-1, 1)
        return weight * labels + (1.0 - weight) * labels[order.to(labels.device)]

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
