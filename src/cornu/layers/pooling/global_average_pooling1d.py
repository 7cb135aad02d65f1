"""`GlobalAveragePooling1D`: the mean over all 1-d positions."""

from __future__ import annotations

from typing import Any

import torch

from cornu.layers.pooling.base_global_pooling import BaseGlobalAveragePooling


class GlobalAveragePooling1D(BaseGlobalAveragePooling):
    """Takes the mean over the steps of each sample.

    With a mask `(batch, steps)` (e.g. from `Embedding(mask_zero=True)`),
    the mean is over the unmasked steps only.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: whether to keep the pooled axes, with size 1.

    Call arguments:
        inputs: the input tensor.
        mask: `(batch, steps)` booleans, `True` for the steps to use.

    Input shape:
        `(batch, steps, channels)` (channels-last) or
        `(batch, channels, steps)`.

    Output shape:
        `(batch, channels)`; with `keepdims`, size-1 spatial axes are kept.

    Example:
    >>> import numpy as np
    >>> tuple(GlobalAveragePooling1D()(np.ones((2, 4, 3), "float32")).shape)
    (2, 3)
    """

    rank = 1

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        if mask is None:
            return super().call(inputs)
        # As Keras: the mean over the unmasked steps only.
        steps = self._axes[0]
        keep = mask.unsqueeze(2 if steps == 1 else 1).bool()
        # `where`, not a product: masked steps may hold inf or nan.
        total = torch.where(keep, inputs, 0).sum(dim=steps, keepdim=self.keepdims)
        count = keep.to(inputs.dtype).sum(dim=steps, keepdim=self.keepdims)
        return total / count

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> None:
        return None


GlobalAvgPool1D = GlobalAveragePooling1D
