"""Shared helpers for the callback tests: a stand-in model and lazy logs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pytest


class FakeOptimizer:
    """Just what the callbacks touch: a settable `learning_rate`."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate
        self.name = "fake_optimizer"


class FakeModel:
    """A stand-in model: weights are a list of numpy arrays."""

    def __init__(self) -> None:
        self.stop_training = False
        self.optimizer = FakeOptimizer()
        self.weights_value = [np.zeros((2,), "float32")]
        self.saved: list[tuple[str, str]] = []
        self.metrics: list[Any] = []

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.weights_value]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.weights_value = [np.array(w) for w in weights]

    def save(self, path: str, overwrite: bool = True) -> None:
        with open(path, "w") as f:
            f.write("model")
        self.saved.append(("model", path))

    def save_weights(self, path: str, overwrite: bool = True) -> None:
        with open(path, "w") as f:
            f.write("weights")
        self.saved.append(("weights", path))


class CountingLogs(Mapping):
    """Batch logs that count how often values are read (as the trainer's
    lazy logs, where each read waits for the device)."""

    def __init__(self, values: dict[str, float]) -> None:
        self._values = values
        self.reads = 0

    def __getitem__(self, key: str) -> float:
        self.reads += 1
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        # The trainer's lazy logs compute every value to know their length.
        self.reads += 1
        return len(self._values)


@pytest.fixture
def fake_model() -> FakeModel:
    return FakeModel()


@pytest.fixture
def make_logs() -> type[CountingLogs]:
    return CountingLogs
