"""Where each object's weights live in a Keras weights file.

Keras does not address weights by layer name (names change between
sessions) but by the position of each object in the model's object tree:
the root model's own variables are in `vars/`, a Sequential's or
functional model's layers in `layers/<snake_class_name>[_<n>]/vars/`, a
layer held in an attribute in `<attribute>/vars/`, the optimizer's
variables in `optimizer/vars/`, and so on. This module walks a cornu model
the way Keras walks a Keras model, so both produce (and expect) the same
paths for the same architecture.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import torch

from cornu.core import naming
from cornu.core.layer import Layer

# cornu's own bookkeeping attributes, which hold layers Keras reaches another
# way (or not at all: an InputLayer of a Sequential has no group in Keras's
# files). Keras skips the attributes of a plain Layer in the same spirit.
_INTERNAL_ATTRIBUTES = frozenset(
    {
        "_init_args",
        "_inbound_nodes",
        "_outbound_nodes",
        "_losses",
        "_regularized",
        "_build_shapes",
        "_stack",
        "_chain",
        "_functional",
        "_operations",
        "operations",
        "_nodes",
        "_steps",
        "_inputs_struct",
        "_outputs_struct",
        "inputs",
        "outputs",
        "input_spec",
        "_parameters",
        "_buffers",
        "_modules",
    }
)


@dataclasses.dataclass
class Saveable:
    """One object that owns variables in a weights file.

    Attributes:
        path: the object's group in the file, `""` for the root.
        obj: the layer or optimizer.
        kind: `"layer"` or `"optimizer"`.
    """

    path: str
    obj: Any
    kind: str

    @property
    def name(self) -> str:
        return str(getattr(self.obj, "name", ""))

    def variables(self) -> list[torch.Tensor]:
        """The object's own variables in Keras's file order."""
        if self.kind == "optimizer":
            return list(self.obj.variables)
        return list(self.obj._own_weights())

    @property
    def custom_io(self) -> bool:
        """Whether the object's class defines Keras's own save/load hooks.

        An object may turn them off for its current state by answering
        `_uses_own_variables_io = False` (a layer with LoRA off saves its
        variables as they are, checked like any other).
        """
        return (
            callable(getattr(type(self.obj), "save_own_variables", None))
            and callable(getattr(type(self.obj), "load_own_variables", None))
            and bool(getattr(self.obj, "_uses_own_variables_io", True))
        )


def is_optimizer(obj: Any) -> bool:
    """Whether `obj` is an optimizer (duck-typed, so any Keras-like one counts)."""
    return (
        not isinstance(obj, torch.nn.Module)
        and not isinstance(obj, type)
        and hasattr(type(obj), "apply_gradients")
        and hasattr(obj, "variables")
    )


def _kind(obj: Any) -> str | None:
    if isinstance(obj, Layer):
        return "layer"
    if is_optimizer(obj):
        return "optimizer"
    return None


def _is_container(obj: Any) -> bool:
    return isinstance(
        obj, (list, tuple, dict, torch.nn.ModuleList, torch.nn.ModuleDict)
    ) or (type(obj) is torch.nn.Sequential)


def _items(container: Any) -> list[Any]:
    if isinstance(container, (dict, torch.nn.ModuleDict)):
        return list(container.values())
    return list(container)


def _name_key(name: str) -> str:
    # Keras visits private attributes after public ones.
    return f"~{name}" if name.startswith("_") else name


def _model_layers(obj: Any) -> list[Any] | None:
    """The `layers` collection Keras saves first for Sequential and functional models."""
    from cornu.models.functional import Functional, keras_operation_order
    from cornu.models.sequential import Sequential

    if isinstance(obj, Sequential):
        return list(obj.layers)
    if isinstance(obj, Functional):
        return [op for op in keras_operation_order(obj) if isinstance(op, Layer)]
    return None


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    inner_optimizers = getattr(obj, "_inner_optimizers", None)
    if is_optimizer(obj) and isinstance(inner_optimizers, list):
        # A MultiOptimizer's sub-optimizers are saved once more under
        # `optimizers/`, as Keras does.
        yield "optimizers", inner_optimizers
    if not isinstance(obj, Layer):
        return
    from cornu.models.model import Model

    graph_layers = _model_layers(obj)
    if graph_layers is not None:
        yield "layers", graph_layers
    named: dict[str, Any] = {}
    if isinstance(obj, Model):
        named["layers"] = graph_layers if graph_layers is not None else obj.layers
        optimizer = obj.__dict__.get("optimizer", getattr(obj, "optimizer", None))
        if optimizer is not None:
            named["optimizer"] = optimizer
    # A Sequential or functional model also registers its layers as torch
    # submodules under their names; Keras reaches those through `layers`
    # only (and never saves a Sequential's InputLayer).
    graph_members = {
        id(m)
        for m in (*obj.__dict__.get("_stack", ()), *obj.__dict__.get("_operations", ()))
    }
    for key, module in obj._modules.items():
        if "." in key or key in _INTERNAL_ATTRIBUTES or id(module) in graph_members:
            continue
        named.setdefault(key, module)
    for key, value in vars(obj).items():
        if key in _INTERNAL_ATTRIBUTES or key in named or key.startswith("__"):
            continue
        if _kind(value) is not None or _is_container(value):
            named[key] = value
    for key in sorted(named, key=_name_key):
        yield key, named[key]


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def walk(root: Any) -> list[Saveable]:
    """Lists every object of `root`'s tree that owns variables, with its path.

    Each object appears once, at the first path Keras would give it.

    Args:
        root: a layer or model.

    Returns:
        The saveables in Keras's visiting order, `root` first.
    """
    out: list[Saveable] = []
    visited: set[int] = set()

    def visit(obj: Any, path: str) -> None:
        kind = _kind(obj)
        if kind is None or id(obj) in visited:
            return
        visited.add(id(obj))
        out.append(Saveable(path, obj, kind))
        for name, child in _children(obj):
            visit_child(child, _join(path, name), set())

    def visit_child(child: Any, path: str, seen_containers: set[int]) -> None:
        if _kind(child) is not None:
            visit(child, path)
        elif _is_container(child):
            visit_container(child, path, seen_containers)

    def visit_container(container: Any, path: str, seen: set[int]) -> None:
        if id(container) in seen:
            return
        seen.add(id(container))
        used: dict[str, int] = {}
        for item in _items(container):
            if _kind(item) is not None:
                base = naming.to_snake_case(type(item).__name__)
            elif _is_container(item):
                base = "container"
            else:
                continue
            visit_child(item, _join(path, _unique(base, used)), seen)

    visit(root, "")
    return out


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


__all__ = ["Saveable", "walk", "is_optimizer"]
