"""`KerasTensor`: a symbolic tensor (shape, dtype, producing node), no data."""

from __future__ import annotations

from typing import Any

import torch

from cornu import config


class KerasTensor:
    """A placeholder for a tensor in a functional graph.

    It knows its shape (`None` for unknown sizes, such as the batch), its
    dtype and the operation that produced it (`_keras_history`). Arithmetic
    and indexing on it record `cornu.ops` operations in the graph.

    Args:
        shape: a tuple of ints or `None`s.
        dtype: a dtype name (`"float32"`).
        sparse: kept for Keras compatibility; always `False`.
        name: an optional name (inputs take it from `keras.Input`).
    """

    def __init__(
        self,
        shape: Any,
        dtype: Any = "float32",
        sparse: bool = False,
        record_history: bool = True,
        name: str | None = None,
    ) -> None:
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = config.standardize_dtype(dtype)
        self.sparse = sparse
        self.name = name
        self._keras_history: tuple[Any, int, int] | None = None
        self._keras_mask: KerasTensor | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def reshape(self, *shape: Any) -> Any:
        from cornu import ops

        return ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def squeeze(self, axis: Any = None) -> Any:
        from cornu import ops

        return ops.squeeze(self, axis=axis)

    def __repr__(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    def __iter__(self) -> Any:
        raise NotImplementedError(
            "Iterating over a symbolic KerasTensor is not supported."
        )

    def __bool__(self) -> bool:
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool.")

    def __len__(self) -> int:
        if not self.shape or self.shape[0] is None:
            raise TypeError("len() of a KerasTensor with unknown first dimension.")
        return int(self.shape[0])

    def _fake(self, batch_fill: int) -> torch.Tensor:
        shape = [batch_fill if d is None else d for d in self.shape]
        return torch.empty(
            shape, dtype=config.torch_dtype(self.dtype), device=config.device()
        )

    # Operators dispatch to cornu.ops, which records them as graph nodes.
    def _op(self, name: str, *args: Any) -> Any:
        from cornu import ops

        return getattr(ops, name)(*args)

    def __add__(self, o: Any) -> Any:
        return self._op("add", self, o)

    def __radd__(self, o: Any) -> Any:
        return self._op("add", o, self)

    def __sub__(self, o: Any) -> Any:
        return self._op("subtract", self, o)

    def __rsub__(self, o: Any) -> Any:
        return self._op("subtract", o, self)

    def __mul__(self, o: Any) -> Any:
        return self._op("multiply", self, o)

    def __rmul__(self, o: Any) -> Any:
        return self._op("multiply", o, self)

    def __truediv__(self, o: Any) -> Any:
        return self._op("true_divide", self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return self._op("true_divide", o, self)

    def __floordiv__(self, o: Any) -> Any:
        return self._op("floor_divide", self, o)

    def __rfloordiv__(self, o: Any) -> Any:
        return self._op("floor_divide", o, self)

    def __mod__(self, o: Any) -> Any:
        return self._op("mod", self, o)

    def __rmod__(self, o: Any) -> Any:
        return self._op("mod", o, self)

    def __xor__(self, o: Any) -> Any:
        return self._op("logical_xor", self, o)

    def __round__(self, ndigits: int | None = None) -> Any:
        return self._op("round", self)

    def __pow__(self, o: Any) -> Any:
        return self._op("power", self, o)

    def __rpow__(self, o: Any) -> Any:
        return self._op("power", o, self)

    def __matmul__(self, o: Any) -> Any:
        return self._op("matmul", self, o)

    def __rmatmul__(self, o: Any) -> Any:
        return self._op("matmul", o, self)

    def __neg__(self) -> Any:
        return self._op("negative", self)

    def __abs__(self) -> Any:
        return self._op("absolute", self)

    def __lt__(self, o: Any) -> Any:
        return self._op("less", self, o)

    def __le__(self, o: Any) -> Any:
        return self._op("less_equal", self, o)

    def __gt__(self, o: Any) -> Any:
        return self._op("greater", self, o)

    def __ge__(self, o: Any) -> Any:
        return self._op("greater_equal", self, o)

    def __and__(self, o: Any) -> Any:
        return self._op("logical_and", self, o)

    def __or__(self, o: Any) -> Any:
        return self._op("logical_or", self, o)

    def __invert__(self) -> Any:
        return self._op("logical_not", self)

    def __getitem__(self, key: Any) -> Any:
        from cornu.ops.core import get_item

        return get_item(self, key)

    __hash__ = object.__hash__


def is_keras_tensor(x: Any) -> bool:
    return isinstance(x, KerasTensor)


# Argument types that are never symbolic: checked by exact type first, the
# cheapest test, since every `keras.ops` call on tensors passes through here.
_PLAIN = frozenset(
    {torch.Tensor, torch.nn.Parameter, int, float, bool, str, type(None)}
)


def any_symbolic(args: Any, kwargs: Any = None) -> bool:
    """True when a KerasTensor appears in `args`/`kwargs` (nested one level)."""
    for a in args:
        if type(a) in _PLAIN:
            continue
        if isinstance(a, KerasTensor):
            return True
        if isinstance(a, (list, tuple)):
            values: Any = a
        elif isinstance(a, dict):
            values = a.values()
        else:
            continue
        for b in values:
            if isinstance(b, KerasTensor):
                return True
    if kwargs:
        return any_symbolic(tuple(kwargs.values()))
    return False
