"""`ScheduleFreeAdamW`: AdamW without a learning rate schedule (Defazio et al., 2024)."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer, as_float32


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW: interpolation and averaging instead of a schedule.

    Each model variable `y` is an interpolation between a sequence `z` (the
    `momentum` slot, where the Adam-scaled gradient steps go) and their
    running average `x`, which is recovered from `y` and `z`. One step, with
    `t` the step number:

        v = beta_2 * v + (1 - beta_2) * g**2
        x = (y - (1 - beta_1) * z) / beta_1            # with z before the step
        z = z - lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (1 - 1 / t) * x + z / t
        y = (1 - beta_1) * z + beta_1 * x

    During the first `warmup_steps` steps the learning rate grows linearly
    from `lr / warmup_steps` to `lr`. `weight_decay` decays `y` first, as for
    every optimizer.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        beta_1: the interpolation between `z` and `x` (and the momentum).
        beta_2: the decay rate of the second-moment estimate.
        epsilon: a small constant for numerical stability.
        warmup_steps: the number of steps of linear learning rate warmup.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0, -1.0]), name="w")
    >>> opt = ScheduleFreeAdamW(learning_rate=0.1)
    >>> opt.apply([torch.tensor([0.5, -2.0])], [w])
    >>> [round(x, 4) for x in w.numpy().tolist()]
    [0.9, -0.9]
    """

    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
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
        self.warmup_steps = warmup_steps

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        # `z` starts where the variables are.
        with torch.no_grad():
            for z, variable in zip(self._momentums, var_list):
                if z is not None:
                    z.copy_(variable)

    def _step_constants(self, learning_rate: float) -> tuple[float, float]:
        """This step's learning rate (after warmup) and `1 - beta_2**t`."""
        t = self._local_step
        if self.warmup_steps > 0:
            learning_rate = learning_rate * min(t / self.warmup_steps, 1.0)
        return learning_rate, 1 - as_float32(self.beta_2) ** t

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        z, v = self._momentums[index], self._velocities[index]
        lr, correction = self._step_constants(learning_rate)
        b1, weight = self.beta_1, 1.0 / self._local_step
        x = (variable - (1 - b1) * z) / b1
        v.add_((gradient * gradient - v) * (1 - self.beta_2))
        z.sub_(lr * gradient / ((v / correction).sqrt() + self.epsilon))
        x = (1 - weight) * x + weight * z
        variable.copy_((1 - b1) * z + b1 * x)

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        z = self._select(self._momentums)
        v = self._select(self._velocities)
        lr, correction = self._step_constants(learning_rate)
        b1 = self.beta_1
        x = torch._foreach_add(variables, z, alpha=-(1 - b1))
        torch._foreach_div_(x, b1)
        torch._foreach_lerp_(v, torch._foreach_mul(grads, grads), 1 - self.beta_2)
        denom = torch._foreach_div(v, correction)
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, self.epsilon)
        torch._foreach_addcdiv_(z, grads, denom, value=-lr)
        torch._foreach_lerp_(x, z, 1.0 / self._local_step)
        # y = lerp(z, x, beta_1), written into the variables.
        torch._foreach_mul_(x, b1)
        torch._foreach_add_(x, z, alpha=1 - b1)
        torch._foreach_copy_(variables, x)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps,
            }
        )
        return config
