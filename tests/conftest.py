"""Shared test setup: fixed seeds, CPU device, and a clean naming state."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _fixed_seeds() -> None:
    random.seed(1337)
    np.random.seed(1337)
    torch.manual_seed(1337)
