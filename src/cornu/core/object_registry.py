"""Name lookup shared by the small registries: initializers, regularizers,
constraints and activations.

Each registry keeps a table from the names it answers to its objects; a
registered (or custom) object of the same name takes precedence.
"""

from __future__ import annotations

import inspect
from typing import Any

from cornu.core import serialization


def lookup(
    name: str, table: dict[str, Any], custom_objects: dict[str, Any] | None
) -> Any:
    """The registered or custom object called `name`, else `table[name]`."""
    found = serialization.get_registered_object(name, custom_objects)
    return found if found is not None else table.get(name)


def deserialize_from(
    config: Any,
    table: dict[str, Any],
    custom_objects: dict[str, Any] | None,
    kind: str,
) -> Any:
    """Rebuilds an object of a registry of classes from a name or a config.

    A name gives the class's default instance; a config that names no module
    (written by hand) is answered from `table`; other configs go through
    Keras's serialization schema. `kind` names the registry in errors.
    """
    if isinstance(config, str):
        cls = lookup(config, table, custom_objects)
        if cls is None:
            raise ValueError(f"Could not interpret {kind} identifier: {config!r}")
        return cls() if inspect.isclass(cls) else cls
    if isinstance(config, dict) and config.get("module") is None:
        cls = lookup(
            config.get("registered_name") or config.get("class_name", ""),
            table,
            custom_objects,
        )
        from_config = getattr(cls, "from_config", None)
        if inspect.isclass(cls) and from_config is not None:
            return from_config(config.get("config") or {})
    return serialization.deserialize_keras_object(config, custom_objects)


def as_callable(obj: Any, identifier: Any, kind: str) -> Any:
    """`obj` as `get` returns it: a class instantiated with its defaults, a
    callable as is; anything else is refused, naming `identifier`."""
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
