"""`Lamb`: layer-wise adaptive large-batch optimization (You et al., 2019)."""

from __future__ import annotations

from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer, as_float32


def _trust_ratio(weight_norm: torch.Tensor, update_norm: torch.Tensor) -> torch.Tensor:
    # ||w|| / ||update||, or 1 when either norm is zero.
    ratio = torch.where(update_norm > 0, weight_norm / update_norm, 1.0)
    return torch.where(weight_norm > 0, ratio, 1.0)


class Lamb(Optimizer):
    """The LAMB optimizer: Adam's direction scaled per variable by a trust ratio.

    With `t` the step (from 1): `m += (g - m) * (1 - beta_1)`,
    `v += (g**2 - v) * (1 - beta_2)`,
    `u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)`,
    `w -= lr * ||w|| / ||u|| * u` (the ratio is 1 when a norm is 0).

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        beta_1: the decay rate of the first moment.
        beta_2: the decay rate of the second moment.
        epsilon: the fuzz factor.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import numpy as np
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.tensor([3.0, 4.0]), name="w")
    >>> opt = Lamb(learning_rate=0.1)
    >>> opt.apply([torch.tensor([1.0, 1.0])], [w])  # moves by lr * ||w||
    >>> round(float(np.linalg.norm(w.numpy() - [3.0, 4.0])), 4)
    0.5
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
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def _corrections(self) -> tuple[float, float]:
        t = self._local_step
        return 1.0 - as_float32(self.beta_1) ** t, 1.0 - as_float32(self.beta_2) ** t

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m.add_((gradient - m) * (1 - self.beta_1))
        v.add_((gradient * gradient - v) * (1 - self.beta_2))
        m_correction, v_correction = self._corrections()
        update = (m / m_correction) / ((v / v_correction).sqrt() + self.epsilon)
        ratio = _trust_ratio(
            torch.linalg.vector_norm(variable), torch.linalg.vector_norm(update)
        )
        variable.sub_(ratio * learning_rate * update)

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        m, v = self._select(self._momentums), self._select(self._velocities)
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.beta_2)
        m_correction, v_correction = self._corrections()
        denominators = torch._foreach_div(v, v_correction)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        updates = torch._foreach_div(m, denominators)
        torch._foreach_div_(updates, m_correction)
        ratios = [
            _trust_ratio(w, u)
            for w, u in zip(
                torch._foreach_norm(variables), torch._foreach_norm(updates)
            )
        ]
        torch._foreach_mul_(updates, ratios)
        torch._foreach_add_(variables, updates, alpha=-learning_rate)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        )
        return config
