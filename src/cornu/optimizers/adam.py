"""`Adam`: adaptive moment estimation (Kingma & Ba, 2014)."""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer, as_float32


def _fused_group(variables: list[Any]) -> tuple[torch.Tensor, torch.dtype] | None:
    """The step tensor for torch's fused Adam kernel (on the variables'
    device) and the variables' dtype, or None when the kernel does not apply
    (it wants one device, one floating dtype, and each variable's elements
    dense in memory: it walks raw memory)."""
    if not variables or not all(isinstance(v, torch.Tensor) for v in variables):
        return None
    if not all(_dense(v) for v in variables):
        return None
    device, dtype = variables[0].device, variables[0].dtype
    if device.type not in ("cpu", "cuda") or not dtype.is_floating_point:
        return None
    if any(v.device != device or v.dtype != dtype for v in variables):
        return None
    return torch.zeros((), dtype=torch.float32, device=device), dtype


def _fusable(grads: list[Any], variables: list[Any], dtype: torch.dtype) -> bool:
    # Weight, gradient and slots (created with the weight's strides, dense:
    # checked once in `_fused_group`) must share one layout, e.g. both
    # contiguous or both a transposed Dense kernel's.
    for grad, variable in zip(grads, variables):
        if grad.dtype != dtype or grad.stride() != variable.stride():
            return False
    return True


def _contiguous_views(tensors: list[Any]) -> list[Any]:
    """Each dense tensor with its dims reordered so the view is contiguous."""
    out = []
    for t in tensors:
        if not t.is_contiguous():
            order = sorted(range(t.dim()), key=lambda d: -t.stride(d))
            t = t.permute(order)
        out.append(t)
    return out


def _dense(tensor: torch.Tensor) -> bool:
    """Whether the tensor's elements fill its memory with no gaps or overlaps."""
    if tensor.is_contiguous():
        return True
    expected = 1
    for size, stride in sorted(zip(tensor.shape, tensor.stride()), key=lambda p: p[1]):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


class Adam(Optimizer):
    """The Adam optimizer, with Keras's update formula.

    With `t` the step (from 1):
    `m += (g - m) * (1 - beta_1)`, `v += (g**2 - v) * (1 - beta_2)`,
    `w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`.
    `epsilon` is added before the bias correction ("epsilon hat" of the
    paper), unlike `torch.optim.Adam`.

    When all variables share one device and dtype, the update runs as torch's
    fused Adam kernel (one kernel for all variables), with epsilon rescaled
    so that the step is Keras's; set `fused = False` on the instance for the
    `torch._foreach_*` form.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        beta_1: the decay rate of the first moment.
        beta_2: the decay rate of the second moment.
        epsilon: the fuzz factor added to `sqrt(v)`.
        amsgrad: whether to divide by the running maximum of `v` (AMSGrad).
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0]), name="w")
    >>> opt = Adam(learning_rate=0.1)
    >>> opt.apply([torch.tensor([3.0])], [w])
    >>> round(float(w.numpy()[0]), 4)  # the first step moves by about lr
    0.9
    """

    # Whether to use torch's fused kernel when it applies. Not a Keras
    # argument, so not in the config.
    fused: bool = True

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")
        self._fused = _fused_group(self._trainable_variables)

    def _alpha(self, learning_rate: float) -> float:
        t = self._local_step
        b1, b2 = as_float32(self.beta_1), as_float32(self.beta_2)
        return learning_rate * math.sqrt(1 - b2**t) / (1 - b1**t)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m.add_((gradient - m) * (1 - self.beta_1))
        v.add_((gradient * gradient - v) * (1 - self.beta_2))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            v_hat.copy_(torch.maximum(v_hat, v))
            v = v_hat
        variable.sub_(m * self._alpha(learning_rate) / (v.sqrt() + self.epsilon))

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        fused = self._fused
        if self.fused and fused is not None and _fusable(grads, variables, fused[1]):
            self._fused_update_step(grads, variables, learning_rate, fused[0])
            return
        m = self._select(self._momentums)
        v = self._select(self._velocities)
        # lerp is exactly Keras's `m += (g - m) * (1 - beta_1)`.
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.beta_2)
        if self.amsgrad:
            v_hat = self._select(self._velocity_hats)
            torch._foreach_maximum_(v_hat, v)
            v = v_hat
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, self.epsilon)
        torch._foreach_addcdiv_(variables, m, denom, value=-self._alpha(learning_rate))

    def _fused_update_step(
        self,
        grads: list[Any],
        variables: list[Any],
        learning_rate: float,
        step: torch.Tensor,
    ) -> None:
        # torch's fused kernel computes torch.optim.Adam's step, with its own
        # bias corrections and epsilon added after them:
        #   w -= lr' / c1 * m / (sqrt(v) / sqrt(c2) + eps'),
        # c1 = 1 - b1**t, c2 = 1 - b2**t. With eps' = eps / sqrt(c2) and
        # lr' = alpha * c1 / sqrt(c2) this is Keras's `alpha * m / (sqrt(v) +
        # eps)`, with Keras's alpha (bias corrections of float32 betas).
        t = self._local_step
        kernel_correction = math.sqrt(1 - self.beta_2**t)
        step.fill_(t)
        # The kernel copies non-contiguous tensors in and out; weight, grad
        # and slots share one dense layout, so contiguous views of all four
        # (a transposed Dense kernel's `.t()`) are the same update, copy-free.
        torch._fused_adam_(
            _contiguous_views(variables),
            _contiguous_views(grads),
            _contiguous_views(self._select(self._momentums)),
            _contiguous_views(self._select(self._velocities)),
            _contiguous_views(self._select(self._velocity_hats))
            if self.amsgrad
            else [],
            [step] * len(variables),
            lr=self._alpha(learning_rate) * (1 - self.beta_1**t) / kernel_correction,
            beta1=self.beta_1,
            beta2=self.beta_2,
            weight_decay=0.0,
            eps=self.epsilon / kernel_correction,
            amsgrad=self.amsgrad,
            maximize=False,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "amsgrad": self.amsgrad,
            }
        )
        return config
