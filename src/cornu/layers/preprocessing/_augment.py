"""The private base of the augmentations that take Keras's dict inputs.

Besides a tensor of images, these layers accept a dict
`{"images": ..., "labels": ..., "segmentation_masks": ...,
"bounding_boxes": {"boxes": ..., "labels": ...}}`, as Keras's image
augmentations do: one transformation is drawn for the images and applied
to every entry.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu import random
from cornu.layers.preprocessing._image import BaseRandomImageLayer


def unit_range(layer: str, name: str, value: Any) -> tuple[float, float]:
    """Keras's `[0, 1]` factors: `f` -> `(0, f)`; a pair is sorted."""

    def number(v: Any) -> bool:
        return isinstance(v, numbers.Real) and not isinstance(v, bool)

    if isinstance(value, (tuple, list)) and len(value) == 2 and all(map(number, value)):
        lower, upper = sorted(float(v) for v in value)
        if lower <= 1.0 and upper >= 0.0:
            return lower, upper
    elif number(value) and 0.0 <= value <= 1.0:
        return 0.0, float(value)
    raise ValueError(
        f"{layer} `{name}` must be a number or a pair of numbers in [0, 1], "
        f"received: {name}={value!r}."
    )


def where_batch(
    apply: torch.Tensor, new: torch.Tensor, old: torch.Tensor
) -> torch.Tensor:
    """`new` for the images whose `apply` flag is set, `old` for the others."""
    flag = torch.as_tensor(apply, device=old.device).reshape(-1, 1, 1, 1)
    return torch.where(flag if old.dim() == 4 else flag[0], new, old)


def box_masks(
    shape: tuple[int, ...],
    bounds: tuple[torch.Tensor, ...],
    data_format: str,
) -> torch.Tensor:
    """`(batch, h, w, c)` (or channels-first) boolean masks of the boxes
    `x0 <= x < x1`, `y0 <= y < y1`, each bound a `(batch,)` tensor."""
    x0, x1, y0, y1 = (b.reshape(-1, 1, 1) for b in bounds)
    last = data_format == "channels_last"
    height, width = (shape[-3], shape[-2]) if last else (shape[-2], shape[-1])
    channels = shape[-1] if last else shape[-3]
    ys = torch.arange(height, dtype=x0.dtype, device=x0.device)[None, :, None]
    xs = torch.arange(width, dtype=x0.dtype, device=x0.device)[None, None, :]
    inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)  # (batch, h, w)
    if last:
        return inside[..., None].expand(-1, -1, -1, channels)
    return inside[:, None].expand(-1, channels, -1, -1)


def crop_bounds(
    batch: int, length: int, ratio: torch.Tensor, seed: Any, dtype: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random `[start, end)` span of `ratio * length` inside `[0, length)`."""
    span = ratio * length
    start = random.uniform((batch,), 0.0, 1.0, dtype=dtype, seed=seed) * (length - span)
    return start, start + span


class BaseAugmentationLayer(BaseRandomImageLayer):
    """A random image layer that also takes Keras's dict inputs.

    Subclasses implement `get_random_transformation` and `transform_images`;
    `transform_labels` (default: unchanged), `transform_segmentation_masks`
    and `transform_bounding_boxes` (default: refused) cover the other keys.
    """

    def __init__(
        self,
        seed: int | None = None,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.bounding_box_format = bounding_box_format

    def call(self, inputs: Any, training: bool | None = True) -> Any:
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        if "images" not in inputs:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects a dict '
                f'input with an "images" key, received keys {sorted(inputs)}.'
            )
        train = training is not False
        data = {**inputs, "images": self._images(inputs["images"])}
        transformation = (
            self.get_random_transformation(data, training=True) if train else None
        )
        data["images"] = self.transform_images(
            data["images"], transformation, training=train
        )
        if "labels" in data:
            data["labels"] = self.transform_labels(
                torch.as_tensor(data["labels"]), transformation, training=train
            )
        if "segmentation_masks" in data:
            data["segmentation_masks"] = self.transform_segmentation_masks(
                torch.as_tensor(data["segmentation_masks"]),
                transformation,
                training=train,
            )
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}) received '
                    "'bounding_boxes' but no `bounding_box_format`; pass one, "
                    "e.g. bounding_box_format='xyxy'."
                )
            boxes = {k: torch.as_tensor(v) for k, v in data["bounding_boxes"].items()}
            data["bounding_boxes"] = self.transform_bounding_boxes(
                boxes, transformation, training=train
            )
        return data

    def transform_labels(
        self, labels: Any, transformation: Any, training: bool = True
    ) -> Any:
        return labels

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} does not transform segmentation masks yet."
        )

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} does not transform bounding boxes yet."
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
