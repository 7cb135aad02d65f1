"""Shared test setup: fixed seeds, CPU device, and a clean naming state."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

# Tests run two workers on two cores (pytest -n 2): one thread each avoids
# oversubscription, which slows small kernels down by an order of magnitude.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _fixed_seeds() -> None:
    random.seed(1337)
    np.random.seed(1337)
    torch.manual_seed(1337)
