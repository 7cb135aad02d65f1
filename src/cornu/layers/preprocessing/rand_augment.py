"""`RandAugment`: applies a few augmentations drawn from a fixed list."""

from __future__ import annotations

from typing import Any

import torch

from cornu import random
from cornu.layers.preprocessing._color import (
    check_positive_int,
    check_value_range,
    factor_range,
)
from cornu.layers.preprocessing._image import (
    INTERPOLATIONS,
    BaseRandomImageLayer,
    check_choice,
)
from cornu.layers.preprocessing.auto_contrast import AutoContrast
from cornu.layers.preprocessing.equalization import Equalization
from cornu.layers.preprocessing.random_brightness import RandomBrightness
from cornu.layers.preprocessing.random_color_degeneration import (
    RandomColorDegeneration,
)
from cornu.layers.preprocessing.random_contrast import RandomContrast
from cornu.layers.preprocessing.random_posterization import RandomPosterization
from cornu.layers.preprocessing.random_rotation import RandomRotation
from cornu.layers.preprocessing.random_sharpness import RandomSharpness
from cornu.layers.preprocessing.random_shear import RandomShear
from cornu.layers.preprocessing.random_translation import RandomTranslation
from cornu.layers.preprocessing.solarization import Solarization


def make_augmentations(
    owner: BaseRandomImageLayer,
    names: list[str],
    factor: tuple[float, float],
    value_range: Any,
    interpolation: str,
    seed: int | None,
) -> None:
    """Sets the augmentation layers in `names` on `owner`, as Keras builds
    them for RandAugment and AugMix: every strength from `factor`."""
    common: dict[str, Any] = {
        "data_format": owner.data_format,
        "dtype": owner.dtype_policy,
        "bounding_box_format": owner.bounding_box_format,
    }
    geometry: dict[str, Any] = {**common, "interpolation": interpolation, "seed": seed}
    colour: dict[str, Any] = {**common, "value_range": value_range, "seed": seed}
    builders = {
        "random_shear": lambda: RandomShear(factor, factor, **geometry),
        "random_translation": lambda: RandomTranslation(factor, factor, **geometry),
        "random_rotation": lambda: RandomRotation(factor, **geometry),
        "random_brightness": lambda: RandomBrightness(factor, **colour),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor, **colour),
        "random_contrast": lambda: RandomContrast(factor, **colour),
        "random_sharpness": lambda: RandomSharpness(factor, **colour),
        "random_posterization": lambda: RandomPosterization(
            max(1, int(8 * factor[1])), **colour
        ),
        "solarization": lambda: Solarization(factor, factor, **colour),
        "auto_contrast": lambda: AutoContrast(value_range, **common),
        "equalization": lambda: Equalization(value_range, **common),
    }
    for name in names:
        setattr(owner, name, builders[name]())


class RandAugment(BaseRandomImageLayer):
    """Applies `num_ops` augmentations, each picked at random from eleven.

    The augmentations are shear, translation, rotation, brightness, colour
    degeneration, contrast, sharpness, posterization, solarization,
    auto-contrast and equalization, all at a strength drawn from `factor`.
    The picks are shared by the batch; each image draws its own strengths.
    The bounding boxes and segmentation masks of dict inputs go through the
    same augmentations in the same order (Keras moves boxes in its list's
    order, a repeated pick once).

    Args:
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        num_ops: how many augmentations to apply in turn (default `2`).
        factor: a number `f` in `[0, 1]` (range `[0, f]`) or a pair in
            `[0, 1]`: the strength of every augmentation (default `0.5`).
        interpolation: `"bilinear"` (default) or `"nearest"`, for the
            geometric augmentations.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: the format of the boxes of dict inputs (e.g.
            `"xyxy"`).

    Call arguments:
        inputs: one image `(h, w, 3)`, a batch `(b, h, w, 3)`, or a dict
            with `"images"` and optionally `"labels"` (unchanged),
            `"bounding_boxes"` and `"segmentation_masks"`.
        training: whether to augment (default `True`, as Keras).

    Input shape:
        `(batch, height, width, 3)` or `(height, width, 3)`.

    Output shape:
        The input shape.

    Returns:
        The augmented images.

    Example:
    >>> import numpy as np
    >>> layer = RandAugment(num_ops=3, seed=0)
    >>> tuple(layer(np.full((2, 8, 8, 3), 100.0, "float32")).shape)
    (2, 8, 8, 3)
    """

    _AUGMENT_LAYERS = [
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    ]

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_ops: int = 2,
        factor: Any = 0.5,
        interpolation: str = "bilinear",
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
        check_value_range("RandAugment", value_range)
        self.value_range = value_range
        self.num_ops = check_positive_int("RandAugment", "num_ops", num_ops, 0)
        self.factor = factor_range("RandAugment", factor, 0.0, 1.0)
        self.interpolation = check_choice(
            "RandAugment", "interpolation", interpolation, INTERPOLATIONS
        )
        make_augmentations(
            self,
            self._AUGMENT_LAYERS,
            self.factor,
            value_range,
            self.interpolation,
            seed,
        )

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        if not training:
            return None
        count = len(self._AUGMENT_LAYERS)
        picks = random.randint((self.num_ops,), 0, count, seed=self.generator)
        transforms = {
            name: getattr(self, name).get_random_transformation(
                data, training=training, seed=self.generator
            )
            for name in self._AUGMENT_LAYERS
        }
        return {"transforms": transforms, "layer_idxes": picks}

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        return self._in_turn("transform_images", images, transformation, training)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self._in_turn(
            "transform_bounding_boxes", bounding_boxes, transformation, training
        )

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self._in_turn(
            "transform_segmentation_masks", segmentation_masks, transformation, training
        )

    def _in_turn(
        self, method: str, value: Any, transformation: Any, training: bool
    ) -> Any:
        """`value` through the picked augmentations' `method`, in turn."""
        if not training or transformation is None:
            return value
        transforms = transformation["transforms"]
        names = list(transforms)
        # Only the picked augmentations run; one host read of a few ints.
        for pick in torch.as_tensor(transformation["layer_idxes"]).tolist():
            name = names[pick]
            value = getattr(getattr(self, name), method)(value, transforms[name])
        return value

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
        }
