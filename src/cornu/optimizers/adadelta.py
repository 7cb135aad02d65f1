"""`Adadelta`: step sizes from running averages of updates and gradients."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """The Adadelta optimizer (Zeiler, 2012).

    `ag = rho * ag + (1 - rho) * g**2`;
    `delta = -sqrt(ad + epsilon) * g / sqrt(ag + epsilon)`;
    `ad = rho * ad + (1 - rho) * delta**2`; `w += lr * delta`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        rho: the decay rate of the running averages.
        epsilon: the fuzz factor.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0]), name="w")
    >>> opt = Adadelta(learning_rate=1.0, rho=0.0, epsilon=1e-4)
    >>> opt.apply([torch.tensor([1.0])], [w])  # delta = -sqrt(eps) / ~1
    >>> round(float(w.numpy()[0]), 4)
    0.99
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
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
        self.epsilon = epsilon

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = (
            self.add_optimizer_variables(
                var_list, ["accumulated_grad", "accumulated_delta_var"]
            )
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        rho, epsilon = self.rho, self.epsilon
        grads_avg = self._accumulated_grads[index]
        deltas_avg = self._accumulated_delta_vars[index]
        grads_avg.copy_(rho * grads_avg + (1 - rho) * gradient * gradient)
        delta = -(deltas_avg + epsilon).sqrt() * gradient / (grads_avg + epsilon).sqrt()
        deltas_avg.copy_(rho * deltas_avg + (1 - rho) * delta * delta)
        variable.add_(learning_rate * delta)

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        rho, epsilon = self.rho, self.epsilon
        grads_avg = self._select(self._accumulated_grads)
        deltas_avg = self._select(self._accumulated_delta_vars)
        torch._foreach_mul_(grads_avg, rho)
        torch._foreach_addcmul_(grads_avg, grads, grads, value=1 - rho)
        # `steps` is -delta: sqrt(ad + eps) * g / sqrt(ag + eps).
        steps = torch._foreach_add(deltas_avg, epsilon)
        torch._foreach_sqrt_(steps)
        torch._foreach_mul_(steps, grads)
        denominators = torch._foreach_add(grads_avg, epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_div_(steps, denominators)
        torch._foreach_mul_(deltas_avg, rho)
        torch._foreach_addcmul_(deltas_avg, steps, steps, value=1 - rho)
        torch._foreach_add_(variables, steps, alpha=-learning_rate)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
