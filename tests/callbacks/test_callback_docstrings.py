"""The examples in the callbacks' docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

# Modules whose docstrings hold runnable examples (the others show `fit`
# snippets that need data and files).
MODULES = [
    "cornu.callbacks.callback",
    "cornu.callbacks.callback_list",
    "cornu.callbacks.early_stopping",
    "cornu.callbacks.history",
    "cornu.callbacks.lambda_callback",
    "cornu.callbacks.monitor_callback",
    "cornu.callbacks.progbar_logger",
    "cornu.utils.progbar",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
