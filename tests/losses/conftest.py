"""The Keras oracle for loss tests: real Keras 3 on its torch backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import ModuleType

import pytest
import torch


@pytest.fixture(scope="session")
def keras() -> ModuleType:
    # Keras reads the backend once, at import; torch is the only one installed.
    os.environ.setdefault("KERAS_BACKEND", "torch")
    module = pytest.importorskip("keras")
    if module.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    return module


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    # The tensors here are tiny: more threads only add synchronization, which
    # costs milliseconds per op on a busy machine.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
