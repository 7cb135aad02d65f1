"""`Initializer`: the base class of weight initializers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


class Initializer:
    """Makes the initial value of a weight from its shape and dtype.

    Subclasses implement `__call__(shape, dtype=None)`, returning a tensor on
    `cornu.config.device()`, and `get_config()` when they take arguments
    (the default `from_config` passes the config to `__init__`).

    Example:
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return torch.full(shape, 2.0)
    >>> Twos()((2,)).tolist()
    [2.0, 2.0]
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        """Returns a tensor of `shape` and `dtype` (default `floatx()`)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__call__(shape, dtype=None)`."
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a JSON-ready dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Rebuilds an initializer from the output of `get_config()`."""
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
