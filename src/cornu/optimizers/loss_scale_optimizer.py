"""`LossScaleOptimizer`: dynamic loss scaling around another optimizer."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core import serialization
from cornu.optimizers import optimizer
from cornu.optimizers.optimizer import Optimizer


class LossScaleOptimizer(Optimizer):
    """Scales the loss dynamically to keep float16 gradients from underflowing.

    `scale_loss` multiplies the loss by a scale; `apply` divides the
    gradients by it and runs the inner optimizer. A step with a non-finite
    gradient is skipped and halves the scale; after `dynamic_growth_steps`
    finite steps in a row the scale doubles.

    Deciding whether to skip reads one boolean back from the device per step,
    as `torch.amp.GradScaler` does.

    Args:
        inner_optimizer: the optimizer to wrap.
        initial_scale: the starting scale.
        dynamic_growth_steps: the number of finite steps before doubling.
        name: the optimizer's name.

    Example:
    >>> import torch
    >>> from cornu import Variable
    >>> from cornu.optimizers import SGD
    >>> w = Variable(torch.tensor([1.0]), name="w")
    >>> opt = LossScaleOptimizer(SGD(learning_rate=0.1), initial_scale=4.0)
    >>> opt.apply([torch.tensor([float("inf")])], [w])  # skipped
    >>> float(w.numpy()[0]), float(opt.dynamic_scale)
    (1.0, 2.0)
    >>> opt.apply([torch.tensor([2.0])], [w])  # gradient 2 / 2 = 1
    >>> round(float(w.numpy()[0]), 6)
    0.9
    """

    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. "
                "Instead, simply set `loss_scale_factor` directly on the "
                "`inner_optimizer`."
            )
        defaults = {
            "weight_decay": None,
            "clipnorm": None,
            "global_clipnorm": None,
            "clipvalue": None,
            "use_ema": False,
            "ema_momentum": 0.99,
            "ema_overwrite_frequency": None,
            "loss_scale_factor": None,
            "gradient_accumulation_steps": None,
        }
        for arg_name, default in defaults.items():
            if arg_name in kwargs and kwargs.pop(arg_name) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg_name}`. "
                    f"Instead, set `{arg_name}` on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                "LossScaleOptimizer does not support arguments: "
                f"`{'`, `'.join(kwargs.keys())}`."
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list: Any) -> None:
        self._step_counter_scalar = self._add_host_scalar("step_counter", 0, "int32")
        self._dynamic_scale_scalar = self._add_host_scalar(
            "dynamic_scale", self.initial_scale, "float32"
        )
        self.step_counter = self._step_counter_scalar.variable
        self.dynamic_scale = self._dynamic_scale_scalar.variable
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self) -> list[Any]:
        return self._variables + self.inner_optimizer.variables

    def check_finite(self, grads: Any) -> torch.Tensor:
        """A boolean tensor: whether every gradient is finite."""
        flags = [torch.isfinite(g).all() for g in grads if g is not None]
        return torch.stack(flags).all()

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        if optimizer._MULTI_PROCESS and optimizer._apply_across_processes(
            self, grads, trainable_variables
        ):
            return  # cornu.distribution: averaged, then applied once
        if not self.built:
            self.build(trainable_variables)
        if bool(self.check_finite(grads)):
            self._handle_finite_grads(grads, trainable_variables)
        else:
            self._step_counter_scalar.set(0)
            self._dynamic_scale_scalar.set(self._dynamic_scale_scalar.get() * 0.5)

    def _handle_finite_grads(self, grads: Any, trainable_variables: Any) -> None:
        scale = self._dynamic_scale_scalar.get()
        variables = trainable_variables or self._trainable_variables
        # Variables overwritten with their gradient (float8 scales) keep it.
        scaled = [
            i
            for i, (g, v) in enumerate(zip(grads, variables))
            if g is not None and not getattr(v, "overwrite_with_gradient", False)
        ]
        unscaled = list(grads)
        for i, g in zip(scaled, torch._foreach_div([grads[i] for i in scaled], scale)):
            unscaled[i] = g
        self.inner_optimizer.apply(unscaled, trainable_variables=trainable_variables)
        counter = self._step_counter_scalar
        if counter.get() == self.dynamic_growth_steps - 1:
            counter.set(0)
            self._dynamic_scale_scalar.set(scale * 2.0)
        else:
            counter.set(counter.get() + 1)

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self) -> Any:
        return self.inner_optimizer.iterations

    def scale_loss(self, loss: Any) -> Any:
        scale = self._dynamic_scale_scalar.get() if self.built else self.initial_scale
        return loss * scale

    def finalize_variable_values(self, var_list: Any) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inner_optimizer": serialization.serialize_keras_object(
                self.inner_optimizer
            ),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> LossScaleOptimizer:
        config = dict(config)
        from cornu.optimizers import deserialize

        inner = deserialize(
            config.pop("inner_optimizer"), custom_objects=custom_objects
        )
        return cls(inner, **config)
