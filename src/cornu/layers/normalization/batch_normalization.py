"""`BatchNormalization`: normalizes with batch statistics, tracks moving ones."""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
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

    With `renorm=True` (batch renormalization), training normalizes with
    the batch statistics corrected towards moving ones: `r = batch_std /
    renorm_std` and `d = (batch_mean - renorm_mean) / renorm_std` (clipped
    as `renorm_clipping` says, no gradient through them) turn the output
    into `gamma * (x_hat * r + d) + beta`; inference is unchanged.

    With `synchronized=True` in a `torch.distributed` run of several
    processes, the batch statistics are those of the global batch: each
    process's per-feature sum, sum of squares and count are all-reduced
    (gradients flow through the reduction). In a single process it is the
    same as `synchronized=False`.

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
        renorm: whether to use batch renormalization (adds the
            non-trainable `moving_stddev`, `renorm_mean` and `renorm_stddev`).
        renorm_clipping: with `renorm`, a dict with optional keys `"rmin"`,
            `"rmax"` (bounds of `r`, default `0` and `inf`) and `"dmax"`
            (`d` is clipped to `[-dmax, dmax]`, default `inf`).
        renorm_momentum: with `renorm`, the momentum of `renorm_mean` and
            `renorm_stddev` (the statistics the corrections use).
        synchronized: whether training statistics span all the processes
            of a `torch.distributed` run.

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
            renorm_clipping = _check_clipping(renorm_clipping)
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
        self.synchronized = bool(synchronized)
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
        if self.renorm:
            # As Keras: standard deviations (not variances) are tracked,
            # starting at the square root of the variance initializer.
            stddev_init = _sqrt_of(self.moving_variance_initializer)
            mean_init = _clone(self.moving_mean_initializer)
            self.moving_stddev = self._statistic("moving_stddev", shape, stddev_init)
            self.renorm_mean = self._statistic("renorm_mean", shape, mean_init)
            self.renorm_stddev = self._statistic("renorm_stddev", shape, stddev_init)
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: size})
        self._channel = channel
        self._channels_last = channel == ndim - 1
        self._reduce = [d for d in range(ndim) if d != channel]
        # As Keras: statistics in the weights' dtype (float32 under mixed
        # precision, where float16 statistics would overflow).
        self._work_dtype = config.torch_dtype(self.variable_dtype)

    def _statistic(self, name: str, shape: tuple, initializer: Any) -> Any:
        return self.add_weight(
            shape=shape, initializer=initializer, trainable=False,
            autocast=False, name=name,
        )  # fmt: skip

    def call(
        self,
        inputs: torch.Tensor,
        training: bool | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        x = inputs if inputs.dtype is self._work_dtype else inputs.to(self._work_dtype)
        if training and self.trainable:
            channels = x.shape[self._channel]
            if (
                mask is None
                and x.numel() > channels
                and not self.renorm
                and not (self.synchronized and _world_size() > 1)
            ):
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
        mean, variance = self._moments(x, mask)  # (1, .., C, .., 1) each
        shape = [1] * x.dim()
        shape[self._channel] = -1
        gamma = None if self.gamma is None else self.gamma.reshape(shape)
        beta = None if self.beta is None else self.beta.reshape(shape)
        if self.renorm:
            r, d = self._renorm_corrections(mean, variance)
            # gamma * (x_hat * r + d) + beta == x_hat * (r * gamma) + offset.
            offset = d if gamma is None else d * gamma
            beta = offset if beta is None else offset + beta
            gamma = r if gamma is None else r * gamma
        else:
            with torch.no_grad():
                m = self.momentum
                self.moving_mean.mul_(m).add_(mean.reshape(-1) * (1.0 - m))
                self.moving_variance.mul_(m).add_(variance.reshape(-1) * (1.0 - m))
        inv = torch.rsqrt(variance + self.epsilon)
        if gamma is not None:
            inv = inv * gamma
        out = (x - mean) * inv
        return out if beta is None else out + beta

    def _moments(
        self, x: torch.Tensor, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-feature batch mean and (biased) variance, keeping dims."""
        dims = self._reduce
        keep = None
        if mask is not None:
            if mask.dim() != x.dim() - 1:
                raise ValueError(
                    f'Layer "{self.name}" (BatchNormalization) expects a mask '
                    f"with one dimension less than its inputs, received mask "
                    f"shape {tuple(mask.shape)} for inputs of shape "
                    f"{tuple(x.shape)}."
                )
            keep = mask.unsqueeze(-1).bool()  # (B, ..., 1)
        if self.synchronized and _world_size() > 1:
            return _global_moments(x, keep, dims)
        if keep is None:
            variance, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
            return mean, variance
        count = keep.expand_as(x).sum(dim=dims, keepdim=True).to(x.dtype)
        count = count + config.epsilon()
        mean = torch.where(keep, x, 0.0).sum(dim=dims, keepdim=True) / count
        centered = torch.where(keep, x - mean, 0.0)
        return mean, centered.square().sum(dim=dims, keepdim=True) / count

    def _renorm_corrections(
        self, mean: torch.Tensor, variance: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`(r, d)` from the renorm statistics, then updates all statistics."""
        shape = mean.shape
        stddev = torch.sqrt(variance + self.epsilon)
        with torch.no_grad():
            renorm_mean = self.renorm_mean.reshape(shape)
            # The floor avoids dividing by zero early in training.
            renorm_stddev = self.renorm_stddev.reshape(shape).clamp_min(
                self.epsilon**0.5
            )
            r = stddev / renorm_stddev
            d = (mean - renorm_mean) / renorm_stddev
            clip: dict[str, float] = self.renorm_clipping or {}
            if clip.get("rmin") is not None:
                r = r.clamp_min(clip["rmin"])
            if clip.get("rmax") is not None:
                r = r.clamp_max(clip["rmax"])
            if clip.get("dmax") is not None:
                d = d.clamp(-clip["dmax"], clip["dmax"])
            batch_mean, batch_stddev = mean.reshape(-1), stddev.reshape(-1)
            rm, m = self.renorm_momentum, self.momentum
            self.renorm_mean.mul_(rm).add_(batch_mean * (1.0 - rm))
            self.renorm_stddev.mul_(rm).add_(batch_stddev * (1.0 - rm))
            self.moving_mean.mul_(m).add_(batch_mean * (1.0 - m))
            self.moving_stddev.mul_(m).add_(batch_stddev * (1.0 - m))
            # relu: rounding must not make the variance negative.
            self.moving_variance.copy_(
                torch.relu(self.moving_stddev.square() - self.epsilon)
            )
        return r, d

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


def _check_clipping(clipping: dict[str, float] | None) -> dict[str, float]:
    clipping = dict(clipping or {})
    unknown = set(clipping) - {"rmax", "rmin", "dmax"}
    if unknown:
        raise ValueError(
            "BatchNormalization `renorm_clipping` accepts the keys 'rmax', "
            f"'rmin' and 'dmax', received: {clipping!r}."
        )
    rmax, rmin, dmax = clipping.get("rmax"), clipping.get("rmin"), clipping.get("dmax")
    if rmax is not None and rmin is not None and rmax < rmin:
        raise ValueError(
            "BatchNormalization `renorm_clipping` needs rmax >= rmin, received: "
            f"rmax={rmax!r}, rmin={rmin!r}."
        )
    if dmax is not None and dmax < 0:
        raise ValueError(
            "BatchNormalization `renorm_clipping` needs dmax >= 0, received: "
            f"dmax={dmax!r}."
        )
    return clipping


def _clone(initializer: Any) -> Any:
    """A fresh initializer of the same config (as Keras clones them)."""
    if isinstance(initializer, initializers.Initializer):
        return type(initializer).from_config(initializer.get_config())
    return initializer


def _sqrt_of(initializer: Any) -> Any:
    def init(shape: Any, dtype: Any = None) -> torch.Tensor:
        return torch.sqrt(torch.as_tensor(_clone(initializer)(shape, dtype=dtype)))

    return init


def _world_size() -> int:
    """Processes in the running `torch.distributed` group (1 without one)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


class _AllReduceSum(torch.autograd.Function):
    """The sum over all processes; gradients are summed the same way."""

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor) -> torch.Tensor:
        out = tensor.clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        out = grad.contiguous().clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out


def _global_moments(
    x: torch.Tensor, keep: torch.Tensor | None, dims: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of the batch of all processes, from summed moments.

    Each process contributes its per-feature sum, sum of squares and count;
    one all-reduce adds them (and, going back, adds the gradients). With a
    mask, the count gets Keras's epsilon as in the single-process formula.
    """
    values = x if keep is None else torch.where(keep, x, 0.0)
    total = values.sum(dim=dims, keepdim=True)  # (1, .., C, .., 1)
    if keep is None:
        count, eps = torch.full_like(total, x.numel() // total.numel()), 0.0
    else:
        count = keep.expand_as(x).sum(dim=dims, keepdim=True).to(x.dtype)
        eps = config.epsilon()
    sums = torch.stack([total, values.square().sum(dim=dims, keepdim=True), count])
    total, total_sq, n = _AllReduceSum.apply(sums).unbind(0)
    return combine_moments(total, total_sq, n, eps)


def combine_moments(
    total: torch.Tensor, total_sq: torch.Tensor, count: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and biased variance from a sum, a sum of squares and a count.

    `variance = sum((x - mean)^2) / (count + eps)`, expanded as
    `(total_sq - 2 * mean * total + mean^2 * count) / (count + eps)`, where
    `mean = total / (count + eps)`: the masked formula (`eps` = Keras's
    epsilon) and, with `eps = 0`, the plain one.
    """
    denominator = count + eps
    mean = total / denominator
    spread = total_sq - 2.0 * mean * total + mean.square() * count
    return mean, torch.clamp_min(spread / denominator, 0.0)
