"""Shared pieces of the noise and dropout layers."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu import config, random


def check_fraction(layer: str, name: str, value: Any) -> float:
    """A number in `[0, 1]`, or a ValueError naming the layer and argument."""
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not 0 <= float(value) <= 1
    ):
        raise ValueError(
            f"{layer} `{name}` must be a number in [0, 1], received: {name}={value!r}."
        )
    return float(value)


def standard_normal_like(
    inputs: torch.Tensor, seed: random.SeedGenerator | None
) -> torch.Tensor:
    """N(0, 1) noise shaped like `inputs`.

    Unseeded layers draw from torch's global generator directly (as
    `torch.manual_seed` expects); seeded ones go through their generator.
    """
    if seed is None:
        return torch.randn_like(inputs)
    return random.normal(
        inputs.shape, dtype=config.standardize_dtype(inputs.dtype), seed=seed
    ).to(inputs.device)
