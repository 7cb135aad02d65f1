"""`Operation`: the unit of a functional graph (layers and symbolic ops)."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

import torch

from cornu import config, tree
from cornu.core import naming
from cornu.core.keras_tensor import KerasTensor, any_symbolic
from cornu.core.node import Node

# Unknown dimensions are filled with two different sizes; an output dimension
# that differs between the two runs depends on them and is unknown too.
_FILLS = (83, 89)


@contextlib.contextmanager
def _fake_mode() -> Iterator[None]:
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode(allow_non_fake_inputs=True), torch.no_grad():
        yield


def _to_spec(a: Any, b: Any) -> Any:
    if isinstance(a, torch.Tensor):
        shape = tuple(
            da if da == db else None for da, db in zip(a.shape, b.shape, strict=True)
        )
        return KerasTensor(shape, dtype=config.standardize_dtype(a.dtype))
    return a


def compute_spec(fn: Any, args: tuple, kwargs: dict) -> Any:
    """Runs `fn` on fake tensors standing in for the KerasTensors of args.

    No memory is allocated and nothing is computed; returns KerasTensors
    (without history) shaped like the outputs.
    """
    results = []
    with _fake_mode():
        for fill in _FILLS:

            def fake(x: Any, fill: int = fill) -> Any:
                return x._fake(fill) if isinstance(x, KerasTensor) else x

            fa = tree.map_structure(fake, list(args))
            fk = tree.map_structure(fake, kwargs)
            results.append(fn(*fa, **fk))
    return tree.map_structure(_to_spec, results[0], results[1])


class Operation:
    """Something that can be called on tensors or on KerasTensors.

    Called on KerasTensors it records a `Node` and returns KerasTensors
    shaped by `compute_output_spec`; called on tensors it computes.
    """

    def __init__(self, name: str | None = None) -> None:
        self.name = name or naming.auto_name(type(self).__name__)
        self._inbound_nodes: list[Any] = []
        self._outbound_nodes: list[Any] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any_symbolic(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define `call`.")

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        return compute_spec(self.call, args, kwargs)

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        return outputs

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Operation:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


# Keras's operation class name -> the cornu function that computes it.
OPS_BY_CLASS_NAME: dict[str, Any] = {}


class FunctionOperation(Operation):
    """A `cornu.ops` function recorded in a functional graph.

    `class_name` is Keras's name for the operation (e.g. `"Mean"`); `static`
    holds the non-tensor arguments, which are its config, as in Keras.
    """

    def __init__(
        self,
        fn: Any,
        class_name: str,
        static: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name or naming.auto_name(class_name))
        self.fn = fn
        self.class_name = class_name
        self.static = static or {}

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs, **self.static)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **self.static}

    @property
    def keras_module(self) -> str:
        module = getattr(self.fn, "__module__", "") or ""
        family = (
            module.rsplit(".", 1)[-1] if module.startswith("cornu.ops") else "numpy"
        )
        return f"keras.src.ops.{family}"


def operation_from_config(class_name: str, config: dict[str, Any]) -> FunctionOperation:
    """Rebuilds a recorded op from Keras's `{class_name, config}`."""
    fn = OPS_BY_CLASS_NAME.get(class_name)
    if fn is None:
        raise ValueError(f"Unknown operation {class_name!r}.")
    static = {k: v for k, v in config.items() if k != "name"}
    return FunctionOperation(fn, class_name, static, name=config.get("name"))


def symbolic_op(fn: Any, class_name: str, args: tuple, kwargs: dict) -> Any:
    """Records the call `fn(*args, **kwargs)` as a graph node on KerasTensors.

    Arguments holding KerasTensors stay call arguments; the others become
    the operation's config (as Keras serializes ops).
    """
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return FunctionOperation(fn, class_name)(*args, **kwargs)
    call_args: list[Any] = []
    call_kwargs: dict[str, Any] = {}
    static: dict[str, Any] = {}
    params = bound.signature.parameters
    has_varargs = any(p.kind is p.VAR_POSITIONAL for p in params.values())
    positional = True
    for pname, value in bound.arguments.items():
        param = params[pname]
        if param.kind is param.VAR_POSITIONAL:
            call_args.extend(value)
            continue
        if has_varargs and param.kind is param.POSITIONAL_OR_KEYWORD:
            # Before *args a plain argument must stay positional.
            call_args.append(value)
            continue
        if param.kind is param.VAR_KEYWORD:
            static.update(value)
            continue
        if any_symbolic((value,)):
            if positional:
                call_args.append(value)
            else:
                call_kwargs[pname] = value
        else:
            positional = False
            static[pname] = value
    return FunctionOperation(fn, class_name, static)(*call_args, **call_kwargs)


__all__ = [
    "Operation",
    "FunctionOperation",
    "OPS_BY_CLASS_NAME",
    "any_symbolic",
    "operation_from_config",
    "symbolic_op",
]
