"""Fixtures for optimizer tests: real Keras (torch backend) as an oracle."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _cpu_device() -> Iterator[None]:
    """Runs each test with cornu's variables on the CPU, where its tensors are."""
    from cornu import config

    previous = config.device()
    config.set_device("cpu")
    yield
    config.set_device(previous)


@pytest.fixture(scope="session")
def keras_oracle() -> Any:
    """The `keras` module on the torch backend, or skip when not installed."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    return keras


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Keras's own NumPy conversions emit DeprecationWarnings under NumPy 2;
    # they are Keras's, not ours, so the oracle tests ignore them.
    here = os.path.dirname(__file__)
    for item in items:
        in_here = str(item.path).startswith(here)
        if in_here and "keras_oracle" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))
