"""`RMSprop`: divides the gradient by a running root mean square."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """The RMSprop optimizer (Hinton, 2012).

    `v = rho * v + (1 - rho) * g**2`; the increment is
    `lr * g / sqrt(v + epsilon)`, or with `centered=True`
    `lr * g / sqrt(v - mg**2 + epsilon)` where
    `mg = rho * mg + (1 - rho) * g`. With `momentum > 0`,
    `m = momentum * m + increment` and `w -= m`; else `w -= increment`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        rho: the decay rate of the running averages.
        momentum: the momentum; 0 for none.
        epsilon: the fuzz factor.
        centered: whether to normalize by the variance instead of the second
            moment.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0]), name="w")
    >>> opt = RMSprop(learning_rate=0.01, rho=0.0, epsilon=0.0)
    >>> opt.apply([torch.tensor([4.0])], [w])  # lr * g / |g|
    >>> round(float(w.numpy()[0]), 6)
    0.99
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
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
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums: list[Any] = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients: list[Any] = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(
                var_list, "average_gradient"
            )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        rho = self.rho
        velocity = self._velocities[index]
        velocity.copy_(rho * velocity + (1 - rho) * gradient * gradient)
        if self.centered:
            average = self._average_gradients[index]
            average.copy_(rho * average + (1 - rho) * gradient)
            denominator = velocity - average * average + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = learning_rate * gradient / denominator.sqrt()
        if self.momentum > 0:
            momentum = self._momentums[index]
            momentum.copy_(self.momentum * momentum + increment)
            variable.sub_(momentum)
        else:
            variable.sub_(increment)

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        rho = self.rho
        velocities = self._select(self._velocities)
        torch._foreach_mul_(velocities, rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            averages = self._select(self._average_gradients)
            torch._foreach_lerp_(averages, grads, 1 - rho)
            torch._foreach_addcmul_(denominators, averages, averages, value=-1)
        torch._foreach_sqrt_(denominators)
        if self.momentum > 0:
            momentums = self._select(self._momentums)
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_addcdiv_(momentums, grads, denominators, value=learning_rate)
            torch._foreach_sub_(variables, momentums)
        else:
            torch._foreach_addcdiv_(
                variables, grads, denominators, value=-learning_rate
            )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config
