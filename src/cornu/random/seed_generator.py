"""`SeedGenerator`: a stateful source of seeds for reproducible random draws.

Every `cornu.random` function takes `seed=`: `None` draws from torch's global
generator (so `torch.manual_seed` / `set_random_seed` make it reproducible),
an int gives the same values on every call, and a `SeedGenerator` gives a
new, reproducible draw on every call.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu import config
from cornu.core import naming

# Seeds are combined as Keras's torch backend does (`seed + counter`, taken as
# a uint32), so seeded draws give the same numbers as Keras on the same device.
_UINT32 = 0xFFFFFFFF

_GLOBAL_SEED_GENERATOR: SeedGenerator | None = None


def make_default_seed() -> int:
    """Draws a seed from torch's global generator (reproducible under
    `torch.manual_seed`)."""
    return int(torch.randint(1, 10**9, (1,)).item())


class SeedGenerator:
    """Generates a new, reproducible seed for each random draw.

    Pass it as `seed=` to `cornu.random` functions (or keep one on a layer):
    each draw uses a fresh seed, and two generators built with the same
    `seed` produce the same sequence of draws.

    Args:
        seed: an int to start from; `None` takes one from torch's global
            generator (reproducible under `torch.manual_seed`).
        name: a name for the generator (default `"seed_generator"`, made
            unique).

    Example:
    >>> from cornu.random import normal
    >>> gen = SeedGenerator(seed=42)
    >>> a = normal((2,), seed=gen)
    >>> b = normal((2,), seed=gen)
    >>> bool((a == b).all())
    False
    >>> gen2 = SeedGenerator(seed=42)
    >>> bool((normal((2,), seed=gen2) == a).all())
    True
    """

    _seed: int
    _counter: int

    def __init__(
        self, seed: int | None = None, name: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.pop("backend", None)  # Keras accepts a backend here; ours is torch
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or naming.auto_name("SeedGenerator")
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
            raise ValueError(
                f"Argument `seed` must be an integer. Received: seed={seed!r}"
            )
        self._seed = int(seed)
        self._counter = 0

    @property
    def state(self) -> torch.Tensor:
        """The current `[seed, counter]` pair, as an int32 tensor (a copy)."""
        return torch.tensor([self._seed, self._counter], dtype=torch.int32)

    def next(self, ordered: bool = True) -> torch.Tensor:
        """Returns the current `[seed, counter]` and advances the counter."""
        value = self.state
        self._counter += 1
        return value

    def _next_int(self) -> int:
        value = (self._seed + self._counter) & _UINT32
        self._counter += 1
        return value

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name}, seed={self._seed}>"


def global_seed_generator() -> SeedGenerator:
    """The process-wide `SeedGenerator` (recreated by `set_random_seed`)."""
    global _GLOBAL_SEED_GENERATOR
    if _GLOBAL_SEED_GENERATOR is None:
        _GLOBAL_SEED_GENERATOR = SeedGenerator(name="global_seed_generator")
    return _GLOBAL_SEED_GENERATOR


def reset_global_seed_generator() -> None:
    global _GLOBAL_SEED_GENERATOR
    _GLOBAL_SEED_GENERATOR = None


def torch_generator(seed: Any, device: Any = None) -> torch.Generator | None:
    """The `torch.Generator` to draw with for `seed`, on `device`.

    `None` gives `None` (torch's global generator). An int gives a generator
    seeded with it, so the same int gives the same values; a `SeedGenerator`
    gives a generator seeded with its next seed. Kept out of `torch.compile`
    graphs: the seed must advance on every call, not be traced once.
    """
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        value = seed._next_int()
    elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        value = int(seed) & _UINT32
    else:
        raise ValueError(
            "Argument `seed` must be either an integer or an instance of "
            f"`SeedGenerator`. Received: seed={seed!r} (of type {type(seed)})"
        )
    device = torch.device(device) if device is not None else config.device()
    if device.type == "meta":
        return None  # meta tensors hold no values; nothing to seed
    return _seeded_generator(value, device)


def _make_generator(value: int, device: torch.device) -> torch.Generator:
    generator = torch.Generator(device=device)
    generator.manual_seed(value)
    return generator


_COMPILE_SAFE: Any = None


def _seeded_generator(value: int, device: torch.device) -> torch.Generator:
    # Kept out of torch.compile graphs (the seed must advance on every call,
    # not be traced once). Wrapped on first use: `torch.compiler.disable`
    # imports torch._dynamo, seconds that `import cornu` should not pay.
    global _COMPILE_SAFE
    if _COMPILE_SAFE is None:
        _COMPILE_SAFE = torch.compiler.disable(_make_generator)
    return _COMPILE_SAFE(value, device)
