"""The examples in the optimizers' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cornu.optimizers

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(
        cornu.optimizers.__path__, prefix="cornu.optimizers."
    )
)


@pytest.mark.parametrize("module_name", ["cornu.optimizers", *MODULES])
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed"
