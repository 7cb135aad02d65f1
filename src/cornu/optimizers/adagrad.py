"""`Adagrad`: per-parameter rates scaled by the sum of squared gradients."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """The Adagrad optimizer (Duchi et al., 2011).

    `a += g**2`, then `w -= lr * g / sqrt(a + epsilon)`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        initial_accumulator_value: the starting value of `a`.
        epsilon: the fuzz factor.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0]), name="w")
    >>> opt = Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0)
    >>> opt.apply([torch.tensor([2.0])], [w])  # lr * g / |g|
    >>> round(float(w.numpy()[0]), 6)
    0.9
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
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
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=float(self.initial_accumulator_value)
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        accumulator = self._accumulators[self._get_variable_index(variable)]
        accumulator.add_(gradient * gradient)
        variable.sub_(learning_rate * gradient / (accumulator + self.epsilon).sqrt())

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        accumulators = self._select(self._accumulators)
        torch._foreach_addcmul_(accumulators, grads, grads)
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_addcdiv_(variables, grads, denominators, value=-learning_rate)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon,
            }
        )
        return config
