"""`Nadam`: Adam with Nesterov momentum (Dozat, 2015)."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer, as_float32


class Nadam(Optimizer):
    """The Nadam optimizer: Adam with Nesterov momentum, with Keras's schedule.

    With `t` the step (from 1), `u_t = beta_1 * (1 - 0.5 * 0.96**t)` and
    `P_t = u_1 * ... * u_t` (kept in a variable):
    `m += (g - m) * (1 - beta_1)`, `v += (g**2 - v) * (1 - beta_2)`,
    `m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)`,
    `v_hat = v / (1 - beta_2**t)`, `w -= lr * m_hat / (sqrt(v_hat) + epsilon)`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        beta_1: the decay rate of the first moment.
        beta_2: the decay rate of the second moment.
        epsilon: the fuzz factor.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0]), name="w")
    >>> opt = Nadam(learning_rate=0.1)
    >>> opt.apply([torch.tensor([1.0])], [w])
    >>> float(w.numpy()[0]) < 1.0
    True
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
        dtype = var_list[0].dtype if var_list else None
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        # The running product of the momentum schedule; Keras saves it last.
        self._u_product_scalar = self._add_host_scalar(
            "u_product", 1.0, dtype or "float32"
        )
        self._u_product = self._u_product_scalar.variable

    def _u(self, step: int) -> float:
        return as_float32(self.beta_1) * (1.0 - 0.5 * as_float32(0.96) ** step)

    def _backend_update_step(
        self, grads: Any, variables: Any, learning_rate: float
    ) -> None:
        # Keras advances the product once per step, before the updates, and
        # reads it back in the variables' precision.
        product = self._u_product_scalar
        product.set(product.get() * self._u(self._local_step))
        self._u_product_now = product.get()
        super()._backend_update_step(grads, variables, learning_rate)

    def _coefficients(self) -> tuple[float, float, float]:
        """The factors of `m` and `g` in `m_hat`, and `1 - beta_2**t`."""
        t = self._local_step
        u_t, u_next = self._u(t), self._u(t + 1)
        product = self._u_product_now
        return (
            u_next / (1 - product * u_next),
            (1 - u_t) / (1 - product),
            1 - as_float32(self.beta_2) ** t,
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m.add_((gradient - m) * (1 - self.beta_1))
        v.add_((gradient * gradient - v) * (1 - self.beta_2))
        m_factor, g_factor, v_correction = self._coefficients()
        m_hat = m * m_factor + gradient * g_factor
        v_hat = v / v_correction
        variable.sub_(m_hat * learning_rate / (v_hat.sqrt() + self.epsilon))

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        m, v = self._select(self._momentums), self._select(self._velocities)
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.beta_2)
        m_factor, g_factor, v_correction = self._coefficients()
        m_hat = torch._foreach_mul(m, m_factor)
        torch._foreach_add_(m_hat, grads, alpha=g_factor)
        denominators = torch._foreach_div(v, v_correction)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(variables, m_hat, denominators, value=-learning_rate)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        )
        return config
