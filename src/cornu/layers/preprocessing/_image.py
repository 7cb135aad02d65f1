"""The private bases of the image preprocessing layers."""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch

from cornu import random
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils
from cornu.utils.bounding_boxes.validation import densify_bounding_boxes

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def check_choice(layer: str, name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(
            f"{layer} `{name}` must be one of {allowed}, received: {name}={value!r}."
        )
    return value


def symmetric_factor(
    layer: str, name: str, factor: Any, low: float = -1.0, high: float = 1.0
) -> tuple[float, float]:
    """`f` -> `(-|f|, |f|)`; a pair is sorted. Values must lie in `[low, high]`."""
    if isinstance(factor, (tuple, list)) and len(factor) == 2:
        values = sorted(float(f) for f in factor)
    elif isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        values = [-abs(float(factor)), abs(float(factor))]
    else:
        values = []
    if len(values) != 2 or values[0] < low or values[1] > high:
        raise ValueError(
            f"{layer} `{name}` must be a number or a pair of numbers in "
            f"[{low}, {high}], received: {name}={factor!r}."
        )
    return values[0], values[1]


def images_of(data: Any) -> Any:
    """The images of a Keras dict input, or the input itself."""
    return data["images"] if isinstance(data, dict) else data


def image_size(shape: Any, data_format: str) -> tuple[int, int]:
    """`(height, width)` of an image shape, batched or not."""
    if data_format == "channels_last":
        return int(shape[-3]), int(shape[-2])
    return int(shape[-2]), int(shape[-1])


class BaseImageLayer(Layer):
    """Holds the data format; accepts one image (rank 3) or a batch (rank 4).

    Besides images, every image layer takes Keras's dict inputs
    `{"images", "labels", "bounding_boxes": {"boxes", "labels"},
    "segmentation_masks"}`: `_transform_data` applies one transformation to
    every entry through `transform_images`, `transform_labels` (default:
    unchanged), `transform_bounding_boxes` and `transform_segmentation_masks`
    (default: refused). Boxes of one image are given to
    `transform_bounding_boxes` as a batch of one, as Keras does.
    """

    def __init__(
        self,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.bounding_box_format = bounding_box_format
        # Images may arrive as integers (uint8); `_images` casts them.
        self.autocast = False

    def _images(self, inputs: Any) -> torch.Tensor:
        """The inputs as a tensor in the compute dtype, checked to be images."""
        x = torch.as_tensor(inputs)
        if x.dim() not in (3, 4):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects images of '
                f"rank 3 (one image) or 4 (a batch), received shape {tuple(x.shape)}."
            )
        want = self._compute_torch_dtype
        return x if x.dtype is want else x.to(want)

    def _height_width_axes(self, ndim: int) -> tuple[int, int]:
        if self.data_format == "channels_last":
            return ndim - 3, ndim - 2
        return ndim - 2, ndim - 1

    def _resized_shape(self, input_shape: Any, height: int, width: int) -> Any:
        """The output shape of a layer whose images become `(height, width)`;
        for dict inputs, the images' and masks' shapes change."""
        if isinstance(input_shape, dict):
            out = dict(input_shape)
            for key in ("images", "segmentation_masks"):
                if key in out:
                    out[key] = self._resized_shape(out[key], height, width)
            return out
        shape = list(input_shape)
        h_axis, w_axis = self._height_width_axes(len(shape))
        shape[h_axis], shape[w_axis] = height, width
        return tuple(shape)

    def _data(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """A shallow copy of a dict input, its images checked and cast."""
        if "images" not in inputs:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects a dict '
                f'input with an "images" key, received keys {sorted(inputs)}.'
            )
        return {**inputs, "images": self._images(inputs["images"])}

    def _transform_data(
        self, data: dict[str, Any], transformation: Any, training: bool
    ) -> dict[str, Any]:
        """Applies one transformation to every entry of a dict input."""
        batched = data["images"].dim() == 4
        out = dict(data)
        out["images"] = self.transform_images(
            data["images"], transformation, training=training
        )
        if "bounding_boxes" in data:
            self._check_box_format()
            boxes = densify_bounding_boxes(data["bounding_boxes"], is_batched=batched)
            keys = ("boxes", "labels")
            if not batched:
                boxes = {
                    k: v.unsqueeze(0) if k in keys else v for k, v in boxes.items()
                }
            boxes = self.transform_bounding_boxes(
                boxes, transformation, training=training
            )
            if not batched:
                boxes = {k: v.squeeze(0) if k in keys else v for k, v in boxes.items()}
            out["bounding_boxes"] = boxes
        if "labels" in data:
            out["labels"] = self.transform_labels(
                torch.as_tensor(data["labels"]), transformation, training=training
            )
        if "segmentation_masks" in data:
            out["segmentation_masks"] = self.transform_segmentation_masks(
                torch.as_tensor(data["segmentation_masks"]),
                transformation,
                training=training,
            )
        return out

    @property
    def _box_format(self) -> str:
        """`bounding_box_format`, checked to be set."""
        return self._check_box_format()

    def _check_box_format(self) -> str:
        if not self.bounding_box_format:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) received '
                "'bounding_boxes' but no `bounding_box_format`; pass one, "
                "e.g. bounding_box_format='xyxy'."
            )
        return self.bounding_box_format

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        raise NotImplementedError

    def transform_labels(
        self, labels: Any, transformation: Any, training: bool = True
    ) -> Any:
        return labels

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} does not transform segmentation masks."
        )

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} does not transform bounding boxes."
        )

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


