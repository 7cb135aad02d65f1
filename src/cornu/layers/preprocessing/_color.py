"""Argument checks and the private base shared by the colour augmentations."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu.layers.preprocessing._image import BaseRandomImageLayer


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_value_range(layer: str, value: Any) -> tuple[float, float]:
    """The `(low, high)` pixel range, sorted."""
    if not (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(_is_number(v) for v in value)
        and value[0] != value[1]
    ):
        raise ValueError(
            f"{layer} `value_range` must be a pair of two distinct numbers, "
            f"received: value_range={value!r}."
        )
    low, high = sorted(value)
    return low, high


def factor_range(
    layer: str, factor: Any, low: float, high: float
) -> tuple[float, float]:
    """Keras's factor: `f` -> `(max(-|f|, low), |f|)`; a pair is sorted.

    Every value must lie in `[low, high]`.
    """
    if isinstance(factor, (tuple, list)) and len(factor) == 2:
        values = sorted(factor) if all(_is_number(f) for f in factor) else []
    elif _is_number(factor) and low <= factor <= high:
        values = [max(-abs(factor), low), abs(factor)]
    else:
        values = []
    if len(values) != 2 or values[0] < low or values[1] > high:
        raise ValueError(
            f"{layer} `factor` must be a number or a pair of numbers in "
            f"[{low}, {high}], received: factor={factor!r}."
        )
    return values[0], values[1]


def check_pair_range(layer: str, value: Any) -> list[float]:
    """A `value_range` kept sorted, as the layers that store it sorted do."""
    return list(check_value_range(layer, value))


def check_positive_int(layer: str, name: str, value: Any, minimum: int = 1) -> int:
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (integral and int(value) >= minimum):
        raise ValueError(
            f"{layer} `{name}` must be an integer >= {minimum}, "
            f"received: {name}={value!r}."
        )
    return int(value)


def rescale(images: torch.Tensor, source: Any, target: Any) -> torch.Tensor:
    """Maps pixel values linearly from the `source` range onto `target`.

    The identity (no arithmetic at all) when the two ranges are equal, so
    `(0, 255)` images round-trip exactly.
    """
    (s0, s1), (t0, t1) = source, target
    if s0 == t0 and s1 == t1:
        return images
    return (images - s0) / (s1 - s0) * (t1 - t0) + t0


def batch_size(data: Any) -> int:
    """1 for one image, the leading dimension for a batch."""
    images = data["images"] if isinstance(data, dict) else data
    shape = tuple(images.shape)
    return 1 if len(shape) == 3 else int(shape[0])


def per_image_shape(images: Any) -> tuple[int, ...]:
    """`(1, 1, 1)` for one image, `(b, 1, 1, 1)` for a batch: one value per
    image, broadcast over its pixels."""
    return (1, 1, 1) if len(images.shape) == 3 else (images.shape[0], 1, 1, 1)


class FactorAndValueRange:
    """For the layers configured by a random `factor` and a `value_range`:
    both are validated once and returned, as given, by `get_config`."""

    factor: tuple[float, float]
    value_range: Any

    def _set_factor_and_value_range(
        self,
        layer: str,
        factor: Any,
        value_range: Any,
        bounds: tuple[float, float],
        keep_given_range: bool = False,
    ) -> tuple[float, float]:
        """Checks and stores both; returns the sorted `(low, high)` range.

        `value_range` is stored sorted as a list, or as given where
        `keep_given_range` (the layers whose config echoes the argument).
        """
        self.factor = factor_range(layer, factor, *bounds)
        low_high = check_value_range(layer, value_range)
        self.value_range = value_range if keep_given_range else list(low_high)
        return low_high

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),  # type: ignore[misc]
            "factor": self.factor,
            "value_range": self.value_range,
        }


class KeepsBoxesAndMasks:
    """For layers that change pixel values only: the bounding boxes and
    segmentation masks of dict inputs pass through unchanged, as Keras's
    colour layers return them (its RandomGrayscale and CLAHE refuse dict
    inputs with them; every colour layer here accepts them)."""

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return segmentation_masks


class BaseColorLayer(KeepsBoxesAndMasks, BaseRandomImageLayer):
    """A colour or intensity augmentation applied to a batch at once.

    Subclasses write `_transform(images, transformation)` for a batch
    `(b, h, w, c)` (or `(b, c, h, w)`); one image is treated as a batch of
    one, as Keras does. `_draws` is False for the deterministic layers, whose
    transformation is always `None`. Dict inputs keep their boxes and masks.
    """

    _draws = True

    def _apply_always(self, inputs: Any) -> Any:
        """The call of the deterministic layers that apply whatever
        `training` says, on images or on dict inputs."""
        if isinstance(inputs, dict):
            return self._transform_data(self._data(inputs), None, training=True)
        return self.transform_images(inputs, None)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        return None

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or (self._draws and transformation is None):
            return images
        if images.dim() == 3:
            return self._transform(images.unsqueeze(0), transformation)[0]
        return self._transform(images, transformation)

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        raise NotImplementedError

    @property
    def _channel_axis(self) -> int:
        """The channel axis of a batch."""
        return -1 if self.data_format == "channels_last" else 1

    def _tensor(self, value: Any, images: torch.Tensor) -> torch.Tensor:
        """A transformation entry on the images' device, in their dtype."""
        return torch.as_tensor(value, device=images.device).to(images.dtype)

    def _as_channels_first(self, images: torch.Tensor) -> torch.Tensor:
        """`(b, c, h, w)` view of a batch."""
        if self.data_format == "channels_last":
            return images.permute(0, 3, 1, 2)
        return images

    def _from_channels_first(self, images: torch.Tensor) -> torch.Tensor:
        if self.data_format == "channels_last":
            return images.permute(0, 2, 3, 1)
        return images
