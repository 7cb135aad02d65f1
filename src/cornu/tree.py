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


def _items(x: Any) -> list[tuple[Any, Any]]:
    if isinstance(x, Mapping):
        return [(k, x[k]) for k in sorted(x)]
    return list(enumerate(x))


def flatten_with_path(structure: Any) -> list[tuple[tuple, Any]]:
    """`(path, leaf)` pairs in `flatten` order; a path is the tuple of keys."""
    out: list[tuple[tuple, Any]] = []

    def walk(x: Any, path: tuple) -> None:
        if not is_nested(x):
            out.append((path, x))
            return
        for key, child in _items(x):
            walk(child, (*path, key))

    walk(structure, ())
    return out


def assert_same_paths(a: Any, b: Any) -> None:
    """Raises ValueError unless `a` and `b` have the same leaf paths."""
    paths_a = {p for p, _ in flatten_with_path(a)}
    paths_b = {p for p, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        raise ValueError(
            f"The structures do not have the same paths: {sorted(paths_a ^ paths_b)}."
        )


def map_structure_up_to(
    shallow: Any, func: Callable[..., Any], *structures: Any
) -> Any:
    """`map_structure` that stops at the leaves of `shallow` (deeper parts go to `func` whole)."""
    if not is_nested(shallow):
        return func(*structures)
    kids = [dict(_items(s)) for s in structures]
    out = [
        map_structure_up_to(child, func, *(k[key] for k in kids))
        for key, child in _items(shallow)
    ]
    return _rebuild(shallow, out)


class MAP_TO_NONE:  # noqa: N801 - Keras's public name
    """Returned by a `traverse` function to replace a node with `None`."""


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """Visits every node; `func` returning non-None replaces the node (and, top
    down, stops the descent below it). Returning `MAP_TO_NONE` replaces the
    node with `None`."""

    def visit(x: Any) -> Any:
        if top_down:
            result = func(x)
            if result is not None:
                return None if result is MAP_TO_NONE else result
        if is_nested(x):
            x = _rebuild(x, [visit(c) for c in _children(x)])
        if not top_down:
            result = func(x)
            if result is not None:
                return None if result is MAP_TO_NONE else result
        return x

    return visit(structure)


def lists_to_tuples(structure: Any) -> Any:
    """The same structure with every list turned into a tuple."""
    if isinstance(structure, list):
        return tuple(lists_to_tuples(v) for v in structure)
    if is_nested(structure):
        return _rebuild(structure, [lists_to_tuples(c) for c in _children(structure)])
    return structure


def _is_shape(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(
        d is None or isinstance(d, int) for d in x
    )


def map_shape_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """Maps `func` over the shapes (tuples of ints/None) of a nested structure."""
    if _is_shape(structure):
        return func(tuple(structure))
    if isinstance(structure, Mapping):
        return {k: map_shape_structure(func, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_shape_structure(func, v) for v in structure)
    return func(structure)
