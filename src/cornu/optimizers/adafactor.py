"""`Adafactor`: Adam-like steps with factored second moments (Shazeer & Stern)."""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer


def _rms(x: torch.Tensor) -> torch.Tensor:
    return x.square().mean().sqrt()


class Adafactor(Optimizer):
    """The Adafactor optimizer.

    For a matrix (or a batch of matrices) the second moment is kept as row
    and column means `r` and `c` instead of a full tensor, which saves
    memory; vectors keep a full `v`. With `t` the step (from 1),
    `rho = min(lr, 1 / sqrt(t))`, `alpha = max(epsilon_2, rms(w)) * rho`,
    `beta_2 = 1 - t**beta_2_decay` and `G = g**2 + epsilon_1`:
    `r = beta_2 * r + (1 - beta_2) * mean(G, -1)` (and `c` over axis -2),
    `v = r / mean(r) (outer) c`, `u = g / sqrt(v)`,
    `w -= alpha * u / max(1, rms(u) / clip_threshold)`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        beta_2_decay: the decay exponent of `beta_2`.
        epsilon_1: added to the squared gradients.
        epsilon_2: the lower bound of the parameter scale.
        clip_threshold: the threshold of the update clipping (part of
            Adafactor; unrelated to `clipnorm` and friends).
        relative_step: with a constant learning rate, whether to cap it at
            `1 / sqrt(t)`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
        ema_momentum, ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.ones((2, 3)), name="w")
    >>> opt = Adafactor(learning_rate=0.5)
    >>> opt.apply([torch.ones((2, 3))], [w])  # rms(update) = 1: w -= 0.5
    >>> w.numpy()[0].round(4).tolist()
    [0.5, 0.5, 0.5]
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
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
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._r: list[Any] = []
        self._c: list[Any] = []
        self._v: list[Any] = []
        for var in var_list:
            overwrite = bool(getattr(var, "overwrite_with_gradient", False))
            name = str(getattr(var, "name", "variable"))
            shape = tuple(var.shape)
            if len(shape) < 2:
                # Unused placeholders, created so that the saved variables
                # line up with Keras's.
                for slots in (self._r, self._c):
                    slots.append(
                        self._add_variable_on((), 0, "int32", "none", name, var.device)
                    )
            elif overwrite:
                self._r.append(None)
                self._c.append(None)
            else:
                for slots, slot_shape in (
                    (self._r, shape[:-1]),
                    (self._c, shape[:-2] + shape[-1:]),
                ):
                    slots.append(
                        self._add_variable_on(
                            slot_shape, "zeros", var.dtype, "none", name, var.device
                        )
                    )
            self._v.append(
                None if overwrite else self.add_variable_from_reference(var, "velocity")
            )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        r, c, v = self._r[index], self._c[index], self._v[index]
        t = self._local_step
        lr = learning_rate
        if self._lr_scalar is not None and self.relative_step:
            lr = min(lr, 1 / math.sqrt(t))
        rho = min(lr, 1 / math.sqrt(t))
        alpha = torch.clamp_min(_rms(variable), self.epsilon_2) * rho
        squares = gradient * gradient + self.epsilon_1
        beta_2 = 1 - t**self.beta_2_decay
        if variable.dim() >= 2:
            r.copy_(beta_2 * r + (1 - beta_2) * squares.mean(dim=-1))
            c.copy_(beta_2 * c + (1 - beta_2) * squares.mean(dim=-2))
            row_factor = r / r.mean(dim=-1, keepdim=True)
            v.copy_(row_factor.unsqueeze(-1) * c.unsqueeze(-2))
        else:
            v.copy_(beta_2 * v + (1 - beta_2) * squares)
        update = gradient / v.sqrt()
        update = update / torch.clamp_min(_rms(update) / self.clip_threshold, 1.0)
        variable.sub_(alpha * update)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step,
            }
        )
        return config
