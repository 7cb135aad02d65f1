"""`Pipeline`: applies a series of layers to an input, as one layer."""

from __future__ import annotations

from typing import Any

from cornu.core import serialization
from cornu.core.layer import Layer


class Pipeline(Layer):
    """Applies `layers` one after the other, as a plain layer (not a model).

    Useful for preprocessing and data augmentation chains. Unlike a
    `Sequential` model, a pipeline converts nothing: whatever the first
    layer takes (arrays, lists of strings, dicts of features) is passed
    through as it is, and each layer's output feeds the next. `training`
    and masks are passed to the layers that take them.

    Args:
        layers: the layers, in order.

    Call arguments:
        inputs: the first layer's inputs.
        training: passed to the layers whose `call` takes it (default
            `True`, as Keras: augmentation layers are active).
        mask: passed to the first layer that takes one; afterwards each
            layer gets the mask its predecessor's output carries.

    Input shape:
        The first layer's.

    Output shape:
        The last layer's.

    Returns:
        The last layer's output.

    Example:
    >>> from cornu.layers import Rescaling
    >>> pipeline = Pipeline([Rescaling(2.0), Rescaling(1.0, offset=1.0)])
    >>> pipeline(np.array([[1.0, 2.0]], "float32")).tolist()
    [[3.0, 5.0]]
    """

    def __init__(
        self, layers: list[Layer], name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(
            isinstance(layer, Layer) for layer in layers
        ):
            raise ValueError(
                "Pipeline `layers` must be a list of keras Layer instances, "
                f"received: layers={layers!r}."
            )
        # A public list: registered for torch (weights, devices), and saved
        # under `layers/<layer>` as Keras files have it.
        self.layers = list(layers)

    def build(self, input_shape: Any = None) -> None:
        # Each layer builds on its first call, from what it actually receives.
        pass

    def call(self, inputs: Any, training: bool | None = True, mask: Any = None) -> Any:
        outputs = inputs
        for layer in self.layers:
            kwargs: dict[str, Any] = {}
            if layer._call_has_mask and mask is not None:
                kwargs["mask"] = mask
            if layer._call_has_training and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            mask = getattr(outputs, "_keras_mask", None)
            inputs = outputs
        return outputs

    def get_config(self) -> dict[str, Any]:
        return {
            "layers": [
                serialization.serialize_keras_object(layer) for layer in self.layers
            ],
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Pipeline:
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "Pipeline config must hold `layers`, a list of serialized layers, "
                f"received: layers={layers!r}."
            )
        config = dict(config)
        config["layers"] = [
            serialization.deserialize_keras_object(layer)
            if isinstance(layer, dict)
            else layer
            for layer in layers
        ]
        return cls(**config)
