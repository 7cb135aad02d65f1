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
from cornu.utils.bounding_boxes import clip_to_image_size, convert_format, crop


class CropWindow(tuple):
    """`(h_start, w_start)`, RandomCrop's transformation as Keras writes it,
    carrying the input's `(height, width)` too (boxes need it)."""

    input_size: tuple[int, int] | None

    def __new__(
        cls, start: tuple[int, int], input_size: tuple[int, int] | None = None
    ) -> CropWindow:
        window = super().__new__(cls, start)
        window.input_size = input_size
        return window


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
    boxes move with the window (its left offset taken from x, its top one
    from y), are clipped to it and follow its resize, if any; boxes left
    with no area get label `-1` (Keras swaps the two offsets and does not
    clip on the right or bottom). At inference they follow the resize, as
    `Resizing(crop_to_aspect_ratio=True)` moves them.

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
            return CropWindow((int(h_start), int(w_start)), (in_h, in_w))
        crop_h = max(min(in_h, int(in_w * self.height / self.width)), 1)
        crop_w = max(min(in_w, int(in_h * self.width / self.height)), 1)
        start = (int((in_h - crop_h) / 2), int((in_w - crop_w) / 2))
        return CropWindow(start, (in_h, in_w))

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
        h_start, w_start = (int(t) for t in transformation)
        window_input = getattr(transformation, "input_size", None)
        if window_input is None and fmt.startswith("rel_"):
            raise ValueError(
                f'Layer "{self.name}" (RandomCrop) needs the input size to move '
                f"boxes in the relative format {fmt!r}: pass the transformation "
                "returned by `get_random_transformation`, received "
                f"{transformation!r}."
            )
        in_h, in_w = window_input if window_input is not None else (None, None)
        # The window the images are cut to: the target size, or less where
        # it runs past the input (the images are then resized to the target).
        win_h, win_w = self.height, self.width
        if in_h is not None and in_w is not None:
            win_h, win_w = min(win_h, in_h - h_start), min(win_w, in_w - w_start)
        out = convert_format(bounding_boxes, fmt, "xyxy", in_h, in_w)
        boxes = crop(out["boxes"], h_start, w_start, win_h, win_w)
        if (win_h, win_w) != size:
            scale = [self.width / win_w, self.height / win_h] * 2
            boxes = boxes * torch.tensor(scale, dtype=boxes.dtype, device=boxes.device)
        out = clip_to_image_size({**out, "boxes": boxes}, *size)
        return convert_format(out, "xyxy", fmt, *size)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}