class BaseRandomImageLayer(BaseImageLayer):
    """An augmentation: draws a transformation, then applies it.

    As in Keras, `training` defaults to `True`: the layer augments when
    called directly and in `fit`, and passes images through (cast to the
    compute dtype) in `predict`/`evaluate` or with `training=False`.
    `get_random_transformation` returns the same dictionaries as Keras's, so
    `transform_images` (and `transform_bounding_boxes`) can be checked
    against Keras on one draw.
    """

    def __init__(
        self, seed: int | None = None, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def call(self, inputs: Any, training: bool | None = True) -> Any:
        train = training is not False
        if isinstance(inputs, dict):
            data = self._data(inputs)
            # Drawn from the images alone, which every layer here accepts.
            transformation = (
                self.get_random_transformation(data["images"], training=True)
                if train
                else None
            )
            return self._transform_data(data, transformation, train)
        images = self._images(inputs)
        if not train:
            return images
        transformation = self.get_random_transformation(images, training=True)
        return self.transform_images(images, transformation, training=True)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        raise NotImplementedError

    def _uniform(self, shape: tuple[int, ...], low: float, high: float, seed: Any):
        draw = random.uniform(
            shape,
            minval=low,
            maxval=high,
            seed=self.generator if seed is None else seed,
        )
        return draw

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


class BaseAffineImageLayer(BaseRandomImageLayer):
    """A geometric augmentation: one projective matrix per image.

    A subclass draws its transformation and turns it into Keras's 8-number
    matrices in `_matrix`; images are resampled with the layer's
    `interpolation`, segmentation masks with `"nearest"`, both filled as
    `fill_mode`/`fill_value` say.
    """

    fill_mode: str
    fill_value: float
    interpolation: str

    def _set_fill(self, fill_mode: str, interpolation: str, fill_value: float) -> None:
        """Validates and keeps the resampling arguments every subclass takes."""
        owner = type(self).__name__
        self.fill_mode = check_choice(owner, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = check_choice(
            owner, "interpolation", interpolation, INTERPOLATIONS
        )
        self.fill_value = fill_value

    def _matrix(self, transformation: Any, images: torch.Tensor) -> torch.Tensor:
        """`(batch, 8)` matrices mapping output pixels to input pixels."""
        raise NotImplementedError

    def _warp(
        self, images: torch.Tensor, transformation: Any, interpolation: str
    ) -> torch.Tensor:
        from cornu.ops import image as image_ops

        matrix = self._matrix(transformation, images)
        return image_ops.affine_transform(
            images,
            matrix if images.dim() == 4 else matrix[0],
            interpolation=interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        return self._warp(images, transformation, self.interpolation)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        masks = torch.as_tensor(segmentation_masks)
        return self._warp(masks, transformation, "nearest")

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


def rotation_transforms(angle: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """`(batch, 8)` projective transforms rotating by `angle` degrees about
    the image centre (output pixel -> input pixel, Keras's convention)."""
    theta = angle * (math.pi / 180.0)
    cos, sin = torch.cos(theta), torch.sin(theta)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    zeros = torch.zeros_like(theta)
    return torch.stack(
        [
            cos,
            -sin,
            cx - cx * cos + cy * sin,
            sin,
            cos,
            cy - cx * sin - cy * cos,
            zeros,
            zeros,
        ],
        dim=1,
    )


def zoom_transforms(
    width_zoom: torch.Tensor, height_zoom: torch.Tensor, height: int, width: int
) -> torch.Tensor:
    """`(batch, 8)` transforms scaling about the centre: an output pixel
    reads the input at `zoom` times its offset from the centre."""
    zx, zy = width_zoom.reshape(-1), height_zoom.reshape(-1)
    zeros = torch.zeros_like(zx)
    x_offset = (width - 1) / 2.0 * (1.0 - zx)
    y_offset = (height - 1) / 2.0 * (1.0 - zy)
    return torch.stack([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], dim=1)
