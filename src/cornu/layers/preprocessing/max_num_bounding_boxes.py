"""`MaxNumBoundingBoxes`: pads or truncates bounding boxes to a fixed count."""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F

from cornu.layers.preprocessing._image import BaseImageLayer


class MaxNumBoundingBoxes(BaseImageLayer):
    """Gives every image exactly `max_number` bounding boxes.

    Boxes `(batch, n, 4)` and their labels `(batch, n)` are truncated to the
    first `max_number`, or padded with `fill_value`. Images, labels and
    segmentation masks pass unchanged.

    Args:
        max_number: the number of boxes per image in the output.
        fill_value: the value of padding boxes and labels (default `-1`).
        bounding_box_format: the boxes' format (e.g. `"xyxy"`); required
            for inputs holding `"bounding_boxes"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: a dict with `"images"` and `"bounding_boxes"`
            (`{"boxes": ..., "labels": ...}`), or images alone.

    Input shape:
        Such a dict, boxes `(batch, n, 4)` and labels `(batch, n)`.

    Output shape:
        The same, with `max_number` boxes and labels per image.

    Example:
    >>> import numpy as np
    >>> layer = MaxNumBoundingBoxes(4, bounding_box_format="xyxy")
    >>> out = layer({
    ...     "images": np.zeros((1, 8, 8, 3), "float32"),
    ...     "bounding_boxes": {
    ...         "boxes": np.array([[[0, 0, 2, 2], [1, 1, 3, 3]]], "float32"),
    ...         "labels": np.array([[1, 2]], "float32"),
    ...     },
    ... })
    >>> out["bounding_boxes"]["labels"].tolist()
    [[1.0, 2.0, -1.0, -1.0]]
    """

    def __init__(
        self,
        max_number: int,
        fill_value: int = -1,
        bounding_box_format: str | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if int(max_number) < 1:
            raise ValueError(
                "MaxNumBoundingBoxes `max_number` must be a positive int, received: "
                f"max_number={max_number!r}."
            )
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, dict):
            return inputs
        data = dict(inputs)
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError(
                    f'Layer "{self.name}" (MaxNumBoundingBoxes) received '
                    "'bounding_boxes' but no `bounding_box_format`; pass one, "
                    "e.g. bounding_box_format='xyxy'."
                )
            data["bounding_boxes"] = self.transform_bounding_boxes(
                data["bounding_boxes"]
            )
        return data

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any = None, training: bool = True
    ) -> dict[str, Any]:
        out = dict(bounding_boxes)
        for key, value in (("boxes", 2), ("labels", 1)):
            x = torch.as_tensor(bounding_boxes[key])[:, : self.max_number]
            missing = self.max_number - x.shape[1]
            # Pads axis 1: (after the last axes: 0, 0), ..., (0, missing).
            pad = [0, 0] * (value - 1) + [0, missing]
            out[key] = F.pad(x, pad, value=self.fill_value) if missing else x
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not isinstance(input_shape, dict) or "bounding_boxes" not in input_shape:
            return input_shape
        shapes = copy.deepcopy(input_shape)
        boxes = shapes["bounding_boxes"]
        extra = set(boxes) - {"boxes", "labels"}
        if extra:
            raise KeyError(
                f"MaxNumBoundingBoxes supports only 'boxes' and 'labels' in "
                f"`bounding_boxes`, received also {sorted(extra)}."
            )
        for key in ("boxes", "labels"):
            shape = list(boxes[key])
            shape[1] = self.max_number
            boxes[key] = tuple(shape)
        return shapes

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "max_number": self.max_number,
            "fill_value": self.fill_value,
        }
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
