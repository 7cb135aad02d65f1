"""`Ftrl`: Follow The Regularized Leader (McMahan et al., 2013)."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    """The FTRL-Proximal optimizer, with L1, L2 and L2-shrinkage terms.

    With `p = -learning_rate_power`, `l2 = l2_regularization_strength +
    beta / (2 * lr)` and `s = l2_shrinkage_regularization_strength`:
    `n_new = n + g**2`;
    `z += g + 2 * s * w - (n_new**p - n**p) / lr * w`;
    `w = (clip(z, -l1, l1) - z) / (n_new**p / lr + 2 * l2)`; `n = n_new`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        learning_rate_power: how the rate decreases during training; <= 0.
        initial_accumulator_value: the starting value of `n`; >= 0.
        l1_regularization_strength: >= 0.
        l2_regularization_strength: >= 0.
        l2_shrinkage_regularization_strength: a magnitude penalty on the
            gradient (not the loss); >= 0.
        beta: added to the L2 strength as `beta / (2 * lr)`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([0.0]), name="w")
    >>> opt = Ftrl(learning_rate=0.1, l1_regularization_strength=10.0)
    >>> opt.apply([torch.tensor([1.0])], [w])  # |z| < l1: w stays at 0
    >>> float(w.numpy()[0])
    0.0
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
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
        if initial_accumulator_value < 0.0:
            raise ValueError(
                "`initial_accumulator_value` needs to be positive or zero. "
                "Received: initial_accumulator_value="
                f"{initial_accumulator_value}."
            )
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        for arg, value in (
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            (
                "l2_shrinkage_regularization_strength",
                l2_shrinkage_regularization_strength,
            ),
        ):
            if value < 0.0:
                raise ValueError(
                    f"`{arg}` needs to be positive or zero. Received: {arg}={value}."
                )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list,
            ["accumulator", "linear"],
            initializer=[float(self.initial_accumulator_value), "zeros"],
        )

    def _l2(self, learning_rate: float) -> float:
        return self.l2_regularization_strength + self.beta / (2.0 * learning_rate)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        accumulator, linear = self._accumulators[index], self._linears[index]
        power = -self.learning_rate_power
        shrinkage = self.l2_shrinkage_regularization_strength
        l1 = self.l1_regularization_strength
        grad_to_use = gradient + 2 * shrinkage * variable
        new_accumulator = accumulator + gradient * gradient
        sigma = (new_accumulator.pow(power) - accumulator.pow(power)) / learning_rate
        linear.add_(grad_to_use - sigma * variable)
        quadratic = new_accumulator.pow(power) / learning_rate + 2 * self._l2(
            learning_rate
        )
        variable.copy_((linear.clamp(-l1, l1) - linear) / quadratic)
        accumulator.copy_(new_accumulator)

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        accumulators = self._select(self._accumulators)
        linears = self._select(self._linears)
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        shrinkage = self.l2_shrinkage_regularization_strength
        new_accumulators = torch._foreach_addcmul(accumulators, grads, grads)
        new_powers = torch._foreach_pow(new_accumulators, power)
        sigmas = torch._foreach_sub(new_powers, torch._foreach_pow(accumulators, power))
        torch._foreach_div_(sigmas, learning_rate)
        torch._foreach_add_(linears, grads)
        if shrinkage:
            torch._foreach_add_(linears, variables, alpha=2 * shrinkage)
        torch._foreach_addcmul_(linears, sigmas, variables, value=-1)
        quadratics = torch._foreach_div(new_powers, learning_rate)
        torch._foreach_add_(quadratics, 2 * self._l2(learning_rate))
        values = torch._foreach_clamp_min(linears, -l1)
        torch._foreach_clamp_max_(values, l1)
        torch._foreach_sub_(values, linears)
        torch._foreach_div_(values, quadratics)
        torch._foreach_copy_(variables, values)
        torch._foreach_copy_(accumulators, new_accumulators)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": (
                    self.l2_shrinkage_regularization_strength
                ),
                "beta": self.beta,
            }
        )
        return config
