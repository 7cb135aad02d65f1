"""`Rescaling`: `inputs * scale + offset`."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.core.layer import Layer


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset`, in the compute dtype.

    E.g. `Rescaling(1 / 255)` maps `[0, 255]` pixels to `[0, 1]`, and
    `Rescaling(1 / 127.5, offset=-1)` to `[-1, 1]`. `scale` and `offset` may
    be per-channel sequences.

    Args:
        scale: a number or a sequence broadcast against the inputs.
        offset: a number or a sequence (default 0).

    Call arguments:
        inputs: the input tensor (integers are converted).

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> Rescaling(1 / 255)(np.array([0, 255], "uint8")).tolist()
    [0.0, 1.0]
    """

    _scale: torch.Tensor
    _offset: torch.Tensor

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.autocast = False
        dtype = self._compute_torch_dtype
        scale_t = torch.as_tensor(np.asarray(scale), dtype=dtype)
        if scale_t.dim() > 0 and config.image_data_format() == "channels_first":
            # As Keras: per-channel values address axis -3 of images.
            scale_t = scale_t.reshape(*scale_t.shape, 1, 1)
        # Buffers, so `.to(device)` moves them; not saved (the config has them).
        self.register_buffer("_scale", scale_t, persistent=False)
        offset_t = torch.as_tensor(np.asarray(offset), dtype=dtype)
        self.register_buffer("_offset", offset_t, persistent=False)

    def call(self, inputs: Any) -> torch.Tensor:
        x = torch.as_tensor(inputs).to(self._compute_torch_dtype)
        return x * self._scale + self._offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return np.asarray(v).tolist() if not isinstance(v, (int, float)) else v

        return {
            **super().get_config(),
            "scale": plain(self.scale),
            "offset": plain(self.offset),
        }
