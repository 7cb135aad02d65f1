"""`keras.constraints`: projections applied to weights after each update."""

from __future__ import annotations

from typing import Any

from cornu.constraints.constraints import (
    Constraint,
    MaxNorm,
    MinMaxNorm,
    NonNeg,
    UnitNorm,
)
from cornu.core import object_registry, serialization

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


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuilds a constraint from `serialize`'s output (or a name).

    Example:
    >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 3}}).max_value
    3
    """
    return object_registry.deserialize_from(
        config, ALL_OBJECTS_DICT, custom_objects, "constraint"
    )


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
    return object_registry.as_callable(obj, identifier, "constraint")


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
