"""`LearningRateSchedule`: the base class of learning rate schedules."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core import serialization


class LearningRateSchedule:
    """The base class of learning rate schedules.

    A schedule maps the optimizer's step count to a learning rate. Pass one as
    the `learning_rate` of any optimizer. To write your own, override
    `__call__(step)` (and `get_config` to make it serializable).

    Example:
    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / (step + 1)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> Halving(1.0)(1)
    0.5
    """

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' "
            "must override `__call__(self, step)`."
        )

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' "
            "must override `get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Creates a schedule from the output of `get_config()`."""
        return cls(**config)


class PythonMathSchedule(LearningRateSchedule):
    """A schedule whose formula is plain Python arithmetic on the step.

    The built-in schedules derive from this class. Evaluated on a Python
    number they return a Python number, so an optimizer can compute its
    learning rate every step without creating a tensor or reading one back
    from the device. Evaluated on a tensor step (e.g. `optimizer.iterations`)
    they return a float32 tensor, as Keras does.
    """

    def __call__(self, step: Any) -> Any:
        if isinstance(step, (int, float)):
            return self.python_value(step)
        value = self.python_value(_as_number(step))
        device = step.device if isinstance(step, torch.Tensor) else None
        return torch.tensor(value, dtype=_result_dtype(value), device=device)

    def python_value(self, step: int | float) -> float:
        """The learning rate at `step`, computed with Python arithmetic."""
        raise NotImplementedError


def check_decay_steps(name: str, value: Any) -> None:
    """Raises unless the schedule's step count `name` is positive."""
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


def _as_number(step: Any) -> int | float:
    if isinstance(step, torch.Tensor):
        step = step.detach()
        return int(step) if not step.dtype.is_floating_point else float(step)
    if hasattr(step, "dtype") and hasattr(step, "item"):  # numpy scalars
        return step.item()
    return float(step)


def _result_dtype(value: Any) -> torch.dtype:
    # Keras computes in the dtype of the schedule's values: float32 for
    # Python floats, int32 for integer piecewise values.
    return torch.int32 if isinstance(value, int) else torch.float32


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """Returns the schedule in Keras's serialization schema.

    Args:
        learning_rate_schedule: the schedule to serialize.

    Returns:
        A JSON-ready dict with `module`, `class_name`, `config` and
        `registered_name`.

    Example:
    >>> from cornu.optimizers.schedules import ExponentialDecay
    >>> serialize(ExponentialDecay(0.1, 10, 0.9))["class_name"]
    'ExponentialDecay'
    """
    return serialization.serialize_keras_object(learning_rate_schedule)


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> LearningRateSchedule:
    """Rebuilds a schedule from the output of `serialize`.

    Args:
        config: the serialized schedule.
        custom_objects: user-defined schedule classes, by name.

    Returns:
        A `LearningRateSchedule`.

    Example:
    >>> from cornu.optimizers.schedules import ExponentialDecay
    >>> s = deserialize(serialize(ExponentialDecay(0.1, 10, 0.9)))
    >>> round(s(10), 6)
    0.09
    """
    from cornu.optimizers import schedules

    if isinstance(config, dict) and "module" not in config:
        # Short form {"class_name": ..., "config": ...}: built-ins by name.
        cls = getattr(schedules, str(config.get("class_name")), None)
        if isinstance(cls, type) and issubclass(cls, LearningRateSchedule):
            return cls.from_config(dict(config.get("config", {})))
    obj = serialization.deserialize_keras_object(config, custom_objects)
    if not isinstance(obj, LearningRateSchedule):
        raise ValueError(
            f"Could not interpret learning rate schedule config: {config!r}."
        )
    return obj
