"""`TimeDistributed`: applies a layer to every timestep of a sequence."""

from __future__ import annotations

from typing import Any

import torch

from cornu import tree
from cornu.core import serialization
from cornu.core.layer import Layer
from cornu.layers.core.wrapper import Wrapper


class TimeDistributed(Wrapper):
    """Applies `layer` to every slice `inputs[:, t]` of the time axis.

    The steps run as one call on the batch and time axes merged (`(batch *
    timesteps, ...)`), which is what a step-by-step loop computes for any
    layer that treats samples independently. (A layer with batch statistics,
    such as `BatchNormalization` in training, sees all steps at once.)

    Args:
        layer: the layer to apply at each timestep; its weights are shared
            across steps.

    Call arguments:
        inputs: `(batch_size, timesteps, ...)`.
        training: passed to `layer`.
        mask: `(batch_size, timesteps, ...)` booleans, passed to `layer`
            per step when it takes a mask.

    Input shape:
        `(batch_size, timesteps, *step_shape)`, at least 3-D.

    Output shape:
        `(batch_size, timesteps, *layer_output_shape)`.

    Example:
    >>> layer = TimeDistributed(Dense(8))
    >>> layer(np.ones((2, 10, 4), "float32")).shape
    torch.Size([2, 10, 8])
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed `layer` must be a keras Layer instance, received: "
                f"{layer!r}."
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _step_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f'Layer "{self.name}" (TimeDistributed) expects inputs with at least '
                f"3 dimensions (batch, time, ...), received shape {input_shape}."
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape: Any) -> None:
        step_shape = self._step_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer._build_with(step_shape)

    def call(
        self,
        inputs: torch.Tensor,
        training: bool | None = None,
        mask: torch.Tensor | None = None,
    ) -> Any:
        self._step_shape(tuple(inputs.shape))
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs: dict[str, Any] = {}
        if training is not None and self.layer._call_has_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_has_mask:
            if tuple(mask.shape[:2]) != (batch, steps):
                raise ValueError(
                    f'Layer "{self.name}" (TimeDistributed) expects a mask starting '
                    f"with (batch, timesteps) = {(batch, steps)}, received mask "
                    f"shape {tuple(mask.shape)}."
                )
            kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        merged = inputs.reshape(batch * steps, *inputs.shape[2:])  # (B * T, ...)
        outputs = self.layer(merged, **kwargs)
        return tree.map_structure(
            lambda y: y.reshape(batch, steps, *y.shape[1:]), outputs
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "layer": serialization.serialize_keras_object(self.layer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Layer:
        config = dict(config)
        config["layer"] = serialization.deserialize_keras_object(
            config["layer"], custom_objects
        )
        return super().from_config(config)
