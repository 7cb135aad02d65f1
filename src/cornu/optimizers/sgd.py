"""`SGD`: gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum.

    Without momentum: `w -= learning_rate * g`. With momentum:
    `m = momentum * m - learning_rate * g`, then `w += m`, or with Nesterov
    `w += momentum * m - learning_rate * g`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        momentum: a float in [0, 1]; 0 is plain gradient descent.
        nesterov: whether to use Nesterov momentum.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([1.0]), name="w")
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.apply([torch.tensor([1.0])], [w])
    >>> round(float(w.numpy()[0]), 6)  # 1 - 0.1 - (0.9 * 0.1 + 0.1)
    0.71
    """

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
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
        if (
            not isinstance(momentum, (float, int))
            or isinstance(momentum, bool)
            or momentum < 0
            or momentum > 1
        ):
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums: list[Any] = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        if self.momentum == 0:
            variable.sub_(gradient * learning_rate)
            return
        m = self.momentums[self._get_variable_index(variable)]
        m.copy_(m * self.momentum - gradient * learning_rate)
        if self.nesterov:
            variable.add_(m * self.momentum - gradient * learning_rate)
        else:
            variable.add_(m)

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        if self.momentum == 0:
            torch._foreach_add_(variables, grads, alpha=-learning_rate)
            return
        m = self._select(self.momentums)
        torch._foreach_mul_(m, self.momentum)
        torch._foreach_add_(m, grads, alpha=-learning_rate)
        if self.nesterov:
            torch._foreach_add_(variables, grads, alpha=-learning_rate)
            torch._foreach_add_(variables, m, alpha=self.momentum)
        else:
            torch._foreach_add_(variables, m)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
