"""Unique default names for layers, models and operations (`dense`, `dense_1`)."""

from __future__ import annotations

import re
from collections import defaultdict

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
