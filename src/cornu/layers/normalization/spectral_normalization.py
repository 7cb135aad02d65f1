"""`SpectralNormalization`: divides a layer's kernel by its spectral norm."""

from __future__ import annotations

from typing import Any, cast

import torch

from cornu import initializers
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.core.serialization import deserialize_keras_object, serialize_keras_object


def _l2_normalize(x: torch.Tensor) -> torch.Tensor:
    # Keras's `normalize(axis=None)`: x * min(rsqrt(sum(x ** 2)), 1e12).
    return x * torch.rsqrt(x.square().sum()).clamp(max=1e12)


class SpectralNormalization(Layer):
    """Wraps a layer and keeps the spectral norm of its kernel near 1.

    In training, each call first runs `power_iterations` steps of the power
    method (the left vector `vector_u` persists between calls), estimates
    the kernel's largest singular value `sigma`, and divides the kernel by
    it in place, as Keras does; then it calls the wrapped layer. Outside
    training the wrapped layer runs with the kernel as it is.

    Args:
        layer: a layer with a `kernel` (or `embeddings`) weight, e.g.
            `Dense` or `Conv2D`.
        power_iterations: the number of power-method steps per call
            (default 1).

    Call arguments:
        inputs: the wrapped layer's inputs.
        training: whether to normalize the kernel before the call.

    Input shape:
        The wrapped layer's.

    Output shape:
        The wrapped layer's.

    Example:
    >>> import numpy as np
    >>> from cornu.layers.core.dense import Dense
    >>> sn = SpectralNormalization(Dense(4))
    >>> tuple(sn(np.ones((2, 3), "float32"), training=True).shape)
    (2, 4)
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(
                "SpectralNormalization `layer` must be a Layer instance, "
                f"received: layer={layer!r}."
            )
        if not isinstance(power_iterations, int) or power_iterations <= 0:
            raise ValueError(
                "SpectralNormalization `power_iterations` must be a positive "
                f"integer, received: power_iterations={power_iterations!r}."
            )
        self.layer = layer
        self.power_iterations = power_iterations

    def build(self, input_shape: Any) -> None:
        if not self.layer.built:
            self.layer.build_from_config({"input_shape": input_shape})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f'Layer "{self.name}" (SpectralNormalization) wraps '
                f'"{self.layer.name}" ({type(self.layer).__name__}), which has no '
                "`kernel` or `embeddings` weight."
            )
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        # Tracked here too, as Keras does: weights are [kernel, vector_u, ...].
        self.kernel = kernel
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
        )

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if training:
            self._normalize_kernel()
        return self.layer(inputs)

    @torch.no_grad()
    def _normalize_kernel(self) -> None:
        kernel = self.kernel
        if not kernel.any():
            return  # Keras leaves an all-zero kernel (sigma = 0) alone.
        weights = kernel.reshape(-1, kernel.shape[-1])  # (fan_in, units)
        u: torch.Tensor = self.vector_u
        for _ in range(self.power_iterations):
            v = _l2_normalize(u @ weights.T)  # (1, fan_in)
            u = _l2_normalize(v @ weights)  # (1, units)
        sigma = (v @ weights @ u.T).squeeze()
        self.vector_u.copy_(u)
        kernel.div_(sigma)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "layer": serialize_keras_object(self.layer),
            "power_iterations": self.power_iterations,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SpectralNormalization:
        config = dict(config)
        config["layer"] = deserialize_keras_object(config["layer"])
        return cast(SpectralNormalization, super().from_config(config))
