"""Unique default names for layers, models and operations (`dense`, `dense_1`)."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from typing import Any

_COUNTS: defaultdict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def uniquify(base: str) -> str:
    """Returns `base` the first time, then `base_1`, `base_2`, ..."""
    count = _COUNTS[base]
    _COUNTS[base] += 1
    return base if count == 0 else f"{base}_{count}"


def auto_name(cls_name: str) -> str:
    return uniquify(to_snake_case(cls_name))


def reset() -> None:
    """Forgets every name handed out (used by `clear_session`)."""
    _COUNTS.clear()


# -- name scopes: the path prefix of the variables created inside them --------

_SCOPES = threading.local()


def _stack() -> list[name_scope]:
    stack = getattr(_SCOPES, "stack", None)
    if stack is None:
        stack = _SCOPES.stack = []
    return stack


class name_scope:  # noqa: N801  (Keras's public name)
    """Opens a sub-namespace for variable paths.

    Variables created inside `with keras.name_scope("block"):` get paths
    `block/<name>`; scopes nest. Layers open their own scope while they
    build and on their first call, so a weight's path names the layers
    (and models) it was created under, e.g. `sequential/dense/kernel`.

    Args:
        name: the scope's name; a string without `/`.
        caller: the object opening the scope (a layer), if any.
        deduplicate: when True and `caller` opens a scope of the same name
            directly inside its own, no new level is added.
        override_parent: an absolute path replacing the enclosing scopes.

    Example:
        >>> import cornu as keras
        >>> with keras.name_scope("block"):
        ...     v = keras.Variable(1.0, name="scale")
        >>> v.path
        'block/scale'
    """

    def __init__(
        self,
        name: str,
        caller: Any = None,
        deduplicate: bool = True,
        override_parent: str | None = None,
    ) -> None:
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "name_scope: `name` must be a string without '/'; "
                f"received name={name!r}."
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        if override_parent is None and deduplicate:
            override_parent = getattr(caller, "_parent_path", None)
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self) -> name_scope:
        stack = _stack()
        if self.deduplicate and stack and self.caller is not None:
            top = stack[-1]
            if top.caller is self.caller and top.name == self.name:
                return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pushed:
            self._pushed = False
            _stack().pop()


def current_path() -> str:
    """The `/`-joined names of the open scopes ("" outside any)."""
    parts: list[str] = []
    for scope in getattr(_SCOPES, "stack", None) or ():
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)


def scoped(name: str) -> str:
    """`name` under the open scopes: the path of a variable created now."""
    prefix = current_path()
    return f"{prefix}/{name}" if prefix else name
