"""The private base of the global max and average pooling layers."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils


class BaseGlobalPooling(Layer):
    """Reduces all spatial axes with a mean or a maximum.

    No layout change is needed: the spatial axes are reduced in place, for
    either data format.
    """

    rank = 2

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + self.rank))
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        if self.keepdims:
            for axis in self._axes:
                shape[axis] = 1
            return tuple(shape)
        return tuple(d for i, d in enumerate(shape) if i not in self._axes)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "keepdims": self.keepdims,
        }


class BaseGlobalAveragePooling(BaseGlobalPooling):
    """The mean over the spatial axes."""

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.mean(dim=self._axes, keepdim=self.keepdims)


class BaseGlobalMaxPooling(BaseGlobalPooling):
    """The maximum over the spatial axes."""

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.amax(inputs, dim=self._axes, keepdim=self.keepdims)
