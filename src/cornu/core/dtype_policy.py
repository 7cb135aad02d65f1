"""Dtype policies: the dtype a layer computes in and the dtype of its weights.

`DTypePolicy` covers float and mixed policies; `QuantizedDTypePolicy`
(`"int8_from_float32"`) marks a layer whose main weight is quantized, with
the compute and variable dtypes of its source policy; `DTypePolicyMap` maps
layer paths to policies. Names and config dicts follow Keras.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping
from typing import Any

from cornu import config

# Every mode Keras knows (named in errors); cornu implements `SUPPORTED_MODES`.
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
SUPPORTED_MODES = ("int8", "int4", "float8")


class DTypePolicy:
    """A layer's dtypes: `"float32"`, or mixed (`"mixed_float16"`,
    `"mixed_bfloat16"`: compute in 16 bits, keep float32 weights)."""

    def __init__(self, name: str | None = None) -> None:
        name = name or dtype_policy().name
        self._compute, self._variable = _parse_name(name)
        self._name = name
        self._quantization_mode: str | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._compute

    @property
    def variable_dtype(self) -> str:
        return self._variable

    @property
    def quantization_mode(self) -> str | None:
        """The quantization mode (`"int8"`, ...), or `None` for a float policy."""
        return self._quantization_mode

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __repr__(self) -> str:
        return f'<{type(self).__name__} "{self._name}">'

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._name == self._name  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._name))


def _parse_name(name: Any) -> tuple[str, str]:
    """`(compute_dtype, variable_dtype)` of a float or mixed policy name."""
    if not isinstance(name, str):
        raise TypeError(
            "A dtype policy name must be a string such as 'mixed_float16', "
            f"received: {name!r} of type {type(name).__name__}."
        )
    if name.startswith("mixed_"):
        return config.standardize_dtype(name[len("mixed_") :]), "float32"
    dtype = config.standardize_dtype(name)
    return dtype, dtype


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer: `"<mode>_from_<source policy>"`.

    Args:
        mode: the quantization mode, `"int8"`.
        source_name: the float policy the layer had before quantization
            (default: the global policy); it gives the compute and variable
            dtypes.

    Example:
    >>> policy = QuantizedDTypePolicy("int8", "mixed_bfloat16")
    >>> policy.name, policy.compute_dtype, policy.quantization_mode
    ('int8_from_mixed_bfloat16', 'bfloat16', 'int8')
    """

    def __init__(self, mode: str, source_name: str | None = None) -> None:
        if source_name is None:
            source_name = dtype_policy().name
        if mode not in QUANTIZATION_MODES:
            raise ValueError(
                f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                f"Received: mode={mode}"
            )
        self._compute, self._variable = _parse_name(source_name)
        if mode == "int8" and self._compute == "float16":
            raise ValueError(
                f"Quantization mode='{mode}' doesn't work well with "
                "compute_dtype='float16'."
            )
        if mode not in SUPPORTED_MODES:
            raise NotImplementedError(
                f"Quantization mode {mode!r} is not supported by cornu yet; "
                f"supported: {SUPPORTED_MODES}."
            )
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    @property
    def source_name(self) -> str:
        return self._source_name

    def get_config(self) -> dict[str, Any]:
        return {"mode": self._quantization_mode, "source_name": self._source_name}


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Maps layer paths (or regular expressions over them) to policies.

    Looking up a path returns its exact entry, else the one entry whose key
    fully matches it as a regular expression, else `default_policy`.

    Args:
        default_policy: the policy of paths with no entry (default: the
            global policy).
        policy_map: an initial dict of path to policy.

    Example:
    >>> policy_map = DTypePolicyMap(default_policy="float32")
    >>> policy_map["encoder/.*"] = "bfloat16"
    >>> policy_map["encoder/dense"].name, policy_map["decoder"].name
    ('bfloat16', 'float32')
    """

    def __init__(
        self, default_policy: Any = None, policy_map: dict[str, Any] | None = None
    ) -> None:
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(
                "If specified, `policy_map` must be a dict. Received: "
                f"policy_map={policy_map!r} of type {type(policy_map).__name__}"
            )
        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy)
        self._policy_map: dict[str, DTypePolicy] = {
            k: get(v) for k, v in (policy_map or {}).items()
        }

    @property
    def default_policy(self) -> DTypePolicy:
        return self._default_policy

    @property
    def name(self) -> str:
        return f"map_{self._default_policy.name}"

    @property
    def compute_dtype(self) -> str:
        return self._default_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._default_policy.variable_dtype

    @property
    def quantization_mode(self) -> str | None:
        return self._default_policy.quantization_mode

    def __getitem__(self, key: str) -> DTypePolicy:
        if key in self._policy_map:
            return self._policy_map[key]
        matches = [p for p in self._policy_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple dtype policy specification "
                f"keys: {matches}. Please make sure each path only matches at "
                "most one dtype policy specification key in the DTypePolicyMap."
            )
        return self._policy_map[matches[0]] if matches else self._default_policy

    def __setitem__(self, key: str, policy: Any) -> None:
        if key in self._policy_map:
            raise ValueError(
                f"{key} already exist in the DTypePolicyMap with value "
                f"{self._policy_map[key]}. Please make sure to not use "
                "duplicated keys."
            )
        try:
            value = get(policy)
        except Exception:
            raise ValueError(
                "Cannot interpret the assigned value by "
                f"`keras.dtype_policies.get`. Received: {policy!r} of type "
                f"{type(policy).__name__}"
            ) from None
        self._policy_map[key] = value

    def __delitem__(self, key: str) -> None:
        del self._policy_map[key]

    def __contains__(self, key: object) -> bool:
        return key in self._policy_map

    def __iter__(self) -> Iterator[str]:
        return iter(self._policy_map)

    def __len__(self) -> int:
        return len(self._policy_map)

    def get_config(self) -> dict[str, Any]:
        # Without an explicit default, the entries are written without their
        # source dtype, as Keras does: they take the loader's global policy.
        anonymous = self._default_policy_arg is None
        return {
            "default_policy": self._default_policy_arg,
            "policy_map": {
                k: serialize(v, anonymous=anonymous)
                for k, v in self._policy_map.items()
            },
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicyMap:
        config = dict(config)
        config["policy_map"] = {
            k: get(v) for k, v in (config.get("policy_map") or {}).items()
        }
        return cls(**config)

    def __repr__(self) -> str:
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return (
            f"<DTypePolicyMap default_policy={self._default_policy.name}, "
            f"mapping={mapping}>"
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DTypePolicyMap)
            and other._default_policy == self._default_policy
            and other._policy_map == self._policy_map
        )

    def __hash__(self) -> int:
        return id(self)


class Int4DTypePolicy(QuantizedDTypePolicy):
    """The policy of an int4-quantized layer: `"int4/<block_size>_from_<source>"`.

    Args:
        mode: `"int4/<block_size>"`: `-1` for per-channel quantization, a
            positive integer for sub-channel quantization in groups of that
            many input rows.
        source_name: the float policy the layer had before quantization
            (default: the global policy).

    Example:
    >>> policy = Int4DTypePolicy("int4/64", "mixed_bfloat16")
    >>> policy.name, policy.block_size, policy.compute_dtype
    ('int4/64_from_mixed_bfloat16', 64, 'bfloat16')
    >>> policy.get_config()
    {'mode': 'int4/64', 'source_name': 'mixed_bfloat16'}
    """

    def __init__(self, mode: str, source_name: str | None = None) -> None:
        expected = "'int4/<block_size>'"
        parts = mode.split("/") if isinstance(mode, str) else []
        if len(parts) != 2 or parts[0] != "int4":
            raise ValueError(
                "Invalid mode for Int4DTypePolicy. Expected format "
                f"{expected}, but got '{mode}'."
            )
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError(
                "Invalid mode for Int4DTypePolicy. <block_size> must be an "
                f"integer. Expected format {expected}, but got '{mode}'."
            ) from None
        if block_size < -1 or block_size == 0:
            raise ValueError(
                "Invalid block_size in mode. Supported values are "
                "-1 (per-channel) or a positive integer (sub-channel), "
                f"but got {block_size} from '{mode}'."
            )
        super().__init__("int4", source_name)
        # Keras names the policy after the source name as given (None too).
        self._name = f"{mode}_from_{source_name}"
        self.mode = "int4"
        self.block_size = block_size

    def get_config(self) -> dict[str, Any]:
        return {"mode": f"int4/{self.block_size}", "source_name": self._source_name}


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """The policy of a layer quantized with `quantize("float8")`.

    Args:
        mode: `"float8"`.
        source_name: the float policy the layer had before quantization.
        amax_history_length: the length of the amax history windows of
            delayed scaling (1024).

    Example:
    >>> QuantizedFloat8DTypePolicy("float8", "float32").get_config()
    {'mode': 'float8', 'source_name': 'float32', 'amax_history_length': 1024}
    """

    default_amax_history_length = 1024

    def __init__(
        self, mode: str, source_name: str | None = None, amax_history_length: int = 1024
    ) -> None:
        super().__init__(mode, source_name)
        if not isinstance(amax_history_length, int):
            raise TypeError(
                "`amax_history_length` must be an integer. "
                f"Received: amax_history_length={amax_history_length}"
            )
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self) -> int:
        """The length of the amax history windows."""
        return self._amax_history_length

    def __eq__(self, other: object) -> bool:
        return (
            super().__eq__(other)
            and other.amax_history_length == self._amax_history_length  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._name, self._amax_history_length))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "amax_history_length": self._amax_history_length,
        }


_GLOBAL: DTypePolicy | None = None

# Keras's `module` field for each class in its config dicts.
_MODULES = {
    "DTypePolicy": "keras",
    "FloatDTypePolicy": "keras",
    "QuantizedDTypePolicy": "keras.dtype_policies",
    "Int4DTypePolicy": "keras.dtype_policies",
    "QuantizedFloat8DTypePolicy": "keras.dtype_policies",
    "DTypePolicyMap": "keras.dtype_policies",
}
_CLASSES: dict[str, type[DTypePolicy]] = {
    "DTypePolicy": DTypePolicy,
    "FloatDTypePolicy": DTypePolicy,
    "QuantizedDTypePolicy": QuantizedDTypePolicy,
    "Int4DTypePolicy": Int4DTypePolicy,
    "QuantizedFloat8DTypePolicy": QuantizedFloat8DTypePolicy,
    "DTypePolicyMap": DTypePolicyMap,
}


def set_dtype_policy(policy: str | DTypePolicy) -> None:
    global _GLOBAL
    _GLOBAL = get(policy)


def dtype_policy() -> DTypePolicy:
    if _GLOBAL is not None:
        return _GLOBAL
    policy = DTypePolicy.__new__(DTypePolicy)
    policy._compute = policy._variable = policy._name = config.floatx()
    policy._quantization_mode = None
    return policy


def _from_string(name: str) -> DTypePolicy:
    if name.startswith(QUANTIZATION_MODES):
        parts = name.split("_from_")
        if len(parts) != 2:
            raise ValueError(
                "Cannot convert `policy` into a valid pair (`mode`, "
                "`source_name`) to instantiate `QuantizedDTypePolicy`. "
                f"Received: policy={name}"
            )
        if parts[0].startswith("int4/"):  # sub-channel int4: "int4/128_from_..."
            return Int4DTypePolicy(parts[0], parts[1])
        if parts[0] == "float8":
            return QuantizedFloat8DTypePolicy(parts[0], parts[1])
        return QuantizedDTypePolicy(parts[0], parts[1])
    if name.startswith("mixed_"):
        return DTypePolicy(name)
    return DTypePolicy(config.standardize_dtype(name))


def get(identifier: Any) -> DTypePolicy:
    """A policy from `None` (the global one), a name, a dict or a policy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            return DTypePolicy(identifier.get("config", identifier).get("name"))
        class_name = identifier["class_name"]
        cls = _CLASSES.get(class_name)
        if cls is None:
            raise ValueError(
                "Expected a dtype policy config with `class_name` one of "
                f"{sorted(_CLASSES)}, received class_name={class_name!r}."
            )
        return cls.from_config(identifier.get("config") or {})
    if isinstance(identifier, str):
        return _from_string(identifier)
    return DTypePolicy(config.standardize_dtype(identifier))


def serialize(policy: DTypePolicy, anonymous: bool = False) -> dict[str, Any]:
    """`policy` as Keras writes it (`module`, `class_name`, `config`, ...)."""
    class_name = type(policy).__name__
    cfg = policy.get_config()
    if anonymous:
        cfg = {**cfg, "source_name": None} if "source_name" in cfg else {"name": None}
    return {
        "module": _MODULES.get(class_name, "keras.dtype_policies"),
        "class_name": class_name,
        "config": cfg,
        "registered_name": None,
    }
