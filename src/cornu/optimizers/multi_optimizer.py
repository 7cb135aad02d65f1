"""`MultiOptimizer`: different optimizers for different variables.

`OptimizerMap` says which optimizer updates which variable, by the
variable's path (exact, else a regular expression matching all of it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from cornu.core import serialization
from cornu.optimizers.loss_scale_optimizer import LossScaleOptimizer
from cornu.optimizers.optimizer import Optimizer


class OptimizerMap(MutableMapping):
    """Maps variable paths (or regular expressions over them) to optimizers.

    A key is looked up exactly first; otherwise every key is tried as a
    pattern with `re.fullmatch`. A path no key matches gets the default
    optimizer; a path several patterns match is an error. To cover every
    variable under a block, write `"encoder/.*"`: `"encoder"` alone matches
    only that exact path.

    Args:
        default_optimizer: the optimizer of variables no key matches.
        optimizer_map: an optional dict of keys to optimizers.

    Example:
    >>> from cornu import optimizers
    >>> table = OptimizerMap(optimizers.RMSprop(name="rms"))
    >>> table["encoder/.*"] = optimizers.SGD(name="sgd")
    >>> table["encoder/dense/kernel"].name, table["decoder/kernel"].name
    ('sgd', 'rms')
    """

    def __init__(
        self,
        default_optimizer: Optimizer,
        optimizer_map: dict[str, Optimizer] | None = None,
    ) -> None:
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "OptimizerMap expects `default_optimizer` to be an Optimizer "
                f"instance. Received: {default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                "OptimizerMap expects `optimizer_map` to be a dict of variable "
                f"paths to optimizers. Received: {optimizer_map!r}"
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = dict(optimizer_map or {})

    @property
    def default_optimizer(self) -> Optimizer:
        """The optimizer of variables that no key matches."""
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key}: the patterns "
                f"{matches} all match it."
            )
        if matches:
            return self._optimizer_map[matches[0]]
        return self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use "
                "duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap keys must be strings. Received: {key!r}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(
                "OptimizerMap values must be Optimizer instances. Received: "
                f"{optimizer!r}"
            )
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Any) -> Optimizer:
        return self[variable.path]

    def get_config(self) -> dict[str, Any]:
        return {
            "default_optimizer": serialization.serialize_keras_object(
                self._default_optimizer
            ),
            "optimizer_map": serialization.serialize_keras_object(self._optimizer_map),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> OptimizerMap:
        default = serialization.deserialize_keras_object(
            config["default_optimizer"], custom_objects=custom_objects
        )
        table = serialization.deserialize_keras_object(
            config["optimizer_map"], custom_objects=custom_objects
        )
        return cls(default, table)


class MultiOptimizer(Optimizer):
    """Updates each variable with the optimizer an `OptimizerMap` gives it.

    The sub-optimizers keep their own learning rates, states and
    `iterations`; this optimizer counts its own steps. It has no learning
    rate of its own: reading or setting `learning_rate` is an error (use
    `optimizers`). A `LossScaleOptimizer` or `MultiOptimizer` cannot be a
    sub-optimizer.

    Args:
        optimizer_map: an `OptimizerMap`, or a callable taking a variable
            and returning its optimizer.
        loss_scale_factor: if set, replaces the sub-optimizers'
            `loss_scale_factor`.
        name: the optimizer's name.

    Example:
    >>> import torch
    >>> from cornu import Variable, optimizers
    >>> a = Variable(torch.tensor([1.0]), name="a")
    >>> b = Variable(torch.tensor([1.0]), name="b")
    >>> table = OptimizerMap(optimizers.SGD(0.5), {"b": optimizers.SGD(0.1)})
    >>> opt = MultiOptimizer(table)
    >>> opt.apply([torch.tensor([1.0]), torch.tensor([1.0])], [a, b])
    >>> float(a.numpy()[0]), round(float(b.numpy()[0]), 6)
    (0.5, 0.9)
    """

    def __init__(
        self,
        optimizer_map: OptimizerMap | Callable[[Any], Optimizer],
        loss_scale_factor: float | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(
            learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name
        )
        self._optimizer_map = optimizer_map
        self._inner_optimizers: list[Optimizer] = []
        if hasattr(optimizer_map, "values"):
            for optimizer in optimizer_map.values():
                self._adopt(optimizer)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None:
            self._adopt(default)
        self._var_to_optimizer_idx: dict[int, int] = {}

    def _adopt(self, optimizer: Optimizer) -> bool:
        if any(optimizer is known for known in self._inner_optimizers):
            return False
        optimizer.loss_scale_factor = self.loss_scale_factor
        self._inner_optimizers.append(optimizer)
        return True

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        var_list = list(var_list)
        groups: dict[int, list[Any]] = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            where = getattr(variable, "path", variable)
            if not isinstance(optimizer, Optimizer):
                raise ValueError(
                    f"The optimizer for variable {where} is not an Optimizer "
                    f"instance: received {optimizer!r}."
                )
            if isinstance(optimizer, LossScaleOptimizer):
                raise ValueError(
                    "LossScaleOptimizer cannot be used inside a MultiOptimizer "
                    f"(received one for variable {where})."
                )
            if isinstance(optimizer, MultiOptimizer):
                raise ValueError(
                    "MultiOptimizer cannot be used inside a MultiOptimizer "
                    f"(received one for variable {where})."
                )
            self._adopt(optimizer)
            index = next(
                i for i, o in enumerate(self._inner_optimizers) if o is optimizer
            )
            self._var_to_optimizer_idx[self._var_key(variable)] = index
            groups.setdefault(index, []).append(variable)
        for index, optimizer in enumerate(self._inner_optimizers):
            if index in groups:
                optimizer.build(groups[index])
        super().build(var_list)

    @property
    def optimizers(self) -> list[Optimizer]:
        """The sub-optimizers, in the order they were first met."""
        return self._inner_optimizers

    @property
    def variables(self) -> list[Any]:
        """This optimizer's own variables, then each sub-optimizer's."""
        out = self._variables[:]
        for optimizer in self._inner_optimizers:
            out.extend(optimizer.variables)
        return out

    @property
    def learning_rate(self) -> Any:
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the "
            "learning rate on the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning "
            "rate on the individual sub-optimizers instead."
        )

    @property
    def loss_scale_factor(self) -> float | None:  # type: ignore[override]
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: float | None) -> None:
        self._loss_scale_factor = value
        for optimizer in self.__dict__.get("_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def iterations(self) -> Any:
        return self._iterations

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer "
                    "must already be built on a list of variables. Call "
                    "`optimizer.build(trainable_variables)` first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(self._trainable_variables_indices):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and "
                f"{len(self._trainable_variables_indices)} variables."
            )
        split: list[tuple[list[Any], list[Any]]] = [
            ([], []) for _ in self._inner_optimizers
        ]
        for grad, variable in zip(grads, trainable_variables):
            index = self._var_to_optimizer_idx[self._var_key(variable)]
            split[index][0].append(grad)
            split[index][1].append(variable)
        for optimizer, (sub_grads, sub_vars) in zip(self._inner_optimizers, split):
            if sub_grads:
                optimizer.apply(sub_grads, sub_vars)
        self._iterations_scalar.set(self._iterations_scalar.get() + 1)

    def finalize_variable_values(self, var_list: Any) -> None:
        groups: list[list[Any]] = [[] for _ in self._inner_optimizers]
        for variable in var_list:
            groups[self._var_to_optimizer_idx[self._var_key(variable)]].append(variable)
        for optimizer, variables in zip(self._inner_optimizers, groups):
            if variables:
                optimizer.finalize_variable_values(variables)

    def set_weights(self, weights: Any) -> None:
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not "
                "yet been built. Please call "
                "`optimizer.build(trainable_variables)` to create the "
                "optimizer weights before calling `set_weights()`."
            )
        weights = list(weights)
        own = len(self._variables)
        for variable, weight in zip(self._variables, weights[:own]):
            variable.assign(weight)
        start = own
        for optimizer in self._inner_optimizers:
            count = len(optimizer.variables)
            if count:
                optimizer.set_weights(weights[start : start + count])
                start += count

    def get_config(self) -> dict[str, Any]:
        return {
            "optimizer_map": serialization.serialize_keras_object(self._optimizer_map),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> MultiOptimizer:
        config = dict(config)
        config["optimizer_map"] = serialization.deserialize_keras_object(
            config["optimizer_map"], custom_objects=custom_objects
        )
        return cls(**config)
