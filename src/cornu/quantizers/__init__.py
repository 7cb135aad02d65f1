"""`keras.quantizers`: the quantization math behind `layer.quantize(...)`.

`abs_max_quantize` and `AbsMaxQuantizer` quantize tensors as Keras does
(abs-max scale per slice, round half to even, clip to `(-127, 127)`);
`Int8QuantizationConfig` / `Int4QuantizationConfig` choose the quantizers
of `quantize("int8")` / `quantize("int4")`; `pack_int4` / `unpack_int4`
hold two int4 values per byte; `Float8QuantizationConfig` and the float8
functions serve `quantize("float8")`. The GPTQ and AWQ configs are not
provided.
"""

from __future__ import annotations

from typing import Any

from cornu.quantizers import quantization_config as _configs
from cornu.quantizers.quantization_config import (
    Float8QuantizationConfig,
    Int4QuantizationConfig,
    Int8QuantizationConfig,
    QuantizationConfig,
)
from cornu.quantizers.quantizers import (
    AbsMaxQuantizer,
    Quantizer,
    abs_max_quantize,
    abs_max_quantize_grouped_with_zero_point,
    compute_float8_amax_history,
    compute_float8_scale,
    pack_int4,
    quantize_and_dequantize,
    unpack_int4,
)


def serialize(obj: Any) -> dict[str, Any] | None:
    """A quantizer or quantization config as Keras's config dict.

    Example:
        >>> serialize(AbsMaxQuantizer())["class_name"]
        'AbsMaxQuantizer'
    """
    return _configs.serialize(obj)


def deserialize(config: dict[str, Any], custom_objects: Any = None) -> Any:
    """The quantizer or quantization config that `config` describes.

    Example:
        >>> deserialize(serialize(Int8QuantizationConfig())).mode
        'int8'
    """
    name = config.get("class_name") if isinstance(config, dict) else None
    if name in _configs._CONFIGS:
        return _configs.get_config(config)
    return _configs.get_quantizer(config)


def get(identifier: Any, **kwargs: Any) -> Any:
    """A quantizer from `None`, a name, a dict or a quantizer object."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _configs._QUANTIZERS.get(identifier)
        if cls is None:
            raise ValueError(
                f"Could not interpret quantizer identifier: {identifier!r}"
            )
        return cls(**kwargs)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret quantizer identifier: {identifier!r}")


__all__ = [
    "AbsMaxQuantizer",
    "Float8QuantizationConfig",
    "Int4QuantizationConfig",
    "Int8QuantizationConfig",
    "QuantizationConfig",
    "Quantizer",
    "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point",
    "compute_float8_amax_history",
    "compute_float8_scale",
    "deserialize",
    "get",
    "pack_int4",
    "quantize_and_dequantize",
    "serialize",
    "unpack_int4",
]
