"""`MixUp`: blends each image with another of the batch, in training."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu import random
from cornu.layers.preprocessing._augment import BaseAugmentationLayer


class MixUp(BaseAugmentationLayer):
    """Blends each image (and label) with another of the batch.

    Each image draws a weight `w ~ Beta(alpha, alpha)` and a partner from a
    random permutation of the batch; images, labels and segmentation masks
    become `w * x + (1 - w) * x[permutation]`. Bounding boxes (and their
    labels) of the partner are appended to the image's own.

    Args:
        alpha: the Beta concentration (default `0.2`): small values mix
            little.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: a batch of images, or a dict with `"images"` and optionally
            `"labels"`, `"segmentation_masks"` and `"bounding_boxes"`.
        training: whether to mix (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)`, or such a dict.

    Output shape:
        The input shape (bounding boxes: twice as many per image).

    Example:
    >>> import numpy as np
    >>> images = np.random.rand(4, 8, 8, 3).astype("float32")
    >>> labels = np.eye(4, dtype="float32")
    >>> out = MixUp(alpha=0.4, seed=0)({"images": images, "labels": labels})
    >>> [round(float(s), 4) for s in out["labels"].sum(-1)]
    [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(
        self,
        alpha: float = 0.2,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not (
            isinstance(alpha, numbers.Real)
            and not isinstance(alpha, bool)
            and alpha > 0
        ):
            raise ValueError(
                f"MixUp `alpha` must be a positive number, received: alpha={alpha!r}."
            )
        self.alpha: float = alpha

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.dim() == 4 else 1
        seed = self.generator if seed is None else seed
        order = random.shuffle(torch.arange(batch, dtype=torch.int64), seed=seed)
        weight = random.beta((batch,), self.alpha, self.alpha, seed=seed)
        return {"mix_weight": weight, "permutation_order": order}

    def _mix(self, x: torch.Tensor, transformation: Any, single: bool) -> torch.Tensor:
        """`w * x + (1 - w) * x[permutation]` over the batch (`single`: `x`
        is one item, without a batch axis)."""
        batched = x[None] if single else x
        order = torch.as_tensor(transformation["permutation_order"], device=x.device)
        weight = torch.as_tensor(transformation["mix_weight"], device=x.device)
        weight = weight.reshape(-1, *([1] * (batched.dim() - 1)))
        if x.is_floating_point():
            weight = weight.to(x.dtype)
        mixed = weight * batched + (1.0 - weight) * batched[order.long()]
        return mixed[0] if single else mixed

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        return self._mix(images, transformation, images.dim() == 3)

    def transform_labels(
        self, labels: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return labels
        batch = torch.as_tensor(transformation["mix_weight"]).numel()
        single = labels.dim() == 0 or labels.shape[0] != batch
        return self._mix(labels, transformation, single)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        single = segmentation_masks.dim() == 3
        return self._mix(segmentation_masks, transformation, single)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        order = torch.as_tensor(transformation["permutation_order"]).long()
        return {
            "boxes": torch.cat([boxes, boxes[order.to(boxes.device)]], dim=1),
            "labels": torch.cat([labels, labels[order.to(labels.device)]], dim=1),
        }

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}
