"""The examples in the attention layers' docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import torch

MODULES = [
    "cornu.layers.attention.attention",
    "cornu.layers.attention.additive_attention",
    "cornu.layers.attention.multi_head_attention",
    "cornu.layers.attention.grouped_query_attention",
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
