"""`Wrapper`: the base of layers that wrap another layer."""

from __future__ import annotations

from typing import Any

from cornu.core import serialization
from cornu.core.layer import Layer


class Wrapper(Layer):
    """The abstract base of layers that take another layer and augment it.

    A wrapper holds the wrapped layer in `layer`, builds it when it is built
    itself (from the same input shape), and serializes it inside its own
    config. `TimeDistributed` and `Bidirectional` are wrappers; subclass this
    to write one (define `call`).

    Args:
        layer: the layer to wrap.

    Call arguments:
        inputs: whatever the subclass's `call` takes.

    Input shape:
        Defined by the subclass.

    Output shape:
        Defined by the subclass.

    Returns:
        Defined by the subclass.

    Example:
    >>> from cornu.layers import Dense
    >>> class Twice(Wrapper):
    ...     def call(self, x):
    ...         return self.layer(self.layer(x))
    >>> Twice(Dense(3, kernel_initializer="ones"))(np.ones((1, 3), "float32")).tolist()
    [[9.0, 9.0, 9.0]]
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__} `layer` must be a keras Layer instance, "
                f"received: {layer!r}."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any) -> None:
        if not self.layer.built:
            self.layer._build_with(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "layer": serialization.serialize_keras_object(self.layer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Layer:
        config = dict(config)
        if isinstance(config.get("layer"), dict):
            config["layer"] = serialization.deserialize_keras_object(
                config["layer"], custom_objects
            )
        return super().from_config(config)
