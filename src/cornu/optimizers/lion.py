"""`Lion`: sign-based momentum (Chen et al., 2023)."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """The Lion optimizer ("EvoLved Sign Momentum").

    `w -= lr * sign(beta_1 * m + (1 - beta_1) * g)`, then
    `m = beta_2 * m + (1 - beta_2) * g`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        beta_1: the interpolation factor of the update direction, in (0, 1].
        beta_2: the decay rate of the momentum.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0, 1.0]), name="w")
    >>> opt = Lion(learning_rate=0.1)
    >>> opt.apply([torch.tensor([3.0, -0.5])], [w])
    >>> [round(x, 6) for x in w.numpy().tolist()]
    [0.9, 1.1]
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
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
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}."
            )

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        m = self._momentums[self._get_variable_index(variable)]
        direction = (m * self.beta_1 + gradient * (1.0 - self.beta_1)).sign()
        variable.sub_(learning_rate * direction)
        m.copy_(m * self.beta_2 + gradient * (1.0 - self.beta_2))

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        m = self._select(self._momentums)
        directions = torch._foreach_lerp(m, grads, 1.0 - self.beta_1)
        torch._foreach_sign_(directions)
        torch._foreach_add_(variables, directions, alpha=-learning_rate)
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_2)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
