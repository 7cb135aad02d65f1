"""`Masking`: masks the timesteps whose features all equal a value."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer


class Masking(Layer):
    """Masks timesteps whose features all equal `mask_value`.

    A timestep (a position along every axis but the last) is masked when all
    of its features equal `mask_value`; masked timesteps are zeroed in the
    output, and the mask (`True` = keep) is passed to the layers downstream
    that support masking (e.g. recurrent layers).

    Args:
        mask_value: the value that marks a padded timestep (default `0.0`).

    Call arguments:
        inputs: a tensor of shape `(batch_size, timesteps, features)`.

    Input shape:
        `(batch_size, ..., features)`.

    Output shape:
        The input shape; the output mask has shape `(batch_size, ...)`.

    Example:
    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0]]], "float32")
    >>> Masking()(x)._keras_mask.tolist()
    [[True, False]]
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config") is not None:
            # Keras writes array-valued mask values in its serialized form.
            from cornu.core.serialization import deserialize_keras_object

            mask_value = deserialize_keras_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)  # (B, T, 1)
        outputs = torch.where(keep, inputs, 0)
        outputs._keras_mask = keep.squeeze(-1)  # type: ignore[attr-defined]
        return outputs

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return (inputs != self.mask_value).any(dim=-1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return KerasTensor(inputs.shape, dtype=inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}
