"""`keras.dtype_policies`: the dtype policies layers compute and store with.

`DTypePolicy("mixed_float16")` computes in float16 and keeps float32
weights; `QuantizedDTypePolicy` (`"int8_from_float32"`) is the policy of a
layer quantized with `layer.quantize("int8")`; `DTypePolicyMap` maps layer
paths to policies. `get`, `serialize` and `deserialize` convert policies to
and from names and Keras's config dicts.

`Int4DTypePolicy` (`"int4/128_from_float32"`) is the policy of a layer
quantized with `layer.quantize("int4")`: it carries the block size of
sub-channel quantization (`-1`: per channel). As in Keras, the plain name
`"int4_from_float32"` gives a `QuantizedDTypePolicy` (per-channel int4).
`QuantizedFloat8DTypePolicy` (`"float8_from_float32"`) is the policy of
float8 training, with the length of its amax histories. Importing this
policy lookup used by layers knows both (`dtype="int4/64_from_float32"`,
saved configs). The GPTQ and AWQ policies are not provided.
"""

from __future__ import annotations

from typing import Any

from cornu.core import dtype_policy as _impl
from cornu.core.dtype_policy import (
    QUANTIZATION_MODES,
    DTypePolicy,
    DTypePolicyMap,
    Int4DTypePolicy,
    QuantizedDTypePolicy,
    QuantizedFloat8DTypePolicy,
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
        >>> type(get("int4/128_from_float32")).__name__
        'Int4DTypePolicy'
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
    "Int4DTypePolicy",
    "QuantizedDTypePolicy",
    "QuantizedFloat8DTypePolicy",
    "deserialize",
    "get",
    "serialize",
]
