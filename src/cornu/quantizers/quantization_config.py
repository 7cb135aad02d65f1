"""Quantization configs: which quantizers a layer uses for weights and inputs.

`Int8QuantizationConfig(weight_quantizer=None, activation_quantizer=...)`
is what `layer.quantize("int8")` records (and writes in the layer's config,
as Keras does). An `activation_quantizer` of `None` gives weight-only int8:
the layer multiplies float inputs by the dequantized kernel.
`Int4QuantizationConfig(block_size=128)` is what `quantize("int4")` records:
weight-only int4, in groups of `block_size` input rows (`None` / `-1`:
per output channel). `Float8QuantizationConfig()` (no options) is what
`quantize("float8")` records.
"""

from __future__ import annotations

from typing import Any

from cornu.core.dtype_policy import QUANTIZATION_MODES
from cornu.quantizers.quantizers import AbsMaxQuantizer, Quantizer


class QuantizationConfig:
    """The base of quantization configs (a `mode` plus two quantizers).

    Args:
        weight_quantizer: the quantizer of the weights, or `None` for the
            layer's default.
        activation_quantizer: the quantizer of the inputs, or `None` for
            none.
    """

    def __init__(
        self, weight_quantizer: Any = None, activation_quantizer: Any = None
    ) -> None:
        self.weight_quantizer = get_quantizer(weight_quantizer)
        self.activation_quantizer = get_quantizer(activation_quantizer)

    @property
    def mode(self) -> str:
        raise NotImplementedError(
            "Subclasses must implement this property. Do not instantiate "
            "QuantizationConfig directly."
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "weight_quantizer": serialize(self.weight_quantizer),
            "activation_quantizer": serialize(self.activation_quantizer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> QuantizationConfig:
        return cls(
            weight_quantizer=config.get("weight_quantizer"),
            activation_quantizer=config.get("activation_quantizer"),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


class Int8QuantizationConfig(QuantizationConfig):
    """The int8 config; by default the inputs are quantized per row.

    Args:
        weight_quantizer: an `AbsMaxQuantizer` with `output_dtype="int8"`,
            or `None` for the layer's default (per output channel).
        activation_quantizer: the inputs' quantizer: `"default"` (an
            `AbsMaxQuantizer()`), or `None` for weight-only quantization.

    Example:
    >>> Int8QuantizationConfig(activation_quantizer=None).mode
    'int8'
    """

    def __init__(
        self, weight_quantizer: Any = None, activation_quantizer: Any = "default"
    ) -> None:
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if (
            self.weight_quantizer is not None
            and self.weight_quantizer.output_dtype != "int8"
        ):
            raise ValueError(
                "Int8QuantizationConfig requires a weight_quantizer with "
                "output_dtype='int8'. Received: "
                f"output_dtype={self.weight_quantizer.output_dtype}"
            )

    @property
    def mode(self) -> str:
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """The int4 config: weight-only by default, in groups of `block_size` rows.

    Args:
        weight_quantizer: an `AbsMaxQuantizer` with `value_range=(-8, 7)`
            and `output_dtype="int8"` (per-channel only), or `None`.
        activation_quantizer: the inputs' quantizer (per-channel only);
            `"default"` means none: int4 is weight-only.
        block_size: the rows per group of sub-channel quantization (a step
            and a zero point per group and output); `None` or `-1` for
            per-channel quantization (one scale per output).

    Example:
    >>> Int4QuantizationConfig().get_config()
    {'weight_quantizer': None, 'activation_quantizer': None, 'block_size': 128}
    """

    def __init__(
        self,
        weight_quantizer: Any = None,
        activation_quantizer: Any = "default",
        block_size: int | None = 128,
    ) -> None:
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(
                "block_size must be None, -1, or a positive integer. "
                f"Received: block_size={block_size}"
            )
        self.block_size = block_size
        custom = (
            self.weight_quantizer is not None or self.activation_quantizer is not None
        )
        if block_size is not None and block_size > 0 and custom:
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not "
                "support custom quantizers. Either set block_size to None "
                "or -1 for per-channel quantization, or remove the custom "
                f"quantizer arguments. Received: block_size={block_size}"
            )
        if self.weight_quantizer is not None:
            if tuple(self.weight_quantizer.value_range) != (-8, 7):
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer "
                    "with value_range=(-8, 7). Received: "
                    f"value_range={self.weight_quantizer.value_range}"
                )
            if self.weight_quantizer.output_dtype != "int8":
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer "
                    "with output_dtype='int8'. Received: "
                    f"output_dtype={self.weight_quantizer.output_dtype}"
                )

    @property
    def mode(self) -> str:
        return "int4"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Int4QuantizationConfig:
        # Files written before `block_size` existed were per-channel.
        return cls(
            weight_quantizer=config.get("weight_quantizer"),
            activation_quantizer=config.get("activation_quantizer"),
            block_size=config.get("block_size"),
        )


