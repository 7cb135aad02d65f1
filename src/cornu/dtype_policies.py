"""`keras.dtype_policies`: the dtype policies layers compute and store with.

`DTypePolicy("mixed_float16")` computes in float16 and keeps float32
weights; `get`, `serialize` and `deserialize` convert policies to and from
names and Keras's config dicts. Quantized policies (`QuantizedDTypePolicy`,
`Int4DTypePolicy`, ...) and `DTypePolicyMap` are not provided: cornu layers
have no quantized modes and take one policy each.
"""

from __future__ import annotations

from typing import Any

from cornu.core import dtype_policy as _impl
from cornu.core.dtype_policy import DTypePolicy

# Keras keeps this name as an alias of `DTypePolicy` for float policies.
FloatDTypePolicy = DTypePolicy


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name, a config dict, a policy, or `None` (the global one).

    Example:
        >>> get("mixed_bfloat16").compute_dtype
        'bfloat16'
    """
    return _impl.get(identifier)


def serialize(dtype_policy: DTypePolicy) -> dict[str, Any]:
    """`dtype_policy` in Keras's config form (`{"class_name": "DTypePolicy", ...}`).

    Example:
        >>> serialize(DTypePolicy("float16"))["config"]
        {'name': 'float16'}
    """
    return _impl.serialize(dtype_policy)


def deserialize(config: dict[str, Any], custom_objects: Any = None) -> DTypePolicy:
    """The policy described by `config` (the output of `serialize`).

    Example:
        >>> deserialize(serialize(DTypePolicy("mixed_float16"))).name
        'mixed_float16'
    """
    if not isinstance(config, dict):
        raise ValueError(
            "`deserialize` expects a dict produced by `serialize`, received "
            f"{config!r} of type {type(config).__name__}."
        )
    return _impl.get(config)


__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]
