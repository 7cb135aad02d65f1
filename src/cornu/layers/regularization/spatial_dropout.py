"""`SpatialDropout1D/2D/3D`: dropout of whole feature maps."""

from __future__ import annotations

from typing import Any

import torch

from cornu import random
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils
from cornu.layers.regularization.dropout import Dropout


class BaseSpatialDropout(Dropout):
    """Dropout with one keep/drop draw per sample and channel.

    The mask has size 1 on the spatial axes, so a dropped channel is zero at
    every position (Tompson et al., 2014).
    """

    rank = 1

    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        channel = -1 if self.data_format == "channels_last" else 1
        self._channel_axis = channel % (self.rank + 2)

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.rate == 0:
            return inputs
        noise_shape = [1] * inputs.dim()
        noise_shape[0] = inputs.shape[0]
        noise_shape[self._channel_axis] = inputs.shape[self._channel_axis]
        return random.dropout(
            inputs, self.rate, noise_shape=noise_shape, seed=self.seed_generator
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **Layer.get_config(self),
            "rate": self.rate,
            "seed": self.seed,
            "data_format": self.data_format,
        }


class SpatialDropout1D(BaseSpatialDropout):
    """Drops whole channels of sequences: `Dropout` with one draw per channel.

    In training, each `(sample, channel)` is zeroed at every step with
    probability `rate`; kept ones are scaled by `1 / (1 - rate)`. Outside
    training the input passes through.

    Args:
        rate: the fraction of channels to drop, in `[0, 1]`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: the input tensor.
        training: whether to drop.

    Input shape:
        `(batch, steps, channels)`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> y = SpatialDropout1D(0.5, seed=1)(np.ones((1, 4, 8), "float32"), training=True)
    >>> bool((y == y[:, :1]).all())
    True
    """

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["data_format"]
        return config


class SpatialDropout2D(BaseSpatialDropout):
    """Drops whole 2-d feature maps: `Dropout` with one draw per channel.

    Args:
        rate: the fraction of channels to drop, in `[0, 1]`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: the input tensor.
        training: whether to drop.

    Input shape:
        `(batch, rows, cols, channels)` (channels-last).

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = SpatialDropout2D(0.5, seed=1)
    >>> y = layer(np.ones((1, 3, 3, 8), "float32"), training=True)
    >>> bool((y == y[:, :1, :1]).all())
    True
    """

    rank = 2


class SpatialDropout3D(BaseSpatialDropout):
    """Drops whole 3-d feature maps: `Dropout` with one draw per channel.

    Args:
        rate: the fraction of channels to drop, in `[0, 1]`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: an int for reproducible draws.

    Call arguments:
        inputs: the input tensor.
        training: whether to drop.

    Input shape:
        `(batch, dim1, dim2, dim3, channels)` (channels-last).

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = SpatialDropout3D(0.5, seed=1)
    >>> y = layer(np.ones((1, 2, 2, 2, 8), "float32"), training=True)
    >>> bool((y == y[:, :1, :1, :1]).all())
    True
    """

    rank = 3
