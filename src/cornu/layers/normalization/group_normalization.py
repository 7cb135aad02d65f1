"""`GroupNormalization`: normalizes each sample over groups of channels."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu import constraints, initializers, regularizers
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer


class GroupNormalization(Layer):
    """Splits the channels into `groups` and normalizes each group per sample.

    For each sample and group, the mean and (biased) variance are taken over
    the group's channels and all other non-batch axes; then
    `gamma * (x - mean) / sqrt(var + epsilon) + beta` per channel. It is
    `torch.nn.GroupNorm(groups, channels, eps=epsilon)` with the channels on
    `axis`. `groups=1` is layer normalization over all axes, `groups=-1`
    (one group per channel) is instance normalization.

    Args:
        groups: the number of groups (default 32); must divide the channels.
            `-1` makes one group per channel.
        axis: the channel axis (default `-1`).
        epsilon: added to the variance (default `1e-3`).
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned scale `gamma`.
        beta_initializer, gamma_initializer, beta_regularizer,
        gamma_regularizer, beta_constraint, gamma_constraint: per weight.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any, with a known size on `axis`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> y = GroupNormalization(groups=2)(np.arange(8, dtype="float32").reshape(1, 2, 4))
    >>> tuple(y.shape)
    (1, 2, 4)
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (
            not isinstance(groups, int)
            or isinstance(groups, bool)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "GroupNormalization `groups` must be a positive integer or -1, "
                f"received: groups={groups!r}."
            )
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                f"GroupNormalization `axis` must be an int, received: axis={axis!r}."
            )
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma: torch.Tensor | None = None
        self.beta: torch.Tensor | None = None

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f'Layer "{self.name}" (GroupNormalization) has axis={self.axis}, '
                f"out of range for inputs of shape {tuple(input_shape)}."
            )
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f'Layer "{self.name}" (GroupNormalization) needs a known size on '
                f"axis={self.axis}, received shape {tuple(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim % self.groups:
            raise ValueError(
                f'Layer "{self.name}" (GroupNormalization) has groups={self.groups}, '
                f"which does not divide the {dim} channels on axis={self.axis} "
                f"of inputs of shape {tuple(input_shape)}."
            )
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: dim})
        if self.scale:
            self.gamma = self.add_weight(
                shape=(dim,),
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
                name="gamma",
            )
        if self.center:
            self.beta = self.add_weight(
                shape=(dim,),
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
                name="beta",
            )
        self._channel_axis = self.axis % ndim

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        # As Keras: statistics in float32 at least (float16 overflows).
        x = inputs if inputs.dtype.itemsize >= 4 else inputs.float()
        axis = self._channel_axis
        if axis == 1:
            y = F.group_norm(x, self.groups, self.gamma, self.beta, self.epsilon)
        else:
            # Channels elsewhere (usually last) are grouped in place rather
            # than moved to axis 1: no transpose copy, and torch's
            # channels-last group_norm backward is not used (it crashes on
            # CPU in torch 2.13).
            y = self._normalize_last(x.movedim(axis, -1)).movedim(-1, axis)
        return y.to(inputs.dtype)

    def _normalize_last(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        grouped = x.reshape(shape[0], -1, self.groups, shape[-1] // self.groups)
        variance, mean = torch.var_mean(grouped, dim=(1, 3), correction=0, keepdim=True)
        y = ((grouped - mean) * torch.rsqrt(variance + self.epsilon)).reshape(shape)
        if self.gamma is not None:
            y = y * self.gamma
        return y if self.beta is None else y + self.beta

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
