"""`Resizing`: resizes images to a fixed height and width."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import BaseImageLayer, check_choice, image_size
from cornu.ops import image as image_ops
from cornu.utils.bounding_boxes import clip_to_image_size, convert_format


def resize_boxes(
    boxes: torch.Tensor, in_size: tuple[int, int], size: tuple[int, int], mode: str
) -> torch.Tensor:
    """`"xyxy"` boxes of an `in_size` image -> boxes of its resize to `size`
    (`mode`: `"stretch"`, `"crop"` or `"pad"` to the aspect ratio)."""
    height, width = size
    in_h = torch.tensor(float(in_size[0]), dtype=boxes.dtype, device=boxes.device)
    in_w = torch.tensor(float(in_size[1]), dtype=boxes.dtype, device=boxes.device)
    scale_x, scale_y = width / in_w, height / in_h
    offset_x = offset_y = torch.zeros((), dtype=boxes.dtype, device=boxes.device)
    if mode == "pad":
        scale_x = scale_y = torch.minimum(scale_y, scale_x)
        offset_x = (width - in_w * scale_x) // 2
        offset_y = (height - in_h * scale_y) // 2
    elif mode == "crop":
        wider = in_w / in_h > width / height
        new_w = torch.where(wider, height * (in_w / in_h), width)
        new_h = torch.where(wider, height, width / (in_w / in_h))
        scale_x, scale_y = new_w / in_w, new_h / in_h
        offset_x, offset_y = -((new_w - width) // 2), -((new_h - height) // 2)
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(
        [
            x1 * scale_x + offset_x,
            y1 * scale_y + offset_y,
            x2 * scale_x + offset_x,
            y2 * scale_y + offset_y,
        ],
        dim=-1,
    )


def resize_bounding_boxes(
    bounding_boxes: dict[str, Any],
    fmt: str,
    in_size: tuple[int, int],
    size: tuple[int, int],
    mode: str,
) -> dict[str, Any]:
    """Resizes a dict of boxes in format `fmt`, as Keras's `Resizing` does:
    boxes clipped to the new image; all-zero and all-`-1` (padding) boxes
    come out as zeros."""
    padding = (bounding_boxes["boxes"] == -1).all(-1) | (
        bounding_boxes["boxes"] == 0
    ).all(-1)
    out = convert_format(bounding_boxes, fmt, "xyxy", *in_size)
    out["boxes"] = resize_boxes(out["boxes"], in_size, size, mode)
    out = clip_to_image_size(out, *size)
    out["boxes"] = torch.where(padding[..., None], 0.0, out["boxes"])
    return convert_format(out, "xyxy", fmt, *size)


class Resizing(BaseImageLayer):
    """Resizes images to `(height, width)`, optionally keeping the aspect ratio.

    Interpolation uses half-pixel centres (torch's `align_corners=False`), as
    Keras's `image.resize`. Outputs are in the compute dtype. Dict inputs
    resize their segmentation masks (nearest) and bounding boxes too; boxes
    are clipped to the new image.

    Args:
        height: the output height.
        width: the output width.
        interpolation: `"bilinear"` (default), `"nearest"` or `"bicubic"`.
        crop_to_aspect_ratio: first crop the largest centred box with the
            target aspect ratio.
        pad_to_aspect_ratio: first pad (with `fill_value`) to the target
            aspect ratio.
        fill_mode: `"constant"` (the only mode, as Keras).
        fill_value: the padding value.
        antialias: low-pass filter when downsampling.
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
        The same, with the new height and width.

    Example:
    >>> import numpy as np
    >>> tuple(Resizing(2, 3)(np.ones((1, 4, 4, 3), "float32")).shape)
    (1, 2, 3, 3)
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
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
                    f"Resizing `{name}` must be a positive integer, received: "
                    f"{name}={value!r}."
                )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing accepts only one of `crop_to_aspect_ratio` and "
                "`pad_to_aspect_ratio`; both are True."
            )
        self.height = height
        self.width = width
        self.interpolation = check_choice(
            "Resizing",
            "interpolation",
            interpolation,
            ("bilinear", "nearest", "bicubic"),
        )
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = check_choice("Resizing", "fill_mode", fill_mode, ("constant",))
        self.fill_value = fill_value
        self.antialias = antialias

    def call(self, inputs: Any) -> Any:
        if isinstance(inputs, dict):
            data = self._data(inputs)
            transformation = self.get_random_transformation(data)
            return self._transform_data(data, transformation, training=True)
        return self.transform_images(inputs)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> tuple[int, int]:
        """The input's `(height, width)`, as Keras's transformation."""
        images = data["images"] if isinstance(data, dict) else data
        return image_size(images.shape, self.data_format)

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        return self._resize(self._images(images), self.interpolation)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        masks = torch.as_tensor(segmentation_masks)
        return self._resize(masks, "nearest").to(masks.dtype)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        mode = "stretch"
        if self.pad_to_aspect_ratio:
            mode = "pad"
        elif self.crop_to_aspect_ratio:
            mode = "crop"
        return resize_bounding_boxes(
            bounding_boxes,
            self._box_format,
            tuple(transformation),
            (self.height, self.width),
            mode,
        )

    def _resize(self, images: torch.Tensor, interpolation: str) -> torch.Tensor:
        return image_ops.resize(
            images,
            (self.height, self.width),
            interpolation=interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }
