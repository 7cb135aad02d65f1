"""`Functional`: a model defined by a graph of layers and ops on KerasTensors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from cornu import tree
from cornu.core import serialization
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.core.node import Node
from cornu.core.operation import Operation
from cornu.layers.core.input_layer import Input, InputLayer
from cornu.models.model import Model


def _node_key(op: Operation, index: int) -> str:
    return f"{op.name}_ib-{index}"


def map_graph(
    inputs: list[KerasTensor], outputs: list[KerasTensor]
) -> tuple[list[Node], list[Operation]]:
    """Returns the nodes between `inputs` and `outputs` in execution order,
    and the operations they call, in first-use order.

    Raises a ValueError when an output depends on a tensor that is not one
    of the inputs (a disconnected graph).
    """
    input_ids = {id(t) for t in inputs}
    order: list[Node] = []
    seen: set[int] = set()
    visiting: set[int] = set()

    def visit(tensor: KerasTensor) -> None:
        history = tensor._keras_history
        if history is None:
            raise ValueError(
                f"Output tensor {tensor} was not produced by a layer: build "
                "models from `keras.Input` tensors and layer calls."
            )
        op, node_index, _ = history
        node = op._inbound_nodes[node_index]
        if id(node) in seen:
            return
        if id(tensor) in input_ids:
            seen.add(id(node))
            order.append(node)
            return
        if node.is_input:
            raise ValueError(
                f'Graph disconnected: cannot reach tensor {tensor} of input layer "'
                f"{op.name}\". The model's inputs are "
                f"{[t.name for t in inputs]}; pass every input the outputs "
                "depend on to `Model(inputs=...)`."
            )
        if id(node) in visiting:
            raise ValueError("The graph has a cycle.")
        visiting.add(id(node))
        for t in node.input_tensors:
            visit(t)
        visiting.discard(id(node))
        seen.add(id(node))
        order.append(node)

    for t in inputs:
        if t._keras_history is not None:
            visit(t)
    for t in outputs:
        visit(t)
    ops: list[Operation] = []
    op_ids: set[int] = set()
    for node in order:
        if id(node.operation) not in op_ids:
            op_ids.add(id(node.operation))
            ops.append(node.operation)
    names = [op.name for op in ops]
    for name in set(names):
        if names.count(name) > 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the '
                "model. All operation names should be unique."
            )
    return order, ops


def keras_operation_order(model: Any) -> list[Any]:
    """The operations of a functional model in Keras's order.

    Keras orders a graph's operations by depth (distance from the outputs,
    deepest first) and, within one depth, by the order in which a
    depth-first walk from the outputs first meets them. The weights file
    numbers same-class layers in that order, so cornu computes it the same
    way, whatever order it keeps internally.

    Args:
        model: a functional model (with `inputs` and `outputs`).

    Returns:
        The operations, inputs first.
    """
    inputs = list(model.inputs)
    outputs = list(model.outputs)
    input_ids = {id(t) for t in inputs}
    finished: set[int] = set()
    in_progress: set[int] = set()
    ordered_nodes: list[Any] = []
    first_seen: dict[int, int] = {}

    def visit(tensor: Any) -> None:
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            return
        op, node_index, _ = history
        node = op._inbound_nodes[node_index]
        if id(node) in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(id(node))
            return
        if id(node) in in_progress:
            raise ValueError(f"The graph has a cycle through operation {op.name!r}.")
        first_seen.setdefault(id(op), len(first_seen))
        in_progress.add(id(node))
        if not node.is_input:
            for t in node.input_tensors:
                visit(t)
        finished.add(id(node))
        in_progress.discard(id(node))
        ordered_nodes.append(node)

    for t in outputs:
        visit(t)

    in_graph = {id(n) for n in ordered_nodes}
    node_depth: dict[int, int] = {}
    op_depth: dict[int, int] = {}
    ops: dict[int, Any] = {}
    for node in reversed(ordered_nodes):
        op = node.operation
        depth = max(node_depth.setdefault(id(node), 0), op_depth.get(id(op), 0))
        op_depth[id(op)] = depth
        ops[id(op)] = op
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:
        history = getattr(t, "_keras_history", None)
        if history is None:
            continue
        op = history[0]
        if id(op) not in op_depth and op._inbound_nodes[history[1]].is_input:
            # An input no output depends on: Keras still lists its InputLayer.
            op_depth[id(op)] = 0
            ops[id(op)] = op
            first_seen[id(op)] = -1
    return sorted(ops.values(), key=lambda op: (-op_depth[id(op)], first_seen[id(op)]))


class _Step:
    """One node, compiled for execution: which slots feed it, which it fills."""

    __slots__ = ("op", "single", "build_args", "kwargs", "outputs", "multi")

    def __init__(self, node: Node, slot_of: dict[int, int]) -> None:
        self.op = node.operation
        args, kwargs = node.call_args, node.call_kwargs
        self.outputs = [slot_of[id(t)] for t in node.outputs]
        self.multi = not isinstance(node.output_structure, KerasTensor)
        has_tensor_kwargs = any(
            isinstance(t, KerasTensor) for t in tree.flatten(kwargs)
        )
        if (
            len(args) == 1
            and isinstance(args[0], KerasTensor)
            and not has_tensor_kwargs
        ):
            self.single: int | None = slot_of[id(args[0])]
            self.kwargs = dict(kwargs)
            self.build_args: Callable[[list[Any]], tuple[tuple, dict]] | None = None
        else:
            self.single = None
            self.kwargs = {}

            def fill(x: Any) -> Any:
                return _Slot(slot_of[id(x)]) if isinstance(x, KerasTensor) else x

            arg_tpl = tree.map_structure(fill, list(args))
            kw_tpl = tree.map_structure(fill, dict(kwargs))

            def build(slots: list[Any]) -> tuple[tuple, dict]:
                def get(x: Any) -> Any:
                    return slots[x.index] if isinstance(x, _Slot) else x

                return (
                    tuple(tree.map_structure(get, arg_tpl)),
                    tree.map_structure(get, kw_tpl),
                )

            self.build_args = build


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class Functional(Model):
    """A model whose computation is a graph of layer calls.

    Create it with `keras.Model(inputs, outputs)`; `inputs` and `outputs`
    may be single KerasTensors, lists or dicts of them.

    Example:
    >>> from cornu import layers
    >>> x = Input(shape=(4,))
    >>> model = Model(x, layers.Dense(2)(x))
    >>> model(np.ones((3, 4), "float32")).shape
    torch.Size([3, 2])
    """

    def __init__(
        self, inputs: Any, outputs: Any, name: str | None = None, **kwargs: Any
    ) -> None:
        trainable = kwargs.pop("trainable", True)
        Model.__init__(self, name=name, **kwargs)
        self._init_graph(inputs, outputs)
        if not trainable:
            self.trainable = False

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        if isinstance(inputs, dict):
            for key, t in inputs.items():
                if not isinstance(t, KerasTensor):
                    raise ValueError(
                        f"Model input {key!r} is not a KerasTensor: {t!r}."
                    )
        for t in tree.flatten(inputs) + tree.flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    "All `inputs` and `outputs` of a functional model must be "
                    f"KerasTensors (from `keras.Input` and layer calls); received {t!r}."
                )
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0] if not isinstance(inputs, list) else inputs
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        nodes, _ = map_graph(self.inputs, self.outputs)
        self._nodes = nodes
        # Keras's order (depth, then first use): `layers`, `get_weights` and
        # the weights file follow it.
        self._operations = ops = keras_operation_order(self)
        for op in ops:
            if isinstance(op, torch.nn.Module):
                self._modules[str(op.name)] = op
        slot_of: dict[int, int] = {}
        for node in nodes:
            for t in node.outputs:
                slot_of.setdefault(id(t), len(slot_of))
        for t in self.inputs:
            slot_of.setdefault(id(t), len(slot_of))
        self._n_slots = len(slot_of)
        self._input_slots = [slot_of[id(t)] for t in self.inputs]
        self._output_slots = [slot_of[id(t)] for t in self.outputs]
        input_ids = {id(t) for t in self.inputs}
        self._steps = [
            _Step(n, slot_of)
            for n in nodes
            if not n.is_input and id(n.outputs[0]) not in input_ids
        ]
        self._input_names = [t.name for t in self.inputs]
        self._input_torch_dtypes = [_torch_dtype(t.dtype) for t in self.inputs]
        self._single_output = isinstance(outputs, KerasTensor)
        self.built = True
        self._build_shapes = self._input_shape_struct()
        # The model's own node (inputs -> outputs) comes first, as in Keras,
        # so calls of this model as a layer are numbered from 1. It records
        # no history: the outputs still point at the layers that made them.
        self._inbound_nodes.insert(0, _OwnNode(self.inputs, self.outputs))

    def _input_shape_struct(self) -> Any:
        return tree.map_structure(lambda t: t.shape, self._inputs_struct)

    # -- structure ----------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return [op for op in self._operations if isinstance(op, Layer)]

    @property
    def operations(self) -> list[Operation]:
        return list(self._operations)

    @property
    def input_shape(self) -> Any:
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input(self) -> Any:
        return self._inputs_struct

    @property
    def output(self) -> Any:
        return self._outputs_struct

    # -- execution ----------------------------------------------------------
    def _flatten_inputs(self, inputs: Any) -> list[Any]:
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                keys = sorted(self._inputs_struct)
                missing = [k for k in keys if k not in inputs]
                if missing:
                    raise ValueError(
                        f'Model "{self.name}" expects inputs with keys {keys}; '
                        f"missing {missing}, received keys {sorted(inputs)}."
                    )
                return [inputs[k] for k in keys]
            try:
                return [inputs[n] for n in self._input_names]
            except KeyError:
                if len(inputs) == len(self.inputs):
                    return list(inputs.values())
                raise ValueError(
                    f'Model "{self.name}" expects inputs named '
                    f"{self._input_names}, received keys {sorted(inputs)}."
                ) from None
        if isinstance(inputs, (list, tuple)):
            flat = list(inputs)
        else:
            flat = [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}" expects {len(self.inputs)} input(s), but '
                f"it received {len(flat)} input tensors."
            )
        return flat

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        flat = self._flatten_inputs(inputs)
        slots: list[Any] = [None] * self._n_slots
        for i, (slot, x, want) in enumerate(
            zip(self._input_slots, flat, self._input_torch_dtypes)
        ):
            if want is None:  # a "string" input: text stays numpy (or lists)
                slots[slot] = x
                continue
            if not isinstance(x, torch.Tensor):
                x = _to_tensor(x)
            if x.dtype is not want and want is not None:
                x = x.to(want)
            ref = self.inputs[i].shape
            if x.dim() != len(ref):
                x = self._adjust_rank(x, ref, i)
            slots[slot] = x
        try:
            for step in self._steps:
                if step.single is not None:
                    y = step.op(slots[step.single], **step.kwargs)
                else:
                    args, kwargs = step.build_args(slots)  # type: ignore[misc]
                    y = step.op(*args, **kwargs)
                if step.multi:
                    for slot, value in zip(step.outputs, tree.flatten(y)):
                        slots[slot] = value
                else:
                    slots[step.outputs[0]] = y
        except Exception as e:
            self._check_inputs(flat, e)
            raise
        if self._single_output:
            return slots[self._output_slots[0]]
        return tree.pack_sequence_as(
            self._outputs_struct, [slots[s] for s in self._output_slots]
        )

    def _adjust_rank(self, x: torch.Tensor, ref: tuple, index: int) -> torch.Tensor:
        # As Keras does: a trailing axis of size 1 is added or dropped when
        # that is the only difference from the declared input.
        if x.dim() == len(ref) + 1 and x.shape[-1] == 1:
            return x.squeeze(-1)
        if x.dim() == len(ref) - 1 and ref[-1] == 1:
            return x.unsqueeze(-1)
        raise ValueError(
            f'Input {index} of model "{self.name}" is incompatible: expected '
            f"shape={ref}, found shape={tuple(x.shape)}."
        )

    def _check_inputs(self, flat: list[Any], error: Exception) -> None:
        for i, (x, t) in enumerate(zip(flat, self.inputs)):
            shape = tuple(x.shape)
            if len(shape) != len(t.shape) or any(
                a is not None and a != b for a, b in zip(t.shape, shape)
            ):
                raise ValueError(
                    f'Input {i} of model "{self.name}" is incompatible: '
                    f"expected shape={t.shape}, found shape={shape}."
                ) from error

    def build(self, input_shape: Any) -> None:
        self.built = True

    # -- configuration ------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        if not _functional_like(type(self)):
            return Model.get_config(self)
        own = {id(n) for n in self._nodes}
        reindex: dict[tuple[int, int], int] = {}
        for op in self._operations:
            kept = 1 if isinstance(op, Functional) else 0
            for i, node in enumerate(op._inbound_nodes):
                if id(node) in own:
                    reindex[(id(op), i)] = kept
                    kept += 1

        def tensor_ref(t: KerasTensor) -> list[Any]:
            op, index, tensor_index = t._keras_history  # type: ignore[misc]
            return [op.name, reindex[(id(op), index)], tensor_index]

        def arg_ref(t: KerasTensor) -> list[Any]:
            # Inside `inbound_nodes`, Keras numbers a nested model's calls
            # without its own first node (unlike `input_layers`/`output_layers`).
            name, index, tensor_index = tensor_ref(t)
            op = t._keras_history[0]  # type: ignore[index]
            return [
                name,
                index - (1 if isinstance(op, Functional) else 0),
                tensor_index,
            ]

        def ser_arg(x: Any) -> Any:
            if isinstance(x, KerasTensor):
                return {
                    "class_name": "__keras_tensor__",
                    "config": {
                        "shape": list(x.shape),
                        "dtype": x.dtype,
                        "keras_history": arg_ref(x),
                    },
                }
            return serialization.serialize_keras_object(x)

        layer_configs = []
        for op in self._operations:
            nodes = []
            for node in op._inbound_nodes:
                if id(node) in own and not node.is_input:
                    nodes.append(
                        {
                            "args": [_map_args(ser_arg, a) for a in node.call_args],
                            "kwargs": {
                                k: _map_args(ser_arg, v)
                                for k, v in node.call_kwargs.items()
                            },
                        }
                    )
            cfg = serialization.serialize_keras_object(op)
            cfg["name"] = op.name
            cfg["inbound_nodes"] = nodes
            layer_configs.append(cfg)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": tree.map_structure(tensor_ref, self._inputs_struct),
            "output_layers": tree.map_structure(tensor_ref, self._outputs_struct),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Functional:
        return functional_from_config(cls, config, custom_objects)


def _map_args(fn: Callable[[Any], Any], x: Any) -> Any:
    if isinstance(x, KerasTensor):
        return fn(x)
    if isinstance(x, (list, tuple)):
        return [_map_args(fn, v) for v in x]
    if isinstance(x, dict):
        return {k: _map_args(fn, v) for k, v in x.items()}
    return fn(x)


def _functional_like(cls: type) -> bool:
    import inspect

    params = list(inspect.signature(cls.__init__).parameters)  # type: ignore[misc]
    return cls in (Functional,) or params[1:3] == ["inputs", "outputs"]


def _to_tensor(x: Any) -> torch.Tensor:
    from cornu.ops.core import convert_to_tensor

    return convert_to_tensor(x if not isinstance(x, list) else np.asarray(x))


def _torch_dtype(name: str) -> torch.dtype | None:
    from cornu import config

    return None if name == "string" else config.torch_dtype(name)


def functional_from_config(
    cls: type, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Functional:
    """Rebuilds a functional model: creates each layer, then replays its calls."""
    created: dict[str, Any] = {}
    pending: list[tuple[Any, list[dict[str, Any]]]] = []
    for layer_data in config["layers"]:
        name = layer_data["name"]
        if layer_data.get("class_name") == "InputLayer":
            inner = dict(layer_data["config"])
            tensor = Input(
                batch_shape=tuple(
                    inner.get("batch_shape") or inner.get("batch_input_shape") or ()
                ),
                dtype=inner.get("dtype"),
                name=inner.get("name", name),
            )
            layer = tensor._keras_history[0]  # type: ignore[index]
        else:
            layer = serialization.deserialize_keras_object(
                {
                    k: v
                    for k, v in layer_data.items()
                    if k not in ("inbound_nodes", "build_config")
                },
                custom_objects=custom_objects,
                safe_mode=serialization.in_safe_mode(),
            )
        created[name] = layer
        pending.append((layer, list(layer_data.get("inbound_nodes", []))))

    def tensor_for(ref: list[Any]) -> KerasTensor | None:
        name, node_index, tensor_index = ref
        nodes = created[name]._inbound_nodes
        if node_index >= len(nodes):
            return None
        return nodes[node_index].outputs[tensor_index]

    def resolve(x: Any) -> Any:
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = x["config"]["keras_history"]
            if isinstance(created.get(name), Functional):
                node_index += 1  # see `arg_ref` in get_config
            t = tensor_for([name, node_index, tensor_index])
            if t is None:
                raise _NotReady
            return t
        if isinstance(x, dict) and x.get("class_name") in (
            "__tuple__",
            "__numpy__",
            "__tensor__",
            "__lambda__",
            "function",
        ):
            # Functions are call arguments of control-flow ops (`scan`, `map`).
            return serialization.deserialize_keras_object(x)
        if isinstance(x, list):
            return [resolve(v) for v in x]
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        return x

    progress = True
    while progress and any(nodes for _, nodes in pending):
        progress = False
        for layer, nodes in pending:
            while nodes:
                try:
                    args = [resolve(a) for a in nodes[0]["args"]]
                    kwargs = {k: resolve(v) for k, v in nodes[0]["kwargs"].items()}
                except _NotReady:
                    break
                layer(*args, **kwargs)
                nodes.pop(0)
                progress = True
    if any(nodes for _, nodes in pending):
        raise ValueError("Could not rebuild the functional graph: unresolved inputs.")

    def tensor_ref(ref: Any) -> Any:
        if isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str):
            return tensor_for(ref)
        if isinstance(ref, dict):
            return {k: tensor_ref(v) for k, v in ref.items()}
        return [tensor_ref(r) for r in ref]

    inputs = tensor_ref(config["input_layers"])
    outputs = tensor_ref(config["output_layers"])
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    if not config.get("trainable", True):
        model.trainable = False
    return model


class _NotReady(Exception):
    pass


class _OwnNode:
    """A functional model's first node: its inputs mapped to its outputs."""

    is_input = False

    def __init__(self, inputs: list[KerasTensor], outputs: list[KerasTensor]) -> None:
        self.input_tensors = inputs
        self.outputs = outputs
        self.call_args: tuple = ()
        self.call_kwargs: dict = {}


__all__ = ["Functional", "InputLayer", "map_graph", "functional_from_config"]