class Float8QuantizationConfig(QuantizationConfig):
    """The float8 config: float8 training with delayed scaling (no quantizers).

    Example:
    >>> Float8QuantizationConfig().mode, Float8QuantizationConfig().get_config()
    ('float8', {})
    """

    def __init__(self) -> None:
        super().__init__(None, None)

    @property
    def mode(self) -> str:
        return "float8"

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Float8QuantizationConfig:
        return cls()


_QUANTIZERS: dict[str, Any] = {
    "Quantizer": Quantizer,
    "AbsMaxQuantizer": AbsMaxQuantizer,
}
_CONFIGS: dict[str, Any] = {
    "QuantizationConfig": QuantizationConfig,
    "Int8QuantizationConfig": Int8QuantizationConfig,
    "Int4QuantizationConfig": Int4QuantizationConfig,
    "Float8QuantizationConfig": Float8QuantizationConfig,
}


def serialize(obj: Any) -> dict[str, Any] | None:
    """A quantizer or config in Keras's config form (`None` stays `None`)."""
    if obj is None:
        return None
    config = obj.get_config()
    if "value_range" in config:
        config = {**config, "value_range": list(config["value_range"])}
    if "axis" in config:
        config = {**config, "axis": list(config["axis"])}
    return {
        "module": "keras.quantizers",
        "class_name": type(obj).__name__,
        "config": config,
        "registered_name": None,
    }


def _from_dict(identifier: dict[str, Any], table: dict[str, Any], what: str) -> Any:
    class_name = identifier.get("class_name")
    cls = table.get(str(class_name))
    if cls is None:
        raise ValueError(
            f"Expected a {what} config with `class_name` one of {sorted(table)}, "
            f"received class_name={class_name!r}."
        )
    config = dict(identifier.get("config") or {})
    if "value_range" in config:
        config["value_range"] = tuple(config["value_range"])
    return cls.from_config(config)


def get_quantizer(identifier: Any) -> Any:
    """A quantizer from `None`, a quantizer or its serialized dict."""
    if identifier is None or isinstance(identifier, Quantizer):
        return identifier
    if isinstance(identifier, dict):
        return _from_dict(identifier, _QUANTIZERS, "quantizer")
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret quantizer identifier: {identifier!r}")


def get_config(identifier: Any) -> QuantizationConfig | None:
    """A quantization config from `None`, a config or its serialized dict."""
    if identifier is None or isinstance(identifier, QuantizationConfig):
        return identifier
    if isinstance(identifier, dict):
        return _from_dict(identifier, _CONFIGS, "quantization")
    raise ValueError(
        "Argument `config` must be an instance of `QuantizationConfig`. "
        f"Received: config={identifier!r} (of type {type(identifier).__name__})"
    )


def resolve(mode: str | None, config: Any) -> QuantizationConfig:
    """The config `quantize(mode, config)` uses, checked as Keras checks it."""
    if isinstance(config, str):
        mode, config = config, None
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
            f"Received: mode={mode}"
        )
    if config is None:
        if mode is None:
            raise ValueError(
                "You must provide either `mode` or `config` to `quantize`."
            )
        if mode == "int8":
            return Int8QuantizationConfig()
        if mode == "int4":
            return Int4QuantizationConfig()
        if mode == "float8":
            return Float8QuantizationConfig()
        if mode in ("gptq", "awq"):
            name = "GPTQConfig" if mode == "gptq" else "AWQConfig"
            raise ValueError(
                f"For {mode.upper()}, you must pass a `{name}` object in the "
                "`config` argument."
            )
        raise NotImplementedError(
            f"Quantization mode {mode!r} is not supported by cornu yet; "
            "supported: ('int8', 'int4')."
        )
    resolved = get_config(config)
    assert resolved is not None
    if not isinstance(resolved, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig`. "
            f"Received: config={resolved!r} (of type {type(resolved).__name__})"
        )
    if mode is not None and resolved.mode != mode:
        raise ValueError(
            f"Contradictory arguments: mode='{mode}' but config.mode='{resolved.mode}'"
        )
    return resolved


__all__ = [
    "Float8QuantizationConfig",
    "Int4QuantizationConfig",
    "Int8QuantizationConfig",
    "QuantizationConfig",
    "get_config",
    "get_quantizer",
    "resolve",
    "serialize",
]
