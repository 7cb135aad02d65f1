"""Nested structures (lists, tuples, dicts, None leaves) as Keras's `keras.tree`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict, Mapping))


def _children(x: Any) -> list[Any]:
    if isinstance(x, Mapping):
        return [x[k] for k in sorted(x)]
    return list(x)


def flatten(structure: Any) -> list[Any]:
    """Returns the leaves of `structure`, dict values in sorted-key order."""
    if not is_nested(structure):
        return [structure]
    out: list[Any] = []
    stack = [structure]
    while stack:
        item = stack.pop()
        if is_nested(item):
            stack.extend(reversed(_children(item)))
        else:
            out.append(item)
    return out


def _rebuild(template: Any, values: list[Any]) -> Any:
    if isinstance(template, Mapping):
        keys = sorted(template)
        return type(template)((k, v) for k, v in zip(keys, values))  # type: ignore[call-arg]
    if isinstance(template, tuple) and hasattr(template, "_fields"):
        return type(template)(*values)
    return type(template)(values)


def pack_sequence_as(structure: Any, flat: list[Any]) -> Any:
    """Fills `structure`'s leaves, in `flatten` order, with `flat`."""
    it = iter(flat)

    def fill(s: Any) -> Any:
        if not is_nested(s):
            return next(it)
        return _rebuild(s, [fill(c) for c in _children(s)])

    out = fill(structure)
    if next(it, _END) is not _END:
        raise ValueError("`flat` has more items than `structure` has leaves.")
    return out


_END = object()


def map_structure(func: Callable[..., Any], *structures: Any) -> Any:
    """Applies `func` leafwise to one or more structures of the same shape."""
    if not structures:
        raise ValueError("map_structure needs at least one structure.")
    first = structures[0]
    if not is_nested(first):
        return func(*structures)
    kids = [_children(s) for s in structures]
    for k, s in zip(kids[1:], structures[1:]):
        if len(k) != len(kids[0]) or not is_nested(s):
            raise ValueError(f"Structures do not match: {first!r} and {s!r}.")
    return _rebuild(first, [map_structure(func, *c) for c in zip(*kids)])


def assert_same_structure(a: Any, b: Any) -> None:
    map_structure(lambda *_: None, a, b)
