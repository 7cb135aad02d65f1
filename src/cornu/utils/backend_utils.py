"""Session and symbolic-tensor helpers: `clear_session`, `get_source_inputs`."""

from __future__ import annotations

import gc
from typing import Any

import torch

from cornu import config
from cornu.core import naming
from cornu.core.keras_tensor import KerasTensor


def is_keras_tensor(x: Any) -> bool:
    """Returns whether `x` is a symbolic `KerasTensor` (from `keras.Input`).

    Args:
        x: any value.

    Returns:
        `True` for a `KerasTensor`, `False` for anything else (torch tensors
        included).

    Example:

    >>> import cornu as keras
    >>> is_keras_tensor(keras.Input((3,)))
    True
    """
    return isinstance(x, KerasTensor)


def standardize_dtype(dtype: Any) -> str:
    """Returns the Keras name of a dtype (`"float32"`, `"int64"`, ...).

    Args:
        dtype: a string, a torch dtype, a numpy dtype, a Python type, or
            `None` (which means `keras.config.floatx()`).

    Returns:
        The dtype's Keras name.

    Example:

    >>> import torch
    >>> standardize_dtype(torch.float16)
    'float16'
    """
    return config.standardize_dtype(dtype)


def get_source_inputs(tensor: Any) -> list[Any]:
    """Returns the `keras.Input` tensors that `tensor` was computed from.

    Args:
        tensor: a `KerasTensor`.

    Returns:
        The list of input tensors at the roots of `tensor`'s graph, each once,
        in the order they are first reached. A tensor without history is
        returned as is.

    Example:

    >>> import cornu as keras
    >>> a, b = keras.Input((2,)), keras.Input((2,))
    >>> out = keras.layers.Add()([a, b])
    >>> get_source_inputs(out) == [a, b]
    True
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return tensor
    operation, node_index, _ = history
    if not operation or not operation._inbound_nodes:
        return [tensor]
    node = operation._inbound_nodes[node_index]
    if node.is_input:
        return list(node.outputs)
    sources: list[Any] = []
    for t in node.input_tensors:
        for x in get_source_inputs(t):
            if all(x is not s for s in sources):
                sources.append(x)
    return sources


def clear_session(free_memory: bool = True) -> None:
    """Resets the state cornu keeps between models.

    Forgets the layer names handed out (the next `Dense` is `dense` again),
    drops the global seed generator, and when `free_memory` is true runs the
    garbage collector and releases cached accelerator memory.

    Args:
        free_memory: whether to collect garbage and empty the CUDA cache.

    Example:

    >>> import cornu as keras
    >>> clear_session()
    >>> keras.layers.Dense(2).name
    'dense'
    """
    naming.reset()
    from cornu.random import seed_generator

    if hasattr(seed_generator, "_GLOBAL_SEED_GENERATOR"):
        seed_generator._GLOBAL_SEED_GENERATOR = None
    if free_memory:
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
