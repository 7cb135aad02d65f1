"""`model_to_dot` and `plot_model`: draw a model's graph with Graphviz.

The DOT text is written by cornu itself; turning it into an image needs the
Graphviz `dot` program (Debian/Ubuntu: `apt-get install graphviz`) or
`pydot` with Graphviz.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n") + '"'


def _shape_text(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], tuple):
        return ", ".join(str(v) for v in value)
    return str(tuple(value)) if isinstance(value, (list, tuple)) else str(value)


def _layer_label(
    layer: Any,
    show_shapes: bool,
    show_dtype: bool,
    show_layer_names: bool,
    show_layer_activations: bool,
    show_trainable: bool,
) -> str:
    cls = type(layer).__name__
    title = f"{layer.name} ({cls})" if show_layer_names else cls
    lines = [title]
    if show_layer_activations and hasattr(layer, "activation"):
        act = getattr(layer.activation, "__name__", str(layer.activation))
        lines.append(f"Activation: {act}")
    if show_shapes:
        lines.append(f"Output shape: {_shape_text(_output_shape(layer))}")
    if show_dtype:
        lines.append(f"Output dtype: {getattr(layer, 'dtype', '?')}")
    if show_trainable:
        lines.append(f"Trainable: {'T' if getattr(layer, 'trainable', True) else 'F'}")
    return "\n".join(lines)


def _output_shape(layer: Any) -> Any:
    try:
        return layer.output_shape
    except Exception:
        nodes = getattr(layer, "_inbound_nodes", [])
        if nodes and nodes[0].outputs:
            return nodes[0].outputs[0].shape
        return None


def _edges(model: Any, layers: list[Any]) -> list[tuple[Any, Any]]:
    members = {id(layer) for layer in layers}
    edges: list[tuple[Any, Any]] = []
    for layer in layers:
        for node in getattr(layer, "_inbound_nodes", []):
            for t in node.input_tensors:
                history = getattr(t, "_keras_history", None)
                if history is not None and id(history[0]) in members:
                    pair = (history[0], layer)
                    if pair not in edges:
                        edges.append(pair)
    if not edges and len(layers) > 1:  # a Sequential built without Input
        edges = list(zip(layers[:-1], layers[1:]))
    return edges


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    **kwargs: Any,
) -> str:
    """Returns the Graphviz DOT text of a model's graph.

    Args:
        model: a built `Sequential` or functional `Model`.
        show_shapes: print each layer's output shape.
        show_dtype: print each layer's dtype.
        show_layer_names: print layer names as well as class names.
        rankdir: `"TB"` (vertical) or `"LR"` (horizontal).
        expand_nested: accepted for Keras compatibility; nested models are
            drawn as one node.
        dpi: the resolution of images made from the text.
        subgraph: accepted for Keras compatibility.
        show_layer_activations: print the activation of layers that have one.
        show_trainable: print whether each layer is trainable.

    Returns:
        The DOT text (a `str`).

    Example:

    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> "digraph" in model_to_dot(model)
    True
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f'`rankdir` must be "TB" or "LR", received {rankdir!r}.')
    layers = list(getattr(model, "layers", []))
    ids = {id(layer): f"n{i}" for i, layer in enumerate(layers)}
    out = [
        f"digraph {_quote(getattr(model, 'name', 'model'))} {{",
        f"  graph [rankdir={rankdir}, dpi={int(dpi)}, concentrate=true];",
        '  node [shape=record, fontname="Helvetica"];',
    ]
    for layer in layers:
        label = _layer_label(
            layer,
            show_shapes,
            show_dtype,
            show_layer_names,
            show_layer_activations,
            show_trainable,
        )
        out.append(f"  {ids[id(layer)]} [label={_quote(label)}];")
    for src, dst in _edges(model, layers):
        out.append(f"  {ids[id(src)]} -> {ids[id(dst)]};")
    out.append("}")
    return "\n".join(out) + "\n"


def plot_model(
    model: Any,
    to_file: str = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    **kwargs: Any,
) -> str:
    """Draws a model's graph into `to_file`.

    A `.dot` (or `.gv`) file receives the DOT text and needs nothing else.
    Other extensions (`.png`, `.svg`, `.pdf`, ...) are rendered by the Graphviz
    `dot` program, or by `pydot` when `dot` is not on the `PATH`.

    Args:
        model: a built `Sequential` or functional `Model`.
        to_file: the output path; its extension picks the format.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
            dpi, show_layer_activations, show_trainable: as in
            `model_to_dot`.

    Returns:
        The path written.

    Example:

    >>> import cornu as keras, tempfile, os, pathlib
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = plot_model(model, os.path.join(tempfile.mkdtemp(), "m.dot"))
    >>> pathlib.Path(path).read_text().startswith("digraph")
    True
    """
    text = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    extension = os.path.splitext(to_file)[1].lower().lstrip(".") or "png"
    if extension in ("dot", "gv"):
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(text)
        return to_file
    dot = shutil.which("dot")
    if dot is not None:
        subprocess.run(
            [dot, f"-T{extension}", "-o", to_file],
            input=text.encode("utf-8"),
            check=True,
            capture_output=True,
        )
        return to_file
    try:
        import pydot
    except ImportError:
        pydot = None
    if pydot is not None:
        graphs = pydot.graph_from_dot_data(text)
        try:
            graphs[0].write(to_file, format=extension)
            return to_file
        except (OSError, FileNotFoundError) as e:
            raise ImportError(_MISSING) from e
    raise ImportError(_MISSING)


_MISSING = (
    "plot_model needs Graphviz to render images: install the `dot` program "
    "(Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`) "
    "and optionally `pip install pydot`. A `.dot` file needs neither: "
    'use to_file="model.dot".'
)
