"""`LayerNormalization`: normalizes each sample over its feature axes."""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from cornu import config, constraints, initializers, regularizers
from cornu.core.layer import Layer
from cornu.layers.normalization._axes import resolve_axes, standardize_axis


class LayerNormalization(Layer):
    """Normalizes each sample over `axis`: `gamma * (x - mean) / sqrt(var + eps) + beta`.

    The mean and variance are taken over `axis` for each sample separately;
    `gamma` and `beta` have the input's sizes on `axis`. With `axis=-1` this
    is `torch.nn.LayerNorm(features, eps=epsilon)` with `weight = gamma` and
    `bias = beta`.

    Args:
        axis: the axis or list of axes to normalize over (default `-1`).
        epsilon: added to the variance (default `1e-3`).
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned scale `gamma`.
        beta_initializer: initializer of `beta` (`"zeros"`).
        gamma_initializer: initializer of `gamma` (`"ones"`).
        beta_regularizer: regularizer of `beta`.
        gamma_regularizer: regularizer of `gamma`.
        beta_constraint: constraint on `beta`.
        gamma_constraint: constraint on `gamma`.
        rms_scaling: deprecated, as in Keras: scales by `rsqrt(var + eps)`
            without centering (not true RMS normalization) and has no
            `beta`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any, with known sizes on `axis`.

    Output shape:
        The input shape.

    Example:
    >>> y = LayerNormalization()(torch.tensor([[1.0, 2.0, 3.0]]))
    >>> [round(v, 3) for v in y[0].tolist()]
    [-1.224, 0.0, 1.224]
    """

    def __init__(
        self,
        axis: int | list[int] | tuple[int, ...] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        rms_scaling: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        axis = standardize_axis("LayerNormalization", axis)
        if rms_scaling:
            warnings.warn(
                "LayerNormalization(rms_scaling=True) is deprecated, as in Keras: "
                "it scales by the variance, not the root mean square. Use "
                "RMSNormalization for RMS normalization.",
                stacklevel=2,
            )
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        # `call` casts the inputs itself (see `_work_dtype`).
        self.autocast = False
        self.gamma: torch.Tensor | None = None
        self.beta: torch.Tensor | None = None

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        axes = resolve_axes(self, self.axis, input_shape)
        raw = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        # Weight shapes follow Keras: the sizes on the axes as sorted by value.
        shape = tuple(input_shape[a] for a in raw)
        if None in shape:
            raise ValueError(
                f'Layer "{self.name}" (LayerNormalization) needs known sizes on '
                f"axis={self.axis}, received shape {tuple(input_shape)}."
            )
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
                name="gamma",
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
                name="beta",
            )
        self._axes = axes
        self._normalized_shape = tuple(input_shape[a] for a in axes)
        self._broadcast = [input_shape[d] if d in axes else 1 for d in range(ndim)]
        # As Keras: statistics in the weights' dtype (float32 under mixed
        # precision, where float16 statistics lose too much).
        self._work_dtype = config.torch_dtype(self.variable_dtype)
        # torch's fused kernel normalizes over trailing axes only.
        self._fused = (
            not self.rms_scaling
            and axes == list(range(ndim - len(axes), ndim))
            and shape == self._normalized_shape
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs if inputs.dtype is self._work_dtype else inputs.to(self._work_dtype)
        if self._fused:
            out = F.layer_norm(
                x, self._normalized_shape, self.gamma, self.beta, self.epsilon
            )
        else:
            out = self._normalize(x)
        want = self._compute_torch_dtype
        return out if out.dtype is want else out.to(want)

    def _normalize(self, x: torch.Tensor) -> torch.Tensor:
        variance, mean = torch.var_mean(x, dim=self._axes, correction=0, keepdim=True)
        inv = torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma.reshape(self._broadcast)
        if self.rms_scaling:
            return x * inv
        out = (x - mean) * inv
        return out if self.beta is None else out + self.beta.reshape(self._broadcast)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
