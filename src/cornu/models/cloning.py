"""`clone_model`: a new model with the same structure and fresh weights."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from cornu import tree
from cornu.core import serialization
from cornu.core.keras_tensor import KerasTensor
from cornu.layers.core.input_layer import Input, InputLayer
from cornu.models.functional import Functional
from cornu.models.sequential import Sequential

LayerFn = Callable[[Any], Any]


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: LayerFn | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """Returns a copy of `model` built from new layers, hence new weights.

    Each layer is rebuilt from its config (`clone_function`), then called on
    the new inputs as the original was, so the clone computes the same
    function with freshly initialized variables. Variables shared between
    layers are not shared in the clone. A compiled model's clone is compiled
    with the same configuration. A subclassed model is cloned as
    `from_config(get_config())`.

    Args:
        model: a Sequential, functional or subclassed model.
        input_tensors: KerasTensors to build the clone on, in the structure
            of `model.input` (one tensor for a Sequential). Default: new
            `Input`s like the original ones.
        clone_function: `fn(layer) -> layer`, called once per layer (not on
            input layers) to make its copy. Default: rebuild the layer from
            its config. Returning `layer` itself shares it with the clone.
        call_function: `fn(layer, *args, **kwargs) -> outputs`, used instead
            of `layer(*args, **kwargs)` to call each cloned layer (functional
            models only), e.g. to insert layers after some of them.
        recursive: whether models nested in `model` are cloned with
            `clone_model` (and the same functions) instead of with
            `clone_function`.
        **kwargs: nothing else is accepted.

    Returns:
        The new model.

    Example:
    >>> from cornu import layers, models
    >>> model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    >>> clone = clone_model(model)
    >>> [layer.name for layer in clone.layers] == [l.name for l in model.layers]
    True
    >>> clone.layers[0].kernel is model.layers[0].kernel
    False
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(
            f"clone_model() got unexpected keyword argument(s): {tuple(kwargs)}."
        )
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` is not supported with Sequential models: "
                "their layers are listed, not called, when the model is made. "
                "Use `call_function` with functional models only. Received a "
                f"model of type '{type(model).__name__}' with "
                f"call_function={call_function}."
            )
        wrapped = _wrap_clone_function(clone_function, None, recursive, cache)
        return _clone_sequential_model(model, wrapped, input_tensors)
    if isinstance(model, Functional):
        wrapped = _wrap_clone_function(clone_function, call_function, recursive, cache)
        own_config = type(model).get_config is Functional.get_config
        if own_config or clone_function is not None or input_tensors is not None:
            return _clone_functional_model(model, wrapped, input_tensors, call_function)
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported "
            "for Sequential and functional models. Received a model of type "
            f"'{type(model).__name__}' with clone_function={clone_function} and "
            f"input_tensors={input_tensors}."
        )
    if call_function is not None:
        raise ValueError(
            "Argument `call_function` is only supported for functional models. "
            f"Received a model of type '{type(model).__name__}' with "
            f"call_function={call_function}."
        )
    config = serialization.serialize_keras_object(model)
    return serialization.deserialize_keras_object(
        config, custom_objects={type(model).__name__: type(model)}
    )


def _default_clone(layer: Any) -> Any:
    return type(layer).from_config(layer.get_config())


def _wrap_clone_function(
    clone_function: LayerFn | None,
    call_function: Callable[..., Any] | None,
    recursive: bool,
    cache: dict[int, Any] | None,
) -> LayerFn:
    """`clone_function` made to clone each layer once (shared layers stay
    shared) and, when `recursive`, to clone nested models with `clone_model`."""
    base = clone_function or _default_clone
    memo: dict[int, Any] = {} if cache is None else cache

    def wrapped(layer: Any) -> Any:
        key = id(layer)
        if key in memo:
            return memo[key]
        if recursive and isinstance(layer, Sequential):
            clone = clone_model(layer, clone_function=base, recursive=True, cache=memo)
        elif recursive and isinstance(layer, Functional):
            clone = clone_model(
                layer,
                clone_function=base,
                call_function=call_function,
                recursive=True,
                cache=memo,
            )
        else:
            clone = base(layer)
        memo[key] = clone
        return clone

    return wrapped


def _copy_compile(model: Any, clone: Any) -> Any:
    if getattr(model, "compiled", False):
        compile_config = model.get_compile_config()
        if compile_config is not None:
            clone.compile_from_config(compile_config)
    return clone


def _clone_sequential_model(
    model: Sequential, clone_function: LayerFn, input_tensors: Any
) -> Sequential:
    new_layers = [clone_function(layer) for layer in model.layers]
    first = model._stack[0] if model._stack else None
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError(
                    "Argument `input_tensors` of a Sequential model's clone must "
                    f"hold a single tensor; received {len(input_tensors)}."
                )
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(
                "Argument `input_tensors` must be a KerasTensor. Received "
                f"invalid value: input_tensors={input_tensors!r}."
            )
        name = first.name if isinstance(first, InputLayer) else None
        optional = first.optional if isinstance(first, InputLayer) else False
        new_input = Input(tensor=input_tensors, name=name, optional=optional)
        new_layers = [new_input, *new_layers]
    elif isinstance(first, InputLayer):
        new_input = Input(
            batch_shape=first.batch_shape,
            dtype=first.dtype,
            name=first.name,
            optional=first.optional,
        )
        new_layers = [new_input, *new_layers]
    clone = Sequential(new_layers, name=model.name, trainable=model.trainable)
    if not clone.built and model.built and not isinstance(first, InputLayer):
        # Built from data or `build()`: build the clone on the same shape.
        clone.build(tuple(model._build_shapes))
    return _copy_compile(model, clone)


def _clone_functional_model(
    model: Functional,
    clone_function: LayerFn,
    input_tensors: Any,
    call_function: Callable[..., Any] | None,
) -> Functional:
    if input_tensors is not None:
        flat = tree.flatten(input_tensors)
        if not all(isinstance(x, KerasTensor) for x in flat):
            raise ValueError(
                "All entries in `input_tensors` must be KerasTensors. Received "
                f"invalid values: input_tensors={input_tensors!r}."
            )
        if not _same_structure(input_tensors, model.input):
            raise ValueError(
                "`input_tensors` must have the same structure as model.input.\n"
                f"Reference structure: {model.input}\n"
                f"Received structure: {input_tensors}"
            )
    else:
        input_tensors = tree.map_structure(
            lambda x: Input(batch_shape=x.shape, dtype=x.dtype, name=x.name),
            model.input,
        )
    new_outputs = _run_graph(model, input_tensors, clone_function, call_function)
    cls = type(model) if _functional_like_constructor(type(model)) else Functional
    clone = cls(input_tensors, new_outputs, name=model.name)
    if not model.trainable:
        clone.trainable = False
    return _copy_compile(model, clone)


def _run_graph(
    model: Functional,
    inputs: Any,
    clone_function: LayerFn,
    call_function: Callable[..., Any] | None,
) -> Any:
    """Replays `model`'s graph on `inputs` with cloned operations."""
    computed: dict[int, Any] = {
        id(old): new for old, new in zip(model.inputs, tree.flatten(inputs))
    }

    def substitute(x: Any) -> Any:
        return computed[id(x)] if isinstance(x, KerasTensor) else x

    for node in model._nodes:
        if node.is_input or any(id(t) in computed for t in node.outputs):
            continue
        if any(id(t) not in computed for t in node.input_tensors):
            continue  # not reachable from the (new) inputs
        args = tree.map_structure(substitute, list(node.call_args))
        kwargs = tree.map_structure(substitute, dict(node.call_kwargs))
        op = clone_function(node.operation)
        if call_function is not None:
            outputs = call_function(op, *args, **kwargs)
        else:
            outputs = op(*args, **kwargs)
        for old, new in zip(node.outputs, tree.flatten(outputs)):
            computed[id(old)] = new

    flat_outputs = []
    for i, t in enumerate(model.outputs):
        if id(t) not in computed:
            raise ValueError(
                f"Output {i} of model {model.name!r} is not connected to `inputs`."
            )
        flat_outputs.append(computed[id(t)])
    return tree.pack_sequence_as(model.output, flat_outputs)


def _same_structure(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and sorted(a) == sorted(b)
            and all(_same_structure(a[k], b[k]) for k in a)
        )
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(_same_structure(x, y) for x, y in zip(a, b))
        )
    return True


def _functional_like_constructor(cls: type) -> bool:
    spec = inspect.getfullargspec(cls.__init__)  # type: ignore[misc]
    reference = inspect.getfullargspec(Functional.__init__).args[1:]
    if spec.args[1:] == reference:
        return True
    return spec.varargs is not None and spec.varkw is not None


__all__ = ["clone_model"]
