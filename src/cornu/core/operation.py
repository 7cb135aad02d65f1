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
def _fake_mode(dynamic: bool = False) -> Iterator[None]:
    from torch._subclasses.fake_tensor import FakeTensorMode

    shape_env = None
    if dynamic:
        from torch.fx.experimental.symbolic_shapes import ShapeEnv

        # Lets data-dependent sizes (nonzero, unique, masks) be symbols.
        shape_env = ShapeEnv()
    with (
        FakeTensorMode(allow_non_fake_inputs=True, shape_env=shape_env),
        torch.no_grad(),
    ):
        yield


def _to_spec(a: Any, b: Any) -> Any:
    if isinstance(a, torch.Tensor):
        shape = tuple(
            da if isinstance(da, int) and isinstance(db, int) and da == db else None
            for da, db in zip(a.shape, b.shape, strict=True)
        )
        return KerasTensor(shape, dtype=config.standardize_dtype(a.dtype))
    return a


def _run_fake(fn: Any, args: tuple, kwargs: dict, dynamic: bool) -> list[Any]:
    results = []
    with _fake_mode(dynamic):
        for fill in _FILLS:

            def fake(x: Any, fill: int = fill) -> Any:
                return x._fake(fill) if isinstance(x, KerasTensor) else x

            fa = tree.map_structure(fake, list(args))
            fk = tree.map_structure(fake, kwargs)
            results.append(fn(*fa, **fk))
    return results


def _run_concrete(fn: Any, args: tuple, kwargs: dict) -> list[Any]:
    # Two runs on real data that differ in sizes *and* values (zeros, then
    # random), so that a size depending on the values differs between them.
    results = []
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for k, fill in enumerate(_FILLS):

            def real(x: Any, fill: int = fill, k: int = k) -> Any:
                if not isinstance(x, KerasTensor):
                    return x
                shape = [fill if d is None else d for d in x.shape]
                values = (
                    torch.rand(shape, generator=gen) * 2 if k else torch.zeros(shape)
                )
                return values.to(config.torch_dtype(x.dtype)).to(config.device())

            fa = tree.map_structure(real, list(args))
            fk = tree.map_structure(real, kwargs)
            results.append(fn(*fa, **fk))
    return results


def compute_spec(fn: Any, args: tuple, kwargs: dict) -> Any:
    """Runs `fn` on fake tensors standing in for the KerasTensors of args.

    No memory is allocated and nothing is computed; returns KerasTensors
    (without history) shaped like the outputs. Sizes that depend on the
    values (as after `nonzero` or `unique`) come out as `None`.
    """
    from torch._subclasses.fake_tensor import (
        DataDependentOutputException,
        DynamicOutputShapeException,
    )
    from torch.fx.experimental.symbolic_shapes import GuardOnDataDependentSymNode

    needs_values = (DataDependentOutputException, GuardOnDataDependentSymNode)
    try:
        results = _run_fake(fn, args, kwargs, dynamic=False)
    except DynamicOutputShapeException:
        try:
            results = _run_fake(fn, args, kwargs, dynamic=True)
        except needs_values:
            # The function branches on a data-dependent size (e.g. padding
            # `unique` to a static `size`): only real values can answer.
            results = _run_concrete(fn, args, kwargs)
    except needs_values:
        results = _run_concrete(fn, args, kwargs)
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

# Keras's operation class name -> a cornu `Operation` class with its own
# config (the control-flow operations), rebuilt with `from_config`.
OPERATION_CLASSES: dict[str, type[Operation]] = {}


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


def operation_from_config(class_name: str, config: dict[str, Any]) -> Operation:
    """Rebuilds a recorded op from Keras's `{class_name, config}`."""
    cls = OPERATION_CLASSES.get(class_name)
    if cls is not None:
        return cls.from_config(config)  # type: ignore[return-value]
    fn = OPS_BY_CLASS_NAME.get(class_name)
    if fn is None:
        raise ValueError(f"Unknown operation {class_name!r}.")
    static = {k: v for k, v in config.items() if k != "name"}
    return FunctionOperation(fn, class_name, static, name=config.get("name"))


# The parameters Keras's op classes take in `call` rather than `__init__`:
# given as plain numbers (`x > 0.5`, `ops.add(x, 1.0)`), Keras still writes
# them as node arguments, not config, and cornu's files must read the same.
_CALL_PARAMS = frozenset(
    "a abs_ angle array atol b beta bias bins choicelist condition condlist "
    "constant_values coordinates data default depthwise_kernel elements "
    "end_points fill_value gamma image1 image2 images index indices inputs "
    "kernel key mask mean offset operands output output_length output_shape "
    "pointwise_kernel pred predictions q query rtol scale segment_ids "
    "sequence_lengths sorted_sequence start start_indices start_points step "
    "stop target target_length targets transform translation updates value "
    "values variable variance weights x x1 x2 y".split()
)
# Ops that take one of those names in `__init__` instead.
_INIT_PARAMS = {
    "AllClose": {"atol", "rtol"},
    "Squareplus": {"b"},
    "Histogram": {"bins"},
    "Unique": {"fill_value"},
    "Resize": {"fill_value"},
    "AffineTransform": {"fill_value"},
    "MapCoordinates": {"fill_value"},
    "PerspectiveTransform": {"fill_value"},
    "ElasticTransform": {"fill_value"},
    "Diagonal": {"offset"},
    "Trace": {"offset"},
    "Bincount": {"weights"},
    "Trapezoid": {"x"},
}


def symbolic_op(fn: Any, class_name: str, args: tuple, kwargs: dict) -> Any:
    """Records the call `fn(*args, **kwargs)` as a graph node on KerasTensors.

    Arguments holding KerasTensors, and the tensor arguments of Keras's op
    classes even when given as numbers, stay call arguments; the others
    become the operation's config (as Keras serializes ops).
    """
    init_params = _INIT_PARAMS.get(class_name, ())
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
        if any_symbolic((value,)) or (
            pname in _CALL_PARAMS and pname not in init_params and positional
        ):
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
    "OPERATION_CLASSES",
    "OPS_BY_CLASS_NAME",
    "any_symbolic",
    "operation_from_config",
    "symbolic_op",
]
