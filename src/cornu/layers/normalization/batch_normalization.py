"""`BatchNormalization`: normalizes with batch statistics, tracks moving ones."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu import config, constraints, initializers, regularizers
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer


class BatchNormalization(Layer):
    """Normalizes each feature with the batch's mean and variance.

    In training (`training=True` and the layer trainable) it normalizes with
    the batch statistics and updates the moving ones as Keras does:
    `moving = moving * momentum + batch * (1 - momentum)`, with the biased
    batch variance. Otherwise it normalizes with the moving statistics.
    `output = gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    Against `torch.nn.BatchNorm*d`: `weight = gamma`, `bias = beta`,
    `running_mean = moving_mean`, `running_var = moving_variance`, torch's
    `momentum = 1 - momentum`; torch tracks the unbiased variance instead.
    Setting `trainable = False` makes the layer run in inference mode.

    Args:
        axis: the features axis (default `-1`, channels last).
        momentum: the moving averages' momentum (default `0.99`).
        epsilon: added to the variance (default `1e-3`).
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned scale `gamma`.
        beta_initializer: initializer of `beta` (`"zeros"`).
        gamma_initializer: initializer of `gamma` (`"ones"`).
        moving_mean_initializer: initializer of `moving_mean` (`"zeros"`).
        moving_variance_initializer: initializer of `moving_variance`
            (`"ones"`).
        beta_regularizer: regularizer of `beta`.
        gamma_regularizer: regularizer of `gamma`.
        beta_constraint: constraint on `beta`.
        gamma_constraint: constraint on `gamma`.
        renorm: batch renormalization; not supported yet (must be `False`).
        renorm_clipping: kept for Keras compatibility (needs `renorm`).
        renorm_momentum: kept for Keras compatibility (needs `renorm`).
        synchronized: cross-device statistics; not supported yet (must be
            `False`).

    Call arguments:
        inputs: the input tensor.
        training: whether to use (and update) batch statistics.
        mask: a boolean tensor of the input's shape without the last axis;
            masked positions do not count in the batch statistics.

    Input shape:
        Any, with a known size on `axis`.

    Output shape:
        The input shape.

    Example:
    >>> layer = BatchNormalization()
    >>> y = layer(np.random.rand(8, 3).astype("float32"), training=True)
    >>> [tuple(w.shape) for w in layer.weights]
    [(3,), (3,), (3,), (3,)]
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: dict[str, float] | None = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(
                f"BatchNormalization `axis` must be an int, received: axis={axis!r}."
            )
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(
                "BatchNormalization `momentum` must be in [0, 1], received: "
                f"momentum={momentum!r}."
            )
        if renorm:
            raise NotImplementedError(
                "BatchNormalization(renorm=True) is not supported yet."
            )
        if synchronized:
            raise NotImplementedError(
                "BatchNormalization(synchronized=True) is not supported yet."
            )
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.synchronized = synchronized
        self.supports_masking = True
        self.gamma: torch.Tensor | None = None
        self.beta: torch.Tensor | None = None

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f'Layer "{self.name}" (BatchNormalization) has axis={self.axis}, '
                f"out of range for inputs of shape {tuple(input_shape)}."
            )
        channel = self.axis % ndim
        size = input_shape[channel]
        if size is None:
            raise ValueError(
                f'Layer "{self.name}" (BatchNormalization) needs a known size on '
                f"axis {self.axis}, received shape {tuple(input_shape)}."
            )
        shape = (size,)
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
                name="gamma",
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
                name="beta",
            )
        self.moving_mean = self.add_weight(
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
            autocast=False,
            name="moving_mean",
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
            autocast=False,
            name="moving_variance",
        )
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: size})
        self._channel = channel
        self._channels_last = channel == ndim - 1
        self._reduce = [d for d in range(ndim) if d != channel]
        # As Keras: statistics in the weights' dtype (float32 under mixed
        # precision, where float16 statistics would overflow).
        self._work_dtype = config.torch_dtype(self.variable_dtype)

    def call(
        self,
        inputs: torch.Tensor,
        training: bool | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        x = inputs if inputs.dtype is self._work_dtype else inputs.to(self._work_dtype)
        if training and self.trainable:
            channels = x.shape[self._channel]
            if mask is None and x.numel() > channels:
                out = self._fused(x, training=True)
            else:
                out = self._train_with_moments(x, mask)
        else:
            out = self._fused(x, training=False)
        want = self._compute_torch_dtype
        return out if out.dtype is want else out.to(want)

    def _fused(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        """torch's batch-norm kernel, on a `(N, C, ...)` view of `x`."""
        # Channels last: (..., C) -> (N, C), a free view; else channels -> 1.
        if self._channels_last:
            y = x.reshape(-1, x.shape[-1])
        else:
            y = x.movedim(self._channel, 1)
        if not training:
            y = F.batch_norm(
                y, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                False, 0.0, self.epsilon,
            )  # fmt: skip
        else:
            # torch updates the running variance with the unbiased batch
            # variance, Keras with the biased one; scaling the moving
            # variance by n / (n - 1) around torch's update turns the former
            # into the latter in the same fused kernel. The scaled copy is a
            # new tensor: autograd saves it, so it must not change afterwards.
            n = y.numel() // y.shape[1]
            variance = self.moving_variance * (n / (n - 1))
            y = F.batch_norm(
                y, self.moving_mean, variance, self.gamma, self.beta,
                True, 1.0 - self.momentum, self.epsilon,
            )  # fmt: skip
            self.moving_variance.copy_(variance * ((n - 1) / n))
        if self._channels_last:
            return y.reshape(x.shape)
        return y.movedim(1, self._channel)

    def _train_with_moments(
        self, x: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        """Batch statistics over the unmasked positions, then the update."""
        dims = self._reduce
        if mask is None:
            variance, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
        else:
            if mask.dim() != x.dim() - 1:
                raise ValueError(
                    f'Layer "{self.name}" (BatchNormalization) expects a mask '
                    f"with one dimension less than its inputs, received mask "
                    f"shape {tuple(mask.shape)} for inputs of shape "
                    f"{tuple(x.shape)}."
                )
            keep = mask.unsqueeze(-1).bool()  # (B, ..., 1)
            count = keep.expand_as(x).sum(dim=dims, keepdim=True).to(x.dtype)
            count = count + config.epsilon()
            mean = torch.where(keep, x, 0.0).sum(dim=dims, keepdim=True) / count
            centered = torch.where(keep, x - mean, 0.0)
            variance = centered.square().sum(dim=dims, keepdim=True) / count
        with torch.no_grad():
            m = self.momentum
            self.moving_mean.mul_(m).add_(mean.reshape(-1) * (1.0 - m))
            self.moving_variance.mul_(m).add_(variance.reshape(-1) * (1.0 - m))
        shape = [1] * x.dim()
        shape[self._channel] = -1
        inv = torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma.reshape(shape)
        out = (x - mean) * inv
        return out if self.beta is None else out + self.beta.reshape(shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(
                self.moving_mean_initializer
            ),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer
            ),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
