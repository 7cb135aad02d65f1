"""The examples in the losses' docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "cornu.losses",
    "cornu.losses.loss",
    "cornu.losses.margin",
    "cornu.losses.probabilistic",
    "cornu.losses.regression",
    "cornu.losses.segmentation",
    "cornu.losses.sequence",
    "cornu.losses.similarity",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
