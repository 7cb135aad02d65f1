"""`keras.activations`: element-wise and axis-wise activations, found by name."""

from __future__ import annotations

import types
from typing import Any

from cornu.activations.axis_wise import glu, log_softmax, softmax, sparsemax
from cornu.activations.rectifiers import (
    celu,
    elu,
    exponential,
    gelu,
    hard_silu,
    leaky_relu,
    linear,
    mish,
    relu,
    relu6,
    selu,
    silu,
    softplus,
    sparse_plus,
    squareplus,
    threshold,
)
from cornu.activations.shrinkage import hard_shrink, soft_shrink, tanh_shrink
from cornu.activations.squashing import (
    hard_sigmoid,
    hard_tanh,
    log_sigmoid,
    sigmoid,
    softsign,
    sparse_sigmoid,
    tanh,
)
from cornu.core import object_registry, serialization

# Keras's public aliases: the same functions under their other names.
swish = silu
hard_swish = hard_silu

_FUNCTIONS = (
    celu,
    elu,
    exponential,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh,
    tanh_shrink,
    threshold,
)
# Every name `get` accepts; serialization writes the canonical one.
ALL_OBJECTS_DICT: dict[str, Any] = {fn.__name__: fn for fn in _FUNCTIONS}
ALL_OBJECTS_DICT.update({"swish": silu, "hard_swish": hard_silu})
_NAMES = {fn: fn.__name__ for fn in _FUNCTIONS}

# Module names Keras (or cornu) writes for its built-in activation functions.
_BUILTIN_MODULES = (None, "keras.activations", "keras.src.activations.activations")


def serialize(activation: Any) -> Any:
    """Returns a built-in activation's name, or the config of another one.

    Example:
    >>> serialize(relu)
    'relu'
    >>> serialize(swish)
    'silu'
    """
    if activation is None:
        return None
    if isinstance(activation, types.FunctionType) and activation in _NAMES:
        return _NAMES[activation]
    return serialization.serialize_keras_object(activation)


def _lookup(name: str, custom_objects: dict[str, Any] | None) -> Any:
    return object_registry.lookup(name, ALL_OBJECTS_DICT, custom_objects)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Returns the activation named or described by `config`.

    Args:
        config: a name (`"relu"`) or a serialized function or object.
        custom_objects: extra names to resolve (`{"name": fn}`).

    Returns:
        A callable.

    Example:
    >>> deserialize("swish") is silu
    True
    """
    if isinstance(config, str):
        fn = _lookup(config, custom_objects)
        if fn is None:
            raise ValueError(
                f"Could not interpret activation function identifier: {config!r}"
            )
        return fn
    if (
        isinstance(config, dict)
        and config.get("class_name") == "function"
        and config.get("module") in _BUILTIN_MODULES
        and isinstance(config.get("config"), str)
    ):
        fn = _lookup(config.get("registered_name") or config["config"], custom_objects)
        if fn is not None:
            return fn
    return serialization.deserialize_keras_object(config, custom_objects)


def get(identifier: Any) -> Any:
    """Returns the activation function for a name, config or callable.

    Args:
        identifier: `None` (gives `linear`), a name (`"relu"`), a
            serialized config, or a callable (returned as is).

    Returns:
        A callable.

    Example:
    >>> get("relu") is relu
    True
    >>> get(None) is linear
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret activation function identifier: {identifier!r}"
    )


__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]
