"""`Node`: one call of an operation on symbolic tensors, an edge of the graph."""

from __future__ import annotations

from typing import Any

from cornu import tree
from cornu.core.keras_tensor import KerasTensor


class Node:
    """Records `operation(*call_args, **call_kwargs) -> outputs` on KerasTensors.

    The graph is read backwards from outputs: each KerasTensor's
    `_keras_history` is `(operation, node_index, tensor_index)`.
    """

    def __init__(
        self,
        operation: Any,
        call_args: tuple = (),
        call_kwargs: dict | None = None,
        outputs: Any = None,
    ) -> None:
        self.operation = operation
        self.call_args = call_args
        self.call_kwargs = call_kwargs or {}
        self.outputs = [t for t in tree.flatten(outputs) if isinstance(t, KerasTensor)]
        self.output_structure = outputs
        self.input_tensors = [
            t
            for t in tree.flatten((list(call_args), self.call_kwargs))
            if isinstance(t, KerasTensor)
        ]
        self.is_input = not self.input_tensors
        operation._inbound_nodes.append(self)
        index = len(operation._inbound_nodes) - 1
        for i, t in enumerate(self.outputs):
            t._keras_history = (operation, index, i)
        for t in self.input_tensors:
            if t._keras_history is not None:
                t._keras_history[0]._outbound_nodes.append(self)

    @property
    def parent_nodes(self) -> list[Node]:
        parents = []
        for t in self.input_tensors:
            if t._keras_history is not None:
                op, node_index, _ = t._keras_history
                parents.append(op._inbound_nodes[node_index])
        return parents

    def __repr__(self) -> str:
        return f"<Node operation={self.operation.name}>"
