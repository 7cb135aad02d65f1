"""`keras.dtype_policies`: the dtype policies layers compute and store with.

`DTypePolicy("mixed_float16")` computes in float16 and keeps float32
weights; `QuantizedDTypePolicy` (`"int8_from_float32"`) is the policy of a
layer quantized with `layer.quantize("int8")`; `DTypePolicyMap` maps layer
paths to policies. `get`, `serialize` and `deserialize` convert policies to
and from names and Keras's config dicts. The int4, float8, GPTQ and AWQ
policies are not provided: cornu quantizes to int8 only.
"""

from __future__ import annotations

from typing import Any

from cornu.core import dtype_policy as _impl
from cornu.core.dtype_policy import (
    QUANTIZATION_MODES,
    DTypePolicy,
    DTypePolicyMap,
    QuantizedDTypePolicy,
)

# Keras keeps this name as an alias of `DTypePolicy` for float policies.
FloatDTypePolicy = DTypePolicy


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name, a config dict, a policy, or `None` (the global one).

    Example:
        >>> get("mixed_bfloat16").compute_dtype
        'bfloat16'
        >>> get("int8_from_float32").quantization_mode
        'int8'
    """
    return _impl.get(identifier)


def serialize(dtype_policy: DTypePolicy) -> dict[str, Any]:
    """`dtype_policy` in Keras's config form (`{"class_name": "DTypePolicy", ...}`).

    Example:
        >>> serialize(DTypePolicy("float16"))["config"]
        {'name': 'float16'}
        >>> serialize(get("int8_from_float32"))["config"]
        {'mode': 'int8', 'source_name': 'float32'}
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


__all__ = [
    "QUANTIZATION_MODES",
    "DTypePolicy",
    "DTypePolicyMap",
    "FloatDTypePolicy",
    "QuantizedDTypePolicy",
    "deserialize",
    "get",
    "serialize",
]
