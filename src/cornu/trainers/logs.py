"""Logs that stay on the device until something reads them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import numpy as np
import torch


def to_python(value: Any) -> Any:
    """A tensor (or array) as a Python float/int, or a list for non-scalars."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.numel() == 1:
            return value.item()
        return value.cpu().numpy()
    if isinstance(value, np.ndarray) and value.size == 1:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def flatten_results(metrics: list[Any]) -> dict[str, Any]:
    """`{name: result}` over metrics; containers (compile metrics) expand."""
    out: dict[str, Any] = {}
    for m in metrics:
        result = m.result()
        if isinstance(result, dict):
            out.update(result)
        else:
            out[m.name] = result
    return out


class LazyLogs(MutableMapping):
    """Batch logs computed from metric states only when read.

    Reading a value synchronises with the device and converts it to a
    Python number; callbacks that do not look at batch logs cost nothing.
    """

    __slots__ = ("_source", "_cache", "_extra")

    def __init__(self, source: Any) -> None:
        self._source = source  # a callable returning {name: tensor}
        self._cache: dict[str, Any] | None = None
        self._extra: dict[str, Any] = {}

    def invalidate(self) -> LazyLogs:
        self._cache = None
        self._extra.clear()
        return self

    def _values(self) -> dict[str, Any]:
        if self._cache is None:
            raw = self._source()
            self._cache = {k: to_python(v) for k, v in sorted(raw.items())}
        return self._cache

    def __getitem__(self, key: str) -> Any:
        if key in self._extra:
            return self._extra[key]
        return self._values()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._extra[key] = value

    def __delitem__(self, key: str) -> None:
        if key in self._extra:
            del self._extra[key]
        else:
            self._values().pop(key)

    def __iter__(self) -> Iterator[str]:
        yield from self._values()
        yield from (k for k in self._extra if k not in self._values())

    def __len__(self) -> int:
        return len(set(self._values()) | set(self._extra))

    def materialize(self) -> dict[str, Any]:
        return dict(self.items())

    def __repr__(self) -> str:
        return f"LazyLogs({self.materialize()!r})"


def materialize(logs: Any) -> dict[str, Any]:
    """Plain `{name: float}` from logs of any kind (lazy, dict of tensors, None)."""
    if logs is None:
        return {}
    if isinstance(logs, LazyLogs):
        return logs.materialize()
    if isinstance(logs, Mapping):
        out = {}
        for k, v in sorted(logs.items()):
            if isinstance(v, Mapping):
                out.update(materialize(v))
            else:
                out[k] = to_python(v)
        return out
    return {"output": to_python(logs)}
