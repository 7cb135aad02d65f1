"""`Sequential`: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.core.input_layer import Input, InputLayer
from cornu.models.functional import Functional
from cornu.models.model import Model


class Sequential(Model):
    """A stack of layers where each layer has one input and one output.

    Layers come from the constructor list or `.add()`. With an `Input` (or
    an `input_shape` on the first layer) the model builds at once; otherwise
    it builds on its first call. Once built it runs as a functional graph.

    Args:
        layers: an optional list of layers.
        trainable: whether the model's weights are trained.
        name: the model's name.

    Example:
    >>> from cornu import layers
    >>> model = Sequential()
    >>> model.add(layers.Dense(8, activation="relu"))
    >>> model.add(layers.Dense(2))
    >>> model(np.ones((3, 4), "float32")).shape
    torch.Size([3, 2])
    """

    def __init__(
        self,
        layers: list[Any] | None = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._stack: list[Layer] = []
        self.__dict__["_functional"] = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Appends a layer (or a `keras.Input`) to the stack."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0]
        if not isinstance(layer, torch.nn.Module):
            raise ValueError(
                "Only instances of `keras.Layer` can be added to a Sequential "
                f"model. Received: {layer!r} (of type {type(layer).__name__})."
            )
        if isinstance(layer, InputLayer) and self._stack:
            if isinstance(self._stack[0], InputLayer):
                raise ValueError(
                    f'Sequential model "{self.name}" already has an input: '
                    "an InputLayer can only be the first layer."
                )
            raise ValueError(
                "An InputLayer can only be added first to a Sequential model."
            )
        names = {existing.name for existing in self._stack}
        if getattr(layer, "name", None) in names:
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. "
                f'Name "{layer.name}" is already the name of a layer in this model.'
            )
        self._stack.append(layer)  # type: ignore[arg-type]
        self._modules[_module_key(layer)] = layer
        if rebuild:
            self._maybe_rebuild()
        else:
            self.built = False

    def pop(self, rebuild: bool = True) -> Layer:
        """Removes and returns the last layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self._modules.pop(_module_key(layer), None)
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        self.built = False
        self.__dict__["_functional"] = None
        if not self._stack:
            return
        first = self._stack[0]
        if isinstance(first, InputLayer) and len(self._stack) > 1:
            self.build(first.batch_shape)
        elif not isinstance(first, InputLayer) and getattr(
            first, "_input_shape_arg", None
        ):
            batch = getattr(first, "_batch_size_arg", None)
            self.build((batch, *tuple(first._input_shape_arg or ())))

    def build(self, input_shape: Any = None) -> None:
        if input_shape is None:
            raise ValueError(
                f'Sequential model "{self.name}" cannot be built without an '
                "input shape: add a keras.Input first or call the model on data."
            )
        first = self._stack[0] if self._stack else None
        if isinstance(first, InputLayer):
            inputs = first._input_tensor
            layers = self._stack[1:]
        else:
            shape = tuple(input_shape)
            inputs = Input(batch_shape=(None, *shape[1:]))
            layers = self._stack
        x = inputs
        for layer in layers:
            x = layer(x)
        self.__dict__["_functional"] = Functional(inputs, x, name=self.name + "_graph")
        self._chain = list(layers)
        self._build_shapes = tuple(inputs.shape)
        self.built = True

    def _maybe_build(self, first: Any) -> None:
        self.build(tuple(first.shape))

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        functional = self.__dict__["_functional"]
        if functional is not None:
            # A chain: call each layer in turn (what the graph would do).
            x = inputs
            if isinstance(x, (list, tuple)) and len(x) == 1:
                x = x[0]
            want = functional._input_torch_dtypes[0]
            if not isinstance(x, torch.Tensor) or x.dtype is not want:
                x = _convert(x, want)
            for layer in self._chain:
                x = layer(x)
            return x
        for layer in self._stack:
            inputs = layer(inputs)
        return inputs

    @property
    def layers(self) -> list[Layer]:
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    @property
    def inputs(self) -> list[KerasTensor]:  # type: ignore[override]
        return self._graph().inputs

    @property
    def outputs(self) -> list[KerasTensor]:  # type: ignore[override]
        return self._graph().outputs

    @property
    def input_shape(self) -> Any:
        return self._graph().input_shape

    @property
    def output_shape(self) -> Any:
        return self._graph().output_shape

    @property
    def input(self) -> Any:
        return self._graph().input

    @property
    def output(self) -> Any:
        return self._graph().output

    def _graph(self) -> Functional:
        functional = self.__dict__.get("_functional")
        if functional is None:
            raise AttributeError(
                f'Sequential model "{self.name}" has not been built yet: it has '
                "no defined inputs or outputs. Add a keras.Input or call it on data."
            )
        return functional

    def get_config(self) -> dict[str, Any]:
        from cornu.core import serialization

        layers = []
        for layer in self._stack:
            layers.append(serialization.serialize_keras_object(layer))
        config: dict[str, Any] = {**Layer.get_config(self), "layers": layers}
        if self.built and not isinstance(
            self._stack[0], InputLayer if self._stack else ()
        ):
            config["build_input_shape"] = list(self._build_shapes)
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Sequential:
        from cornu.core import serialization

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            layer = serialization.deserialize_keras_object(
                layer_config,
                custom_objects=custom_objects,
                safe_mode=serialization.in_safe_mode(),
            )
            model.add(layer, rebuild=False)
        model._maybe_rebuild()
        shape = config.get("build_input_shape")
        if not model.built and shape:
            model.build(tuple(shape))
        return model


def _module_key(layer: Any) -> str:
    name = getattr(layer, "name", None) or f"layer_{id(layer)}"
    return name.replace(".", "_")


def _convert(x: Any, dtype: torch.dtype) -> torch.Tensor:
    from cornu.ops.core import convert_to_tensor

    x = convert_to_tensor(x)
    return x if x.dtype is dtype else x.to(dtype)
