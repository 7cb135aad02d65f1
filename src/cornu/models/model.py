"""`Model`: a layer with training (`compile`/`fit`/...) and saving."""

from __future__ import annotations

from typing import Any

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A layer that can be trained, evaluated, saved and exported.

    Create one in any of Keras's three ways: `Model(inputs, outputs)` for a
    functional graph, `Sequential([...])`, or by subclassing `Model`,
    assigning layers in `__init__` and writing `call`.

    Example:
    >>> from cornu import layers
    >>> class MLP(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.d1 = layers.Dense(8, activation="relu")
    ...         self.d2 = layers.Dense(2)
    ...     def call(self, x, training=None):
    ...         return self.d2(self.d1(x))
    >>> MLP()(np.ones((3, 4), "float32")).shape
    torch.Size([3, 2])
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and (
            "inputs" in kwargs or (args and _is_tensor_struct(args[0]))
        ):
            from cornu.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)  # type: ignore[return-value]
        return super().__new__(cls, *args, **kwargs)  # type: ignore[return-value]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or "inputs" in kwargs:
            raise TypeError(
                "Model(inputs, outputs) builds a functional model; a subclass "
                "of Model must call `super().__init__()` without them."
            )
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

    def build(self, input_shape: Any) -> None:
        """Creates the weights by running `call` on a symbolic input of this shape."""
        if type(self).build is Model.build and input_shape is not None:
            shape = tuple(input_shape)
            if all(isinstance(d, (int, type(None))) for d in shape):
                spec: Any = KerasTensor(shape)
            else:
                spec = [KerasTensor(tuple(s)) for s in shape]
            self.built = True
            self.compute_output_spec(spec)
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        return self._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Returns a layer of the model by `name` or by `index`."""
        if index is not None and name is not None:
            raise ValueError("Provide either `name` or `index` to get_layer, not both.")
        if index is not None:
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model "
                    f"only has {len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: "
                f"{[layer.name for layer in self.layers]}."
            )
        raise ValueError("Provide either a layer `name` or `index` to get_layer.")

    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Prints a table of the layers, their output shapes and parameters."""
        from cornu.utils.summary_utils import print_summary

        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
        )

    def quantize(
        self,
        mode: str | None = None,
        config: Any = None,
        filters: Any = None,
        **kwargs: Any,
    ) -> None:
        """Quantizes the weights of every layer that supports it.

        Args:
            mode: the quantization mode; cornu implements `"int8"`,
                `"int4"` and `"float8"` (`Dense` and `EinsumDense` only;
                other layers are skipped with a warning).
            config: an `Int8QuantizationConfig`, `Int4QuantizationConfig` or
                `Float8QuantizationConfig` (its `mode` then may be left out).
            filters: which layers to quantize: a regex (or list of regexes)
                searched in layer names, or a callable taking a layer.
            **kwargs: `type_check` (default `True`): skip, with a warning,
                subclasses of the quantizable layers.

        Example:
        >>> from cornu import layers
        >>> from cornu.models.sequential import Sequential
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> model.quantize("int8")
        >>> model.layers[0].dtype_policy.name
        'int8_from_float32'
        """
        from cornu.layers.core.quantization import quantize_model

        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(
                "Unrecognized keyword arguments passed to "
                f"{type(self).__name__}: {kwargs}"
            )
        quantize_model(self, mode, config, filters, type_check)

    def get_config(self) -> dict[str, Any]:
        return Layer.get_config(self)

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Model:
        if (
            "layers" in config
            and "input_layers" in config
            and "output_layers" in config
        ):
            from cornu.models.functional import Functional, functional_from_config

            target = cls if cls is not Model else Functional
            return functional_from_config(target, config, custom_objects)
        return super().from_config(config)  # type: ignore[return-value]

    # -- saving and export (implemented in cornu.saving / cornu.export) ---------
    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Saves the model to a `.keras` archive (see `keras.saving.save_model`)."""
        from cornu.saving.saving_api import save_model

        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(
        self, filepath: Any, overwrite: bool = True, **kwargs: Any
    ) -> None:
        """Saves the weights to `.weights.h5` or `.safetensors` (atomically)."""
        from cornu.saving.saving_api import save_weights

        save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(
        self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any
    ) -> None:
        """Loads weights from `.weights.h5`, `.keras` or `.safetensors`, atomically."""
        from cornu.saving.saving_api import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        """The model's config as JSON (rebuild it with `keras.models.model_from_json`)."""
        import json

        from cornu.core.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    def export(
        self,
        filepath: Any,
        format: str | None = None,
        verbose: bool | None = None,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Exports to ONNX, `torch.export` (`.pt2`) or ExecuTorch, then verifies it.

        See `cornu.export.export_model`; returns its `ExportResult`.
        """
        from cornu.export import export_model

        return export_model(
            self,
            filepath,
            format=format,
            verbose=verbose,
            input_signature=input_signature,
            **kwargs,
        )


def _is_tensor_struct(x: Any) -> bool:
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)):
        return bool(x) and all(isinstance(v, KerasTensor) for v in x)
    if isinstance(x, dict):
        return bool(x) and all(isinstance(v, KerasTensor) for v in x.values())
    return False
