"""`keras.regularizers`: weight penalties, found by name or config."""

from __future__ import annotations

from typing import Any

from cornu.core import object_registry, serialization
from cornu.regularizers.regularizers import (
    L1,
    L1L2,
    L2,
    OrthogonalRegularizer,
    Regularizer,
)

# Keras's public aliases: the lower-case names are the classes themselves.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

# Every name `get` accepts: class names, their snake case (as Keras's lookup
# table has them, e.g. "l1l2") and the public aliases.
ALL_OBJECTS_DICT: dict[str, type] = {
    "Regularizer": Regularizer,
    "L1": L1,
    "L2": L2,
    "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "regularizer": Regularizer,
    "l1": L1,
    "l2": L2,
    "l1l2": L1L2,
    "l1_l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def serialize(regularizer: Any) -> Any:
    """Returns `regularizer` in Keras's serialization schema (a dict).

    Example:
    >>> serialize(L2(0.1))["config"]
    {'l2': 0.1}
    """
    return serialization.serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuilds a regularizer from `serialize`'s output (or a name).

    Example:
    >>> deserialize({"class_name": "L1", "config": {"l1": 0.5}}).l1
    0.5
    """
    return object_registry.deserialize_from(
        config, ALL_OBJECTS_DICT, custom_objects, "regularizer"
    )


def get(identifier: Any) -> Any:
    """Returns a regularizer for a name, config, class or callable.

    Args:
        identifier: `None`, a name (`"l2"`), a config dict, a `Regularizer`
            class (instantiated with its defaults) or a callable.

    Returns:
        A regularizer, or `None` for `None`.

    Example:
    >>> get("l2").l2
    0.01
    """
    if identifier is None:
        return None
    obj = deserialize(identifier) if isinstance(identifier, (str, dict)) else identifier
    return object_registry.as_callable(obj, identifier, "regularizer")


__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]
