"""`AugMix`: mixes several chains of random augmentations with the image."""

from __future__ import annotations

import numbers
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
from cornu.layers.preprocessing.rand_augment import make_augmentations

_GEOMETRY_AND_TONE = [
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
]
_COLOUR = [
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
]


class AugMix(BaseRandomImageLayer):
    """Blends the image with a mix of randomly augmented copies of itself.

    Each of `num_chains` chains applies up to `chain_depth` augmentations
    (each step picks one at random, or none); the chains' outputs are mixed
    with Dirichlet(`alpha`) weights, and the result is blended with the
    original image by a Beta(`alpha`, `alpha`) weight `m`:
    `m * x + (1 - m) * mix`, clipped to `value_range`. The picks and
    weights are shared by the batch; each image draws its own strengths.
    Segmentation masks of dict inputs are mixed as the images (not clipped);
    bounding boxes pass through unchanged, as Keras does.

    Args:
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        num_chains: the number of augmentation chains (default `3`).
        chain_depth: the most augmentations in a chain (default `3`).
        factor: a number `f` in `[0, 1]` (range `[0, f]`) or a pair in
            `[0, 1]`: the strength of every augmentation (default `0.3`).
        alpha: the Dirichlet and Beta concentration (default `1.0`).
        all_ops: whether to use brightness, colour degeneration, contrast
            and sharpness as well (default `True`).
        interpolation: `"bilinear"` (default) or `"nearest"`, for the
            geometric augmentations.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: the format of the boxes of dict inputs (e.g.
            `"xyxy"`).

    Call arguments:
        inputs: one image `(h, w, 3)`, a batch `(b, h, w, 3)`, or a dict
            with `"images"` and optionally `"labels"` and `"bounding_boxes"`
            (unchanged) and `"segmentation_masks"`.
        training: whether to augment (default `True`, as Keras).

    Input shape:
        `(batch, height, width, 3)` or `(height, width, 3)`.

    Output shape:
        The input shape.

    Returns:
        The augmented images.

    Example:
    >>> import numpy as np
    >>> layer = AugMix(num_chains=2, seed=0)
    >>> tuple(layer(np.full((2, 8, 8, 3), 100.0, "float32")).shape)
    (2, 8, 8, 3)
    """

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: Any = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
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
        self.value_range = value_range
        self._range = check_value_range("AugMix", value_range)
        self.num_chains = check_positive_int("AugMix", "num_chains", num_chains)
        self.chain_depth = check_positive_int("AugMix", "chain_depth", chain_depth)
        self.factor = factor_range("AugMix", factor, 0.0, 1.0)
        if not (
            isinstance(alpha, numbers.Real)
            and not isinstance(alpha, bool)
            and alpha > 0
        ):
            raise ValueError(
                f"AugMix `alpha` must be a positive number, received: alpha={alpha!r}."
            )
        self.alpha: float = alpha
        self.all_ops: bool = bool(all_ops)
        self.interpolation: str = check_choice(
            "AugMix", "interpolation", interpolation, INTERPOLATIONS
        )
        self._augment_layers: list[str] = _GEOMETRY_AND_TONE + (
            _COLOUR if self.all_ops else []
        )
        make_augmentations(
            self,
            self._augment_layers,
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
        seed = self.generator if seed is None else seed
        gamma = random.gamma((self.num_chains,), self.alpha, seed=seed)
        chain_weights = gamma / gamma.sum(dim=-1, keepdim=True)
        blend = random.beta((), self.alpha, self.alpha, seed=seed)
        # One pick per step; the extra index means "no augmentation here".
        count = len(self._augment_layers)
        picks = random.randint(
            (self.num_chains, self.chain_depth), 0, count + 1, seed=self.generator
        ).tolist()
        chains = [
            [
                {
                    "layer_name": self._augment_layers[pick],
                    "transformation": getattr(
                        self, self._augment_layers[pick]
                    ).get_random_transformation(data, seed=self.generator),
                }
                for pick in chain
                if pick < count
            ]
            for chain in picks
        ]
        return {
            "chain_mixing_weights": chain_weights,
            "weight_sample": blend,
            "chain_transforms": chains,
        }

    def transform_images(
        self, images: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        images = self._images(images)
        if not training or transformation is None:
            return images
        out = self._mix("transform_images", images, transformation)
        return out.clamp(*self._range)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        masks = torch.as_tensor(segmentation_masks)
        return self._mix("transform_segmentation_masks", masks, transformation)

    def _mix(self, method: str, x: torch.Tensor, transformation: Any) -> torch.Tensor:
        """`m * x + (1 - m) * sum_i(w_i * chain_i(x))`, each chain applying
        its augmentations' `method` in turn."""
        dtype = self._compute_torch_dtype
        weights = torch.as_tensor(
            transformation["chain_mixing_weights"], device=x.device
        ).to(dtype)
        blend = torch.as_tensor(transformation["weight_sample"], device=x.device).to(
            dtype
        )
        mixed = torch.zeros(x.shape, dtype=dtype, device=x.device)
        for weight, chain in zip(weights, transformation["chain_transforms"]):
            augmented = x
            for step in chain:
                layer = getattr(self, step["layer_name"])
                augmented = getattr(layer, method)(augmented, step["transformation"])
            mixed = mixed + augmented * weight
        return blend * x + (1.0 - blend) * mixed

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
        }
