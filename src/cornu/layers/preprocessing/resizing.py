"""`Resizing`: resizes images to a fixed height and width."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import BaseImageLayer, check_choice
from cornu.ops import image as image_ops


class Resizing(BaseImageLayer):
    """Resizes images to `(height, width)`, optionally keeping the aspect ratio.

    Interpolation uses half-pixel centres (torch's `align_corners=False`), as
    Keras's `image.resize`. Outputs are in the compute dtype.

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

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.

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
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
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

    def call(self, inputs: Any) -> torch.Tensor:
        return image_ops.resize(
            self._images(inputs),
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        h_axis, w_axis = self._height_width_axes(len(shape))
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

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
