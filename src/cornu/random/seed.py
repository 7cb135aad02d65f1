"""`set_random_seed`: one call that makes a program's randomness reproducible."""

from __future__ import annotations

import numbers
import random

import numpy as np
import torch

from cornu.random import seed_generator

_RANDOM_SEED: int | None = None


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy, and torch (all devices).

    It also resets the global `SeedGenerator`, which is recreated from the
    new torch state when next used. Unseeded `cornu.random` draws and
    initializers use torch's global generator, so they become reproducible.

    Args:
        seed: a non-negative integer.

    Example:
    >>> from cornu.random import normal
    >>> set_random_seed(7)
    >>> a = normal((3,))
    >>> set_random_seed(7)
    >>> bool((normal((3,)) == a).all())
    True
    """
    global _RANDOM_SEED
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise ValueError(
            "Expected `seed` argument to be an integer. "
            f"Received: seed={seed!r} (of type {type(seed)})"
        )
    seed = int(seed)
    _RANDOM_SEED = seed
    seed_generator.reset_global_seed_generator()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def get_random_seed() -> int | None:
    """The seed last passed to `set_random_seed`, or `None`."""
    return _RANDOM_SEED
