"""Helpers shared by the saving tests: model builders and the Keras check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cornu as keras

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from interop_models import (  # noqa: E402, F401  (re-exported to the tests)
    ALL_BUILDERS,
    BUILDERS,
    missing_layers,
    model_inputs,
    sample_inputs,
    to_numpy_list,
)

KERAS_MISSING = importlib.util.find_spec("keras") is None
requires_keras = pytest.mark.skipif(
    KERAS_MISSING,
    reason="real Keras 3 is not installed; `pip install cornu[interop]` to run "
    "the Keras interop tests",
)


def predict(model: Any, name: str, batch: int = 5) -> list[np.ndarray]:
    """The model's outputs on `interop_models.sample_inputs(name)`."""
    return to_numpy_list(
        model(model_inputs(sample_inputs(name, batch)), training=False)
    )


def require(name: str) -> None:
    """Skips the test when cornu lacks a layer that architecture `name` needs."""
    missing = missing_layers(keras, name)
    if missing:
        pytest.skip(f"cornu has no {', '.join(missing)} yet")


def build(name: str) -> Any:
    """Builds architecture `name` with cornu (skipping if it cannot yet)."""
    require(name)
    return ALL_BUILDERS[name](keras)
