"""Dtype policies: the dtype a layer computes in and the dtype of its weights."""

from __future__ import annotations

from typing import Any

from cornu import config


class DTypePolicy:
    """A layer's dtypes: `"float32"`, or mixed (`"mixed_float16"`,
    `"mixed_bfloat16"`: compute in 16 bits, keep float32 weights)."""

    def __init__(self, name: str | None = None) -> None:
        name = name or config.floatx()
        if name.startswith("mixed_"):
            self._compute = config.standardize_dtype(name[len("mixed_") :])
            self._variable = "float32"
        else:
            self._compute = self._variable = config.standardize_dtype(name)
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._compute

    @property
    def variable_dtype(self) -> str:
        return self._variable

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self) -> int:
        return hash(self._name)


_GLOBAL: DTypePolicy | None = None


def set_dtype_policy(policy: str | DTypePolicy) -> None:
    global _GLOBAL
    _GLOBAL = get(policy)


def dtype_policy() -> DTypePolicy:
    return _GLOBAL or DTypePolicy(config.floatx())


def get(identifier: Any) -> DTypePolicy:
    """A policy from `None` (the global one), a name, a dict or a policy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        cfg = identifier.get("config", identifier)
        return DTypePolicy(cfg.get("name"))
    return DTypePolicy(
        config.standardize_dtype(identifier)
        if not str(identifier).startswith("mixed_")
        else str(identifier)
    )


def serialize(policy: DTypePolicy) -> dict[str, Any]:
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": policy.name},
        "registered_name": None,
    }
