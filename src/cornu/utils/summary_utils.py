"""`Model.summary()`: Keras's table of layers, output shapes and parameters."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any


def _format_size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes < 1024 or unit == "TB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return ""


def _count(weights: list[Any]) -> tuple[int, int]:
    params = sum(int(w.numel()) for w in weights)
    size = sum(int(w.numel()) * w.element_size() for w in weights)
    return params, size


def _output_shape(layer: Any) -> str:
    nodes = [n for n in getattr(layer, "_inbound_nodes", []) if n.outputs]
    if not nodes:
        return "?"
    shapes = [tuple(t.shape) for t in nodes[-1].outputs]
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _connections(layer: Any, own_nodes: set[int]) -> str:
    parts = []
    for node in layer._inbound_nodes:
        if id(node) not in own_nodes:
            continue
        for t in node.input_tensors:
            op, node_index, tensor_index = t._keras_history
            parts.append(f"{op.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"


def _box(widths: list[int], rows: list[list[str]], header: list[str]) -> list[str]:
    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * w for w in widths) + right

    def cells(values: list[str], bar: str, align: list[str]) -> list[str]:
        wrapped = [
            textwrap.wrap(v, w - 2, break_on_hyphens=False) or [""]
            for v, w in zip(values, widths)
        ]
        height = max(len(c) for c in wrapped)
        out = []
        for i in range(height):
            parts = []
            for col, w, a in zip(wrapped, widths, align):
                text = col[i] if i < len(col) else ""
                parts.append(
                    " " + (text.rjust(w - 2) if a == "r" else text.ljust(w - 2)) + " "
                )
            out.append(bar + bar.join(parts) + bar)
        return out

    align = ["l", "l", "r", "l"][: len(widths)]
    out = [line("┏", "━", "┳", "┓")]
    out += cells(header, "┃", ["l", "l", "r", "l"][: len(widths)])
    out.append(line("┡", "━", "╇", "┩"))
    for i, row in enumerate(rows):
        out += cells(row, "│", align)
        if i < len(rows) - 1:
            out.append(line("├", "─", "┼", "┤"))
    out.append(line("└", "─", "┴", "┘"))
    return out


def print_summary(
    model: Any,
    line_length: int | None = None,
    positions: Any = None,
    print_fn: Callable[..., Any] | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
) -> None:
    """Prints `model`'s layers as Keras does: name (type), output shape, params."""
    from cornu.models.functional import Functional
    from cornu.models.sequential import Sequential

    print_fn = print_fn or print
    graph = (
        model.__dict__.get("_functional") if isinstance(model, Sequential) else model
    )
    is_graph = isinstance(model, Functional) and not isinstance(model, Sequential)
    if isinstance(model, Sequential):
        layers = model.layers
    elif isinstance(model, Functional):
        layers = model.layers
    else:
        layers = model._sublayers()
    header = ["Layer (type)", "Output Shape", "Param #"]
    widths = [33, 24, 15]
    if is_graph:
        header.append("Connected to")
        widths = [21, 19, 12, 19]
    if show_trainable:
        header.append("Trainable")
        widths.append(11)
    if line_length:
        scale = line_length / (sum(widths) + len(widths) + 1)
        widths = [max(8, int(w * scale)) for w in widths]
    own = (
        {id(n) for n in graph._nodes}
        if graph is not None and hasattr(graph, "_nodes")
        else set()
    )
    rows = []
    for layer in layers:
        params = layer.count_params() if layer.built else 0
        row = [
            f"{layer.name} ({type(layer).__name__})",
            _output_shape(layer),
            f"{params:,}" if layer.built else "0 (unbuilt)",
        ]
        if is_graph:
            row.append(_connections(layer, own))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    print_fn(f'Model: "{model.name}"')
    for text in _box(widths, rows, header):
        print_fn(text)
    weights = model.weights
    total, total_size = _count(weights)
    train, train_size = _count(model.trainable_weights)
    frozen, frozen_size = _count(model.non_trainable_weights)
    print_fn(f" Total params: {total:,} ({_format_size(total_size)})")
    print_fn(f" Trainable params: {train:,} ({_format_size(train_size)})")
    print_fn(f" Non-trainable params: {frozen:,} ({_format_size(frozen_size)})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "variables", None):
        opt, opt_size = _count(list(optimizer.variables))
        print_fn(f" Optimizer params: {opt:,} ({_format_size(opt_size)})")
