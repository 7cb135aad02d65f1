"""`Adamax`: Adam with the infinity norm (Kingma & Ba, 2014, section 7)."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer, as_float32


class Adamax(Optimizer):
    """The Adamax optimizer, a variant of Adam based on the infinity norm.

    With `t` the step (from 1): `m += (g - m) * (1 - beta_1)`,
    `u = max(beta_2 * u, |g|)`,
    `w -= lr * m / ((1 - beta_1**t) * (u + epsilon))`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        beta_1: the decay rate of the first moment.
        beta_2: the decay rate of the infinity norm.
        epsilon: the fuzz factor.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0]), name="w")
    >>> opt = Adamax(learning_rate=0.1, epsilon=0.0)
    >>> opt.apply([torch.tensor([5.0])], [w])  # the first step moves by lr
    >>> round(float(w.numpy()[0]), 6)
    0.9
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        m, u = self._m[index], self._u[index]
        m.add_((gradient - m) * (1 - self.beta_1))
        u.copy_(torch.maximum(self.beta_2 * u, gradient.abs()))
        correction = 1 - as_float32(self.beta_1) ** self._local_step
        variable.sub_(learning_rate * m / (correction * (u + self.epsilon)))

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        m, u = self._select(self._m), self._select(self._u)
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denominators = torch._foreach_add(u, self.epsilon)
        correction = 1 - as_float32(self.beta_1) ** self._local_step
        torch._foreach_addcdiv_(
            variables, m, denominators, value=-learning_rate / correction
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        )
        return config
