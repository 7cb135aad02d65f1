"""`CenterCrop`: crops the central part of images."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._image import BaseImageLayer
from cornu.ops import image as image_ops


class CenterCrop(BaseImageLayer):
    """Crops the central `(height, width)` box of each image (a view).

    As Keras: an image smaller than the target on either axis is instead
    cropped to the target aspect ratio and resized (bilinear) to the target.

    Args:
        height: the output height.
        width: the output width.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.

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
        self, height: int, width: int, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        for name, value in (("height", height), ("width", width)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"CenterCrop `{name}` must be a positive integer, received: "
                    f"{name}={value!r}."
                )
        self.height = height
        self.width = width

    def call(self, inputs: Any) -> torch.Tensor:
        images = self._images(inputs)
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

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        h_axis, w_axis = self._height_width_axes(len(shape))
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}
