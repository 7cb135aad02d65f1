"""`CenterCrop`: crops the central part of images."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import BaseImageLayer, image_size
from cornu.ops import image as image_ops
from cornu.utils.bounding_boxes import clip_to_image_size, convert_format


def crop_window(
    in_size: tuple[int, int], size: tuple[int, int]
) -> tuple[int, int, int, int, bool]:
    """`(top, left, height, width, resized)`: the window of an `in_size`
    image that becomes the `size` output; `resized` when it is the largest
    central box with the target aspect ratio (the input is too small)."""
    (in_h, in_w), (height, width) = in_size, size
    if in_h >= height and in_w >= width:
        return (in_h - height) // 2, (in_w - width) // 2, height, width, False
    crop_h = max(min(in_h, int(in_w * height / width)), 1)
    crop_w = max(min(in_w, int(in_h * width / height)), 1)
    return int((in_h - crop_h) / 2), int((in_w - crop_w) / 2), crop_h, crop_w, True


class CenterCrop(BaseImageLayer):
    """Crops the central `(height, width)` box of each image (a view).

    As Keras: an image smaller than the target on either axis is instead
    cropped to the target aspect ratio and resized (bilinear) to the target.
    Dict inputs crop their segmentation masks and bounding boxes too; boxes
    are clipped to the window (boxes left without area get label `-1`).

    Args:
        height: the output height.
        width: the output width.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: the format of the boxes of dict inputs (e.g.
            `"xyxy"`).

    Call arguments:
        inputs: one image `(h, w, c)`, a batch `(b, h, w, c)`, or a dict
            with `"images"` and optionally `"labels"`, `"bounding_boxes"`
            and `"segmentation_masks"`.

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`
        (channels-last).

    Output shape:
        The same, with the target height and width.

    Example:
    >>> import numpy as np
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> CenterCrop(2, 2)(x)[0, :, :, 0].tolist()
    [[5.0, 6.0], [9.0, 10.0]]
    """

    def __init__(
        self,
        height: int,
        width: int,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            data_format=data_format, bounding_box_format=bounding_box_format, **kwargs
        )
        for name, value in (("height", height), ("width", width)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"CenterCrop `{name}` must be a positive integer, received: "
                    f"{name}={value!r}."
                )
        self.height = height
        self.width = width

    def call(self, inputs: Any) -> Any:
        if isinstance(inputs, dict):
            data = self._data(inputs)
            transformation = self.get_random_transformation(data)
            return self._transform_data(data, transformation, training=True)
        return self.transform_images(inputs)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> dict[str, Any]:
        """`{"input_shape": ...}`, as Keras's transformation."""
        images = data["images"] if isinstance(data, dict) else data
        return {"input_shape": tuple(images.shape)}

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        masks = torch.as_tensor(segmentation_masks)
        return self.transform_images(masks).to(masks.dtype)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        in_h, in_w = image_size(transformation["input_shape"], self.data_format)
        size = (self.height, self.width)
        top, left, crop_h, crop_w, resized = crop_window((in_h, in_w), size)
        fmt = self._box_format
        out = convert_format(bounding_boxes, fmt, "xyxy", in_h, in_w)
        x1, y1, x2, y2 = out["boxes"].split(1, dim=-1)
        bottom, right = top + crop_h, left + crop_w
        out["boxes"] = torch.cat(
            [
                x1.clamp(left, right) - left,
                y1.clamp(top, bottom) - top,
                x2.clamp(left, right) - left,
                y2.clamp(top, bottom) - top,
            ],
            dim=-1,
        )
        if resized:  # the window is stretched to the target size
            out = convert_format(out, "xyxy", "rel_xyxy", crop_h, crop_w)
            out = convert_format(out, "rel_xyxy", "xyxy", *size)
        out = clip_to_image_size(out, *size)
        return convert_format(out, "xyxy", fmt, *size)

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        h_axis, w_axis = self._height_width_axes(images.dim())
        h_diff = images.shape[h_axis] - self.height
        w_diff = images.shape[w_axis] - self.width
        if h_diff < 0 or w_diff < 0:
            return image_ops.resize(
                images,
                (self.height, self.width),
                crop_to_aspect_ratio=True,
                data_format=self.data_format,
            )
        images = images.narrow(h_axis, h_diff // 2, self.height)
        return images.narrow(w_axis, w_diff // 2, self.width)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}
