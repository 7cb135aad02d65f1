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


def _is_graph_model(layer: Any) -> bool:
    """Whether `layer` is a `Functional` or `Sequential` model (drawn as a
    cluster with `expand_nested`); subclassed models stay one node."""
    from cornu.models.functional import Functional
    from cornu.models.sequential import Sequential

    return isinstance(layer, (Functional, Sequential))


def _edges(layers: list[Any]) -> list[tuple[Any, int, Any, int]]:
    """`(source, output_index, destination, input_index)` for every tensor
    that flows between two of `layers`, in graph order."""
    members = {id(layer) for layer in layers}
    edges: list[tuple[Any, int, Any, int]] = []
    for layer in layers:
        for node in getattr(layer, "_inbound_nodes", []):
            for input_index, t in enumerate(node.input_tensors):
                history = getattr(t, "_keras_history", None)
                if history is not None and id(history[0]) in members:
                    edge = (history[0], history[2], layer, input_index)
                    if edge not in edges:
                        edges.append(edge)
    if not edges and len(layers) > 1:  # a Sequential built without Input
        edges = [(a, 0, b, 0) for a, b in zip(layers[:-1], layers[1:])]
    return edges


def _resolve_source(layer: Any, output_index: int) -> Any:
    # A nested model has no output box: point from the inner layer that
    # produces the output, however deep.
    while _is_graph_model(layer):
        history = layer.outputs[output_index]._keras_history
        layer, output_index = history[0], history[2]
    return layer


def _resolve_destination(layer: Any, input_index: int) -> Any:
    # Into a nested Functional: its InputLayer; into a Sequential (whose
    # InputLayer is not drawn): its first layer.
    from cornu.models.sequential import Sequential

    while _is_graph_model(layer):
        if isinstance(layer, Sequential):
            layer = layer.layers[0]
        else:
            inputs = layer.inputs
            inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
            layer = inputs[min(input_index, len(inputs) - 1)]._keras_history[0]
    return layer


def _draw(
    model: Any, expand_nested: bool, ids: dict[int, str], indent: str, opts: dict
) -> list[str]:
    """The node, cluster and edge lines of `model`'s graph."""
    lines: list[str] = []
    layers = list(getattr(model, "layers", []))
    for layer in layers:
        if expand_nested and _is_graph_model(layer):
            lines.append(f"{indent}subgraph {_quote('cluster_' + layer.name)} {{")
            lines.append(
                f"{indent}  label={_quote(layer.name)}; style=dashed; labeljust=l;"
            )
            lines += _draw(layer, expand_nested, ids, indent + "  ", opts)
            lines.append(f"{indent}}}")
        else:
            ids[id(layer)] = f"n{len(ids)}"
            label = _layer_label(layer, **opts)
            lines.append(f"{indent}{ids[id(layer)]} [label={_quote(label)}];")
    drawn: list[tuple[str, str]] = []
    for source, output_index, destination, input_index in _edges(layers):
        if expand_nested:
            source = _resolve_source(source, output_index)
            destination = _resolve_destination(destination, input_index)
        pair = (ids[id(source)], ids[id(destination)])
        if pair not in drawn:
            drawn.append(pair)
            lines.append(f"{indent}{pair[0]} -> {pair[1]};")
    return lines


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
    splines: str = "ortho",
    **kwargs: Any,
) -> str:
    """Returns the Graphviz DOT text of a model's graph.

    Args:
        model: a built `Sequential` or functional `Model`.
        show_shapes: print each layer's output shape.
        show_dtype: print each layer's dtype.
        show_layer_names: print layer names as well as class names.
        rankdir: `"TB"` (vertical) or `"LR"` (horizontal).
        expand_nested: draw nested `Functional` and `Sequential` models as
            dashed clusters of their layers (labelled with the model's
            name), with edges into and out of their inner layers, as Keras
            does; otherwise each nested model is one node.
        dpi: the resolution of images made from the text.
        subgraph: return the graph as a dashed `cluster_<name>` subgraph
            rather than a `digraph`.
        show_layer_activations: print the activation of layers that have one.
        show_trainable: print whether each layer is trainable.
        splines: Graphviz's edge routing (`"ortho"`, `"line"`, `"spline"`,
            ...).

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
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    opts = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    name = getattr(model, "name", "model")
    if subgraph:
        out = [
            f"subgraph {_quote('cluster_' + name)} {{",
            f"  label={_quote(name)}; style=dashed; labeljust=l;",
        ]
    else:
        out = [
            f"digraph {_quote(name)} {{",
            f"  graph [rankdir={rankdir}, dpi={int(dpi)}, concentrate=true, "
            f"splines={_quote(str(splines))}];",
            '  node [shape=record, fontname="Helvetica"];',
        ]
    if getattr(model, "layers", None) is None or not _is_graph_model(model):
        # A subclassed model (or a lone layer) is one box, as Keras draws it.
        out.append(f"  n0 [label={_quote(_layer_label(model, **opts))}];")
    else:
        out += _draw(model, expand_nested, {}, "  ", opts)
    out.append("}")
    return "\n".join(out) + "\n"


def plot_model(
    model: Any,
    to_file: str = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> str:
    """Draws a model's graph into `to_file`.

    A `.dot` (or `.gv`) file receives the DOT text and needs nothing else.
    Other extensions (`.png`, `.svg`, `.pdf`, ...) are rendered by the Graphviz
    `dot` program, or by `pydot` when `dot` is not on the `PATH`.

    Args:
        model: a built `Sequential` or functional `Model`.
        to_file: the output path; its extension picks the format.
        show_shapes, show_dtype, rankdir, expand_nested, dpi,
            show_layer_activations, show_trainable, splines: as in
            `model_to_dot`.
        show_layer_names: print layer names as well as class names (off by
            default here, as in Keras).

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
        splines=splines,
        **kwargs,
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
