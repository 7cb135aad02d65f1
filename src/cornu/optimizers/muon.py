"""`Muon`: momentum orthogonalized by Newton-Schulz iterations (Jordan, 2024)."""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from cornu.optimizers.optimizer import Optimizer, as_float32


class Muon(Optimizer):
    """The Muon optimizer, with an AdamW step for the variables it skips.

    2-D variables take Muon steps: `m = momentum * m + g`, the direction
    `g + momentum * m` (Nesterov) or `m` is orthogonalized by `ns_steps`
    Newton-Schulz iterations, scaled by `sqrt(max(rows, cols)) * rms_rate`
    (Liu et al., 2025), and subtracted times the learning rate. Other
    variables (not 2-D, embeddings when `exclude_embeddings`, or a path
    matching `exclude_layers`) take Adam steps at `lr * adam_lr_ratio`.
    Weight decay is `weight_decay` for Muon variables and
    `adam_weight_decay` for the others.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable.
        adam_beta_1, adam_beta_2: Adam's moment decay rates.
        adam_weight_decay: the weight decay of the Adam variables.
        epsilon: Adam's fuzz factor.
        weight_decay: the weight decay of the Muon variables.
        clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor,
        gradient_accumulation_steps, name: see `Optimizer`.
        exclude_layers: regular expressions; variables whose path matches
            one take Adam steps.
        exclude_embeddings: whether variables with "embedding" in their path
            take Adam steps.
        muon_a, muon_b, muon_c: the Newton-Schulz polynomial coefficients.
        adam_lr_ratio: the Adam learning rate, relative to `learning_rate`.
        momentum: Muon's momentum.
        ns_steps: the number of Newton-Schulz iterations.
        nesterov: whether to use Nesterov momentum.
        rms_rate: the update scale; None to not rescale.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> w = Variable(torch.zeros((4, 4)), name="w")
    >>> opt = Muon(learning_rate=0.1, weight_decay=None, rms_rate=None)
    >>> opt.apply([torch.eye(4)], [w])  # an orthogonal direction: w -= ~0.1 I
    >>> bool(abs(float(w.numpy()[0, 0]) + 0.1) < 0.03)
    True
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        exclude_layers: list[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
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
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable: Any) -> bool:
        if variable.dim() != 2:
            return True
        path = str(getattr(variable, "path", getattr(variable, "name", "")))
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self.momentums: list[Any] = [None] * len(var_list)
        self.adam_velocities: list[Any] = [None] * len(var_list)
        for i, var in enumerate(var_list):
            if getattr(var, "overwrite_with_gradient", False):
                continue
            self.momentums[i] = self.add_variable_from_reference(var, "momentum")
            if self._should_use_adamw(var):
                self.adam_velocities[i] = self.add_variable_from_reference(
                    var, "velocity"
                )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        m, v = self.momentums[index], self.adam_velocities[index]
        if v is not None:
            self._adamw_update_step(
                gradient, variable, learning_rate * self.adam_lr_ratio, m, v
            )
        else:
            self._muon_update_step(gradient, variable, learning_rate, m)

    def _muon_update_step(self, gradient: Any, variable: Any, lr: Any, m: Any) -> None:
        m.mul_(self.momentum).add_(gradient)
        direction = gradient + self.momentum * m if self.nesterov else m
        update = self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        variable.sub_(self.lr_adjust(lr * update))

    def _adamw_update_step(
        self, gradient: Any, variable: Any, learning_rate: Any, m: Any, v: Any
    ) -> None:
        t = self._local_step
        alpha = (
            learning_rate
            * math.sqrt(1 - as_float32(self.adam_beta_2) ** t)
            / (1 - as_float32(self.adam_beta_1) ** t)
        )
        m.add_((gradient - m) * (1 - self.adam_beta_1))
        v.add_((gradient * gradient - v) * (1 - self.adam_beta_2))
        variable.sub_(m * alpha / (v.sqrt() + self.epsilon))

    def transpose_last_axis(self, x: torch.Tensor) -> torch.Tensor:
        """Swaps the last two axes."""
        return x.transpose(-2, -1)

    def lr_adjust(self, x: torch.Tensor) -> torch.Tensor:
        """Scales an update by `sqrt(max(rows, cols)) * rms_rate`."""
        if self.rms_rate is None:
            return x
        return x * math.sqrt(max(x.shape[0], x.shape[1])) * self.rms_rate

    def zeropower_via_newtonschulz5(self, x: torch.Tensor, steps: int) -> torch.Tensor:
        """Approximately orthogonalizes `x` (towards `U V^T` of its SVD).

        A quintic Newton-Schulz iteration whose coefficients maximize the
        slope at zero, so that few steps suffice.
        """
        if x.dim() < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={tuple(x.shape)}"
            )
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = self.transpose_last_axis(x)
        x = x / (torch.linalg.matrix_norm(x, keepdim=True) + 1e-7)
        for _ in range(steps):
            gram = x @ self.transpose_last_axis(x)
            x = a * x + (b * gram + c * gram @ gram) @ x
        if tall:
            x = self.transpose_last_axis(x)
        return x

    def _apply_weight_decay(self, variables: Any) -> None:
        for variable in variables:
            if not self._use_weight_decay(variable):
                continue
            if self._should_use_adamw(variable):
                decay = self.adam_weight_decay
            else:
                decay = self.weight_decay
            if decay is not None:
                variable.mul_(1 - decay * self._learning_rate_now)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers,
                "muon_a": self.muon_a,
                "muon_b": self.muon_b,
                "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum,
                "ns_steps": self.ns_steps,
                "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate,
            }
        )
        return config
