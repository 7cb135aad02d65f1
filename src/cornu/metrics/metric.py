"""`Metric`: the base of every metric, with its state held in device Variables."""

from __future__ import annotations

from typing import Any

import torch

from cornu import config
from cornu.core import dtype_policy, naming
from cornu.core.variable import Variable


def _initial_value(
    initializer: Any, shape: tuple[int, ...], dtype: str, device: torch.device
) -> Any:
    """Builds zeros or ones directly on the device; defers anything else.

    Metric state starts at zeros (sometimes ones), so those need neither an
    initializer object nor a host round trip; other initializers (names,
    objects, callables) go through `Variable`, which resolves them.
    """
    kind = initializer if isinstance(initializer, str) else None
    if kind is None and type(initializer).__name__ in ("Zeros", "Ones"):
        kind = type(initializer).__name__
    if initializer is None or (kind and kind.lower() == "zeros"):
        return torch.zeros(shape, dtype=config.torch_dtype(dtype), device=device)
    if kind and kind.lower() == "ones":
        return torch.ones(shape, dtype=config.torch_dtype(dtype), device=device)
    return initializer


class Metric:
    """Encapsulates a metric's logic and its state.

    A metric accumulates statistics in non-trainable Variables that live on
    `cornu.config.device()`. `update_state` adds one batch to them without
    reading anything back to the host; `result` computes the value (a torch
    scalar, or a tensor) from the state; `reset_state` zeroes it.

    Subclasses create their state in `__init__` with `add_variable`, and
    implement `update_state(...)` and `result()`.

    Args:
        dtype: the dtype of the metric's computations; defaults to
            `cornu.config.floatx()`. A dtype policy's compute dtype is used.
        name: the metric's name; defaults to the snake-cased class name,
            made unique (`"mean"`, `"mean_1"`, ...).

    Example:
    >>> class Total(Metric):
    ...     def __init__(self, name="total", dtype=None):
    ...         super().__init__(dtype=dtype, name=name)
    ...         self.total = self.add_variable((), "zeros", name="total")
    ...     def update_state(self, values):
    ...         with torch.no_grad():
    ...             self.total.add_(torch.as_tensor(values).sum())
    ...     def result(self):
    ...         return self.total.detach().clone()
    >>> m = Total()
    >>> m.update_state([1.0, 2.0])
    >>> float(m.result())
    3.0
    """

    def __init__(self, dtype: Any = None, name: str | None = None) -> None:
        self.name = name or naming.auto_name(type(self).__name__)
        self._dtype_policy = dtype_policy.get(dtype or config.floatx())
        self._dtype = self._dtype_policy.compute_dtype
        self._variables: list[Variable] = []
        self._metrics: list[Metric] = []

    def __setattr__(self, name: str, value: Any) -> None:
        # Sub-metrics assigned as attributes share their state with the
        # parent's `variables`, as in Keras.
        if isinstance(value, Metric) and "_metrics" in self.__dict__:
            if not any(value is m for m in self._metrics):
                self._metrics.append(value)
        super().__setattr__(name, value)

    # -- state -------------------------------------------------------------
    @property
    def dtype(self) -> str:
        """The dtype of the metric's computations, as a string."""
        return self._dtype

    @property
    def variables(self) -> list[Variable]:
        """The metric's state Variables, then those of its sub-metrics."""
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        return out

    def add_variable(
        self,
        shape: Any,
        initializer: Any,
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Creates a non-trainable state Variable on `cornu.config.device()`.

        Args:
            shape: the Variable's shape.
            initializer: `"zeros"`, `"ones"`, an initializer object or a
                callable `(shape, dtype)`.
            dtype: defaults to `cornu.config.floatx()` (as in Keras, not the
                metric's dtype).
            aggregation: how replicas combine it (`"sum"`, `"mean"`, ...).
            name: the Variable's name; its path is `"<metric>/<name>"`.

        Returns:
            The new `Variable`.
        """
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call `super().__init__()` in "
                "`__init__()` before creating variables."
            )
        shape = tuple(int(d) for d in (shape if shape is not None else ()))
        dtype = config.standardize_dtype(dtype)
        device = config.device()
        value = _initial_value(initializer, shape, dtype, device)
        var = Variable(
            value,
            shape=shape,
            dtype=dtype,
            trainable=False,
            aggregation=aggregation,
            synchronization="on_read",
            name=name,
            device=device,
        )
        var._path = f"{self.name.replace('/', '>')}/{var.name}"
        self._variables.append(var)
        return var

    def add_weight(
        self,
        shape: Any = (),
        initializer: Any = None,
        dtype: Any = None,
        name: str | None = None,
    ) -> Variable:
        """Alias of `add_variable`, kept for older code."""
        return self.add_variable(shape, initializer, dtype=dtype, name=name)

    # -- the metric protocol -----------------------------------------------
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulates statistics for one batch."""
        raise NotImplementedError

    def result(self) -> Any:
        """Computes the metric's value from its state.

        Returns:
            A torch tensor (a scalar for most metrics).
        """
        raise NotImplementedError

    def reset_state(self) -> None:
        """Zeroes every state Variable (called between epochs)."""
        variables: list[torch.Tensor] = list(self.variables)
        if variables:
            with torch.no_grad():
                torch._foreach_zero_(variables)

    # -- stateless forms (Keras's functional API over explicit state) --------
    def _swap_in(self, metric_variables: Any) -> list[torch.Tensor]:
        variables = self.variables
        if len(metric_variables) != len(variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors "
                f"corresponding 1:1 to {type(self).__name__}().variables. "
                f"Received list with length {len(metric_variables)}, but "
                f"expected {len(variables)} variables."
            )
        saved = [v.detach().clone() for v in variables]
        with torch.no_grad():
            for var, value in zip(variables, metric_variables):
                var.copy_(torch.as_tensor(value, device=var.device, dtype=var.dtype))
        return saved

    def _restore(self, saved: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for var, value in zip(self.variables, saved):
                var.copy_(value)

    def stateless_update_state(
        self, metric_variables: Any, *args: Any, **kwargs: Any
    ) -> list[torch.Tensor]:
        """`update_state` on the given state values; returns the new values.

        The metric's own Variables are left as they were.
        """
        saved = self._swap_in(metric_variables)
        try:
            self.update_state(*args, **kwargs)
            return [v.detach().clone() for v in self.variables]
        finally:
            self._restore(saved)

    def stateless_result(self, metric_variables: Any) -> Any:
        """`result()` computed from the given state values."""
        saved = self._swap_in(metric_variables)
        try:
            return self.result()
        finally:
            self._restore(saved)

    def stateless_reset_state(self) -> list[torch.Tensor]:
        """The state values `reset_state()` would give, without changing any."""
        return [torch.zeros_like(v.detach()) for v in self.variables]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Updates the state with one batch, then returns `result()`."""
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call `super().__init__()` in `__init__()`."
            )
        self.update_state(*args, **kwargs)
        return self.result()

    # -- serialization -----------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this metric."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Rebuilds a metric from `get_config()`."""
        return cls(**config)

    @property
    def _device(self) -> torch.device:
        variables = self._variables
        return variables[0].device if variables else config.device()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
