"""Shared pieces of the layer tests: the real-Keras oracle."""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.fixture(scope="session")
def keras_oracle() -> Any:
    """Real Keras 3 on its torch backend, the reference for Keras's numerics."""
    # Keras reads the backend once, at import.
    os.environ.setdefault("KERAS_BACKEND", "torch")
    module = pytest.importorskip("keras")
    if module.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    return module


@pytest.fixture
def layer_test() -> Any:
    """`run_layer_test`, with the output shape checked here.

    The harness's own `expected_output_shape` check maps `tuple` over the
    shape's ints (an engine bug, reported); until it is fixed the shape is
    compared on the returned output.
    """
    from cornu.testing.layer_test import run_layer_test

    def run(*args: Any, expected_output_shape: Any = None, **kwargs: Any) -> Any:
        output = run_layer_test(*args, **kwargs)
        if expected_output_shape is not None:
            assert tuple(output.shape) == tuple(expected_output_shape)
        return output

    return run
