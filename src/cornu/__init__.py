"""cornu: the Keras API, native on PyTorch.

Write `import cornu as keras` and Keras code runs; every layer and model is a
`torch.nn.Module`.
"""

import importlib
from typing import Any

from cornu import (
    activations,
    config,
    constraints,
    initializers,
    layers,
    models,
    ops,
    random,
    regularizers,
    tree,
)
from cornu.core.gradient_tape import GradientTape
from cornu.core.input_spec import InputSpec
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.core.naming import name_scope
from cornu.core.variable import Variable
from cornu.layers.core.input_layer import Input
from cornu.models import Functional, Model, Sequential

__version__ = "0.1.0"

# Imported on first use, so that `import cornu` stays fast.
_LAZY = {
    "losses",
    "metrics",
    "optimizers",
    "callbacks",
    "saving",
    "utils",
    "export",
    "datasets",
    "distribution",
    "backend",
    "testing",
    "dtype_policies",
    "mixed_precision",
    "quantizers",
}


# Keras's top-level names for base classes, also imported on first use.
_LAZY_NAMES = {
    "Loss": ("cornu.losses", "Loss"),
    "Metric": ("cornu.metrics", "Metric"),
    "Optimizer": ("cornu.optimizers", "Optimizer"),
    "Initializer": ("cornu.initializers", "Initializer"),
    "Regularizer": ("cornu.regularizers", "Regularizer"),
    "Constraint": ("cornu.constraints", "Constraint"),
    "DTypePolicy": ("cornu.core.dtype_policy", "DTypePolicy"),
    "Operation": ("cornu.core.operation", "Operation"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        module_name, attr = _LAZY_NAMES[name]
        value = getattr(importlib.import_module(module_name), attr)
        globals()[name] = value
        return value
    if name in _LAZY:
        submodule = importlib.import_module(f"cornu.{name}")
        globals()[name] = submodule
        return submodule
    raise AttributeError(f"module 'cornu' has no attribute {name!r}")
