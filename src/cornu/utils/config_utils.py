"""`Config`: a dict-like container with attribute access that can be frozen."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any


class Config:
    """A mutable mapping of settings readable as attributes or items.

    Args:
        **kwargs: the initial entries.

    Example:

    >>> config = Config(learning_rate=0.1)
    >>> config.momentum = 0.9
    >>> config["learning_rate"], config.momentum
    (0.1, 0.9)
    >>> config.freeze()
    >>> config.frozen
    True
    """

    __attrs__ = None

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        """Whether the config refuses changes."""
        return self._frozen

    def freeze(self) -> None:
        """Makes the config read-only."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        """Makes the config writable again."""
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self) -> None:
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self) -> dict[str, Any]:
        """Returns a deep copy of the entries as a plain dict."""
        return copy.deepcopy(self._config)

    def to_json(self) -> str:
        """Returns the entries as a JSON string."""
        return json.dumps(self._config)

    def keys(self) -> Any:
        return self._config.keys()

    def values(self) -> Any:
        return self._config.values()

    def items(self) -> Any:
        return self._config.items()

    def pop(self, *args: Any) -> Any:
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._raise_if_frozen()
        self._config.update(*args, **kwargs)

    def get(self, key: str, default: Any = None) -> Any:
        return self._config.get(key, default)

    def __setattr__(self, name: str, value: Any) -> None:
        self._raise_if_frozen()
        if name in dir(type(self)):
            raise AttributeError(f"Cannot set the reserved attribute {name!r}.")
        self._config[name] = value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_config", "_frozen"):
            raise AttributeError(name)
        try:
            return self._config[name]
        except KeyError as e:
            raise AttributeError(
                f"Unknown attribute: '{name}'. Available: {list(self._config)}"
            ) from e

    def __delattr__(self, name: str) -> None:
        self._raise_if_frozen()
        del self._config[name]

    def __setitem__(self, key: str, item: Any) -> None:
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __delitem__(self, key: str) -> None:
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item: object) -> bool:
        return item in self._config

    def __len__(self) -> int:
        return len(self._config)

    def __iter__(self) -> Iterator[str]:
        return iter(self._config)

    def __repr__(self) -> str:
        return f"<Config {self._config}>"
