"""`keras.regularizers`: weight penalties, found by name or config."""

from __future__ import annotations

import inspect
from typing import Any

from cornu.core import serialization
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


def _lookup(name: str, custom_objects: dict[str, Any] | None) -> Any:
    found = serialization.get_registered_object(name, custom_objects)
    return found if found is not None else ALL_OBJECTS_DICT.get(name)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuilds a regularizer from `serialize`'s output (or a name).

    Example:
    >>> deserialize({"class_name": "L1", "config": {"l1": 0.5}}).l1
    0.5
    """
    if isinstance(config, str):
        cls = _lookup(config, custom_objects)
        if cls is None:
            raise ValueError(f"Could not interpret regularizer identifier: {config!r}")
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
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


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
