"""`keras.optimizers`: optimizers, learning rate schedules, and lookup by name."""

from __future__ import annotations

from typing import Any

from cornu.core import serialization
from cornu.optimizers import schedules
from cornu.optimizers.adadelta import Adadelta
from cornu.optimizers.adafactor import Adafactor
from cornu.optimizers.adagrad import Adagrad
from cornu.optimizers.adam import Adam
from cornu.optimizers.adamax import Adamax
from cornu.optimizers.adamw import AdamW
from cornu.optimizers.ftrl import Ftrl
from cornu.optimizers.lamb import Lamb
from cornu.optimizers.lion import Lion
from cornu.optimizers.loss_scale_optimizer import LossScaleOptimizer
from cornu.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from cornu.optimizers.muon import Muon
from cornu.optimizers.nadam import Nadam
from cornu.optimizers.optimizer import Optimizer
from cornu.optimizers.rmsprop import RMSprop
from cornu.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from cornu.optimizers.sgd import SGD

ALL_OBJECTS: set[type[Optimizer]] = {
    Optimizer,
    Adam,
    SGD,
    RMSprop,
    Adadelta,
    AdamW,
    Adagrad,
    Adamax,
    Adafactor,
    Muon,
    Nadam,
    Ftrl,
    Lion,
    Lamb,
    LossScaleOptimizer,
    MultiOptimizer,
    ScheduleFreeAdamW,
}
# Built-in names are case-insensitive, as in Keras: "adam", "Adam", "RMSprop".
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Returns the optimizer's configuration in Keras's serialization schema.

    Args:
        optimizer: the optimizer to serialize.

    Returns:
        A JSON-ready dict with `module`, `class_name`, `config` and
        `registered_name`.

    Example:
    >>> serialize(SGD())["class_name"]
    'SGD'
    """
    return serialization.serialize_keras_object(optimizer)


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Optimizer:
    """Rebuilds an optimizer from its serialized configuration.

    Args:
        config: the output of `serialize` (or `{"class_name", "config"}`).
        custom_objects: user-defined optimizer classes, by name.

    Returns:
        A new optimizer (without state).

    Example:
    >>> deserialize({"class_name": "adam", "config": {}}).beta_1
    0.9
    """
    class_name = str(config.get("class_name", ""))
    registered = config.get("registered_name")
    is_custom = registered not in (None, class_name) or (
        class_name in (custom_objects or {})
    )
    cls = None if is_custom else ALL_OBJECTS_DICT.get(class_name.lower())
    if cls is not None:
        with serialization.CustomObjectScope(custom_objects or {}):
            return cls.from_config(dict(config.get("config") or {}))
    obj = serialization.deserialize_keras_object(config, custom_objects)
    if not isinstance(obj, Optimizer):
        raise ValueError(f"Could not interpret optimizer identifier: {config}")
    return obj


def get(identifier: Any) -> Optimizer | None:
    """Returns an optimizer from a name, a config dict, or an optimizer.

    Args:
        identifier: a name (`"adam"`), a serialized config, an `Optimizer`
            (returned as is), or None.

    Returns:
        An optimizer, or None for None.

    Example:
    >>> type(get("adam")).__name__
    'Adam'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    try:
        if isinstance(identifier, dict):
            obj = deserialize(identifier)
        elif isinstance(identifier, str):
            obj = deserialize({"class_name": identifier, "config": {}})
        else:
            obj = identifier
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"Could not interpret optimizer identifier: {identifier!r}"
        ) from error
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
