"""`RandomColorJitter`: random brightness, contrast, saturation and hue."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import KeepsBoxesAndMasks, check_value_range
from cornu.layers.preprocessing._image import BaseRandomImageLayer
from cornu.layers.preprocessing.random_brightness import RandomBrightness
from cornu.layers.preprocessing.random_contrast import RandomContrast
from cornu.layers.preprocessing.random_hue import RandomHue
from cornu.layers.preprocessing.random_saturation import RandomSaturation

# Applied in this order; each factor left `None` skips its step.
_STEPS = (
    ("random_brightness", "brightness_factor", RandomBrightness),
    ("random_contrast", "contrast_factor", RandomContrast),
    ("random_saturation", "saturation_factor", RandomSaturation),
    ("random_hue", "hue_factor", RandomHue),
)


class RandomColorJitter(KeepsBoxesAndMasks, BaseRandomImageLayer):
    """Applies `RandomBrightness`, `RandomContrast`, `RandomSaturation` and
    `RandomHue` in turn, each with its own factor.

    Args:
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        brightness_factor: the `RandomBrightness` factor, or `None` to skip.
        contrast_factor: the `RandomContrast` factor, or `None` to skip.
        saturation_factor: the `RandomSaturation` factor, or `None` to skip.
        hue_factor: the `RandomHue` factor, or `None` to skip.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, 3)` or a batch `(b, h, w, 3)`.
        training: whether to adjust (default `True`, as Keras).

    Input shape:
        `(batch, height, width, 3)` or `(height, width, 3)`.

    Output shape:
        The input shape.

    Returns:
        The adjusted images.

    Example:
    >>> import numpy as np
    >>> layer = RandomColorJitter(brightness_factor=0.2, hue_factor=0.1, seed=0)
    >>> tuple(layer(np.full((2, 4, 4, 3), 100.0, "float32")).shape)
    (2, 4, 4, 3)
    """

    def __init__(
        self,
        value_range: Any = (0, 255),
        brightness_factor: Any = None,
        contrast_factor: Any = None,
        saturation_factor: Any = None,
        hue_factor: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        check_value_range("RandomColorJitter", value_range)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._steps: list[str] = []
        for attr, arg, cls in _STEPS:
            factor = getattr(self, arg)
            layer = None
            if factor is not None:
                layer = cls(
                    factor,
                    value_range=value_range,
                    seed=seed,
                    data_format=self.data_format,
                    dtype=self.dtype_policy,
                )
                self._steps.append(attr)
            setattr(self, attr, layer)

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        seed = self.generator if seed is None else seed
        return {
            attr: getattr(self, attr).get_random_transformation(data, seed=seed)
            for attr in self._steps
        }

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training:
            return images
        if transformation is None:
            transformation = self.get_random_transformation(images)
        for attr in self._steps:
            layer = getattr(self, attr)
            images = layer.transform_images(images, transformation[attr])
        return images

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
        }
