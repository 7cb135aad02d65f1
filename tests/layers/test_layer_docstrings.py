"""The examples in the core layers' docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import torch

MODULES = [
    "cornu.layers.core.dense",
    "cornu.layers.core.einsum_dense",
    "cornu.layers.core.embedding",
    "cornu.layers.core.identity",
    "cornu.layers.core.lambda_layer",
    "cornu.layers.core.masking",
    "cornu.layers.activations.activation",
    "cornu.layers.activations.elu",
    "cornu.layers.activations.leaky_relu",
    "cornu.layers.activations.prelu",
    "cornu.layers.activations.relu",
    "cornu.layers.activations.softmax",
    "cornu.layers.regularization.dropout",
    "cornu.layers.reshaping.flatten",
    "cornu.layers.reshaping.permute",
    "cornu.layers.reshaping.repeat_vector",
    "cornu.layers.reshaping.reshape",
    "cornu.layers.normalization.batch_normalization",
    "cornu.layers.normalization.layer_normalization",
    "cornu.layers.merging.add",
    "cornu.layers.merging.average",
    "cornu.layers.merging.concatenate",
    "cornu.layers.merging.dot",
    "cornu.layers.merging.maximum",
    "cornu.layers.merging.minimum",
    "cornu.layers.merging.multiply",
    "cornu.layers.merging.subtract",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(
        module,
        extraglobs={"np": np, "torch": torch},
        optionflags=doctest.ELLIPSIS,
    )
    assert result.attempted > 0
    assert result.failed == 0
