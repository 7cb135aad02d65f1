"""`RandomGrayscale`: turns some images grey at random, in training."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.preprocessing._color import BaseColorLayer, _is_number, batch_size
from cornu.ops import image as image_ops


class RandomGrayscale(BaseColorLayer):
    """Replaces each image, with probability `factor`, by its luma.

    A chosen image gets `0.2989 R + 0.587 G + 0.114 B` in every channel, so
    the number of channels is kept; the others pass unchanged.

    Args:
        factor: the probability in `[0, 1]` that an image turns grey
            (default `0.5`).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: one image `(h, w, 3)` or a batch `(b, h, w, 3)`.
        training: whether to convert (default `True`, as Keras).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Returns:
        The images, some of them grey.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 0.0, 0.0]]]], "float32")
    >>> RandomGrayscale(factor=1.0)(x)[0, 0, 0].tolist()
    [0.2989000082015991, 0.2989000082015991, 0.2989000082015991]
    """

    def __init__(
        self,
        factor: float = 0.5,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not (_is_number(factor) and 0 <= factor <= 1):
            raise ValueError(
                "RandomGrayscale `factor` must be a number in [0, 1], "
                f"received: factor={factor!r}."
            )
        self.factor = factor

    def get_random_transformation(
        self, data: Any, training: bool = True, seed: Any = None
    ) -> Any:
        draw = self._uniform((batch_size(data),), 0.0, 1.0, seed)
        return (draw < self.factor).reshape(-1, 1, 1, 1)  # (b, 1, 1, 1) bool

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        apply = torch.as_tensor(transformation, device=images.device)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return torch.where(apply, gray, images)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
