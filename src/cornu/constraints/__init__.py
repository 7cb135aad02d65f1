"""`keras.constraints`: projections applied to weights after each update."""

from __future__ import annotations

import inspect
from typing import Any

from cornu.constraints.constraints import (
    Constraint,
    MaxNorm,
    MinMaxNorm,
    NonNeg,
    UnitNorm,
)
from cornu.core import serialization

# Keras's public aliases: the lower-case names are the classes themselves.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

# Every name `get` accepts: class names and their snake case, as in Keras.
ALL_OBJECTS_DICT: dict[str, type] = {
    "Constraint": Constraint,
    "MaxNorm": MaxNorm,
    "MinMaxNorm": MinMaxNorm,
    "NonNeg": NonNeg,
    "UnitNorm": UnitNorm,
    "constraint": Constraint,
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
}


def serialize(constraint: Any) -> Any:
    """Returns `constraint` in Keras's serialization schema (a dict).

    Example:
    >>> serialize(MaxNorm(3))["config"]
    {'max_value': 3, 'axis': 0}
    """
    return serialization.serialize_keras_object(constraint)


def _lookup(name: str, custom_objects: dict[str, Any] | None) -> Any:
    found = serialization.get_registered_object(name, custom_objects)
    return found if found is not None else ALL_OBJECTS_DICT.get(name)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuilds a constraint from `serialize`'s output (or a name).

    Example:
    >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 3}}).max_value
    3
    """
    if isinstance(config, str):
        cls = _lookup(config, custom_objects)
        if cls is None:
            raise ValueError(f"Could not interpret constraint identifier: {config!r}")
        return cls() if inspect.isclass(cls) else cls
    if isinstance(config, dict) and config.get("module") is None:
        # Hand-written configs name no module: answer from this registry.
        cls = _lookup(
            config.get("registered_name") or config.get("class_name", ""),
            custom_objects,
        )
        from_config = getattr(cls, "from_config", None)
        if inspect.isclass(cls) and from_config is not None:
            return from_config(config.get("config") or {})
    return serialization.deserialize_keras_object(config, custom_objects)


def get(identifier: Any) -> Any:
    """Returns a constraint for a name, config, class or callable.

    Args:
        identifier: `None`, a name (`"non_neg"`), a config dict, a
            `Constraint` class (instantiated with its defaults) or a
            callable.

    Returns:
        A constraint, or `None` for `None`.

    Example:
    >>> get("max_norm").max_value
    2
    """
    if identifier is None:
        return None
    obj = deserialize(identifier) if isinstance(identifier, (str, dict)) else identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
]
