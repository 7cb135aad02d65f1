"""`RandomCrop`: crops images at a random place, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import (
    BaseRandomImageLayer,
    image_size,
    images_of,
)
from cornu.layers.preprocessing.resizing import resize_bounding_boxes
from cornu.ops import image as image_ops
from cornu.utils.bounding_boxes import convert_format


class RandomCrop(BaseRandomImageLayer):
    """Crops a `(height, width)` window at a random place (one per batch).

    In training, when the input is larger than the target on both axes, the
    window's corner is drawn uniformly; otherwise it starts at Keras's
    centred corner and is resized to the target where it runs past the
    input. At inference the largest central box with the target aspect
    ratio is resized to the target, as Keras documents (Keras's own
    inference call returns the input unchanged, at odds with its docs and
    its output shape); given the transformation `{"input_shape": shape}`
    (or `None`), the `transform_*` methods do that.

    Segmentation masks of dict inputs are cropped as the images. Bounding
    boxes move as Keras moves them in training: the window's top offset is
    taken from x and its left offset from y, and boxes are clipped below at
    0 only (no clipping on the right or bottom). At inference they follow the
    resize, as `Resizing(crop_to_aspect_ratio=True)` moves them.

    Args:
        height: the output height.
        width: the output width.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: the format of the boxes of dict inputs (e.g.
            `"xyxy"`).

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"`, `"bounding_boxes"`
            and `"segmentation_masks"`.
        training: whether to crop at random (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The same, with the target height and width.

    Example:
    >>> import numpy as np
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> RandomCrop(2, 2)(x, training=False)[0, :, :, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """

    def __init__(
        self,
        height: int,
        width: int,
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
        for name, value in (("height", height), ("width", width)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"RandomCrop `{name}` must be a positive integer, received: "
                    f"{name}={value!r}."
                )
        self.height = height
        self.width = width

    def call(self, inputs: Any, training: bool | None = True) -> Any:
        if training is not False:
            return super().call(inputs, training=training)
        # Inference: a transformation without a window asks for the resize.
        if isinstance(inputs, dict):
            data = self._data(inputs)
            shape = {"input_shape": tuple(data["images"].shape)}
            return self._transform_data(data, shape, training=True)
        return self.transform_images(inputs, None)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        in_h, in_w = image_size(images_of(data).shape, self.data_format)
        if training and in_h > self.height and in_w > self.width:
            h_start = self._uniform((), 0.0, float(in_h - self.height + 1), seed)
            w_start = self._uniform((), 0.0, float(in_w - self.width + 1), seed)
            return int(h_start), int(w_start)
        crop_h = max(min(in_h, int(in_w * self.height / self.width)), 1)
        crop_w = max(min(in_w, int(in_h * self.width / self.height)), 1)
        return int((in_h - crop_h) / 2), int((in_w - crop_w) / 2)

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training:
            return images
        if transformation is None or isinstance(transformation, dict):
            return image_ops.resize(
                images,
                (self.height, self.width),
                crop_to_aspect_ratio=True,
                data_format=self.data_format,
            )
        h_start, w_start = (int(t) for t in transformation)
        h_axis, w_axis = self._height_width_axes(images.dim())
        # Slicing (not `narrow`) clips a window that runs past the input.
        index = [slice(None)] * images.dim()
        index[h_axis] = slice(h_start, h_start + self.height)
        index[w_axis] = slice(w_start, w_start + self.width)
        out = images[tuple(index)]
        if (out.shape[h_axis], out.shape[w_axis]) != (self.height, self.width):
            out = image_ops.resize(
                out, (self.height, self.width), data_format=self.data_format
            ).to(images.dtype)
        return out

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        masks = torch.as_tensor(segmentation_masks)
        return self.transform_images(masks, transformation, training).to(masks.dtype)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training:
            return bounding_boxes
        fmt, size = self._box_format, (self.height, self.width)
        if isinstance(transformation, dict):
            in_size = image_size(transformation["input_shape"], self.data_format)
            return resize_bounding_boxes(bounding_boxes, fmt, in_size, size, "crop")
        boxes = convert_format(bounding_boxes["boxes"], fmt, "xyxy", *size)
        h_start, w_start = (float(t) for t in transformation)
        x1, y1, x2, y2 = boxes.unbind(-1)
        # Keras's offsets: the top one from x, the left one from y.
        boxes = torch.stack(
            [
                (x1 - h_start).clamp(min=0),
                (y1 - w_start).clamp(min=0),
                (x2 - h_start).clamp(min=0),
                (y2 - w_start).clamp(min=0),
            ],
            dim=-1,
        )
        boxes = convert_format(boxes, "xyxy", fmt, *size)
        return {"boxes": boxes, "labels": bounding_boxes["labels"]}

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}
