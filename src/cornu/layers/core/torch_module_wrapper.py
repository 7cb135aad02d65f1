"""`TorchModuleWrapper`: any `torch.nn.Module` used as a Keras layer."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core.layer import Layer


class TorchModuleWrapper(Layer):
    """Wraps a `torch.nn.Module` so it can sit in a Keras model.

    Its parameters are the layer's weights (trained by `fit`); `call` passes
    the inputs to the module. Every cornu layer already is a
    `torch.nn.Module`, so this is only needed for modules written for plain
    PyTorch.

    Args:
        module: the torch module to wrap.
        output_shape: the output shape without the batch dimension, if
            shape inference on fake tensors cannot run the module.
        name: the layer's name.

    Call arguments:
        *args, **kwargs: passed to the module.

    Example:
    >>> import numpy as np
    >>> layer = TorchModuleWrapper(torch.nn.Linear(3, 2))
    >>> layer(np.ones((4, 3), "float32")).shape
    torch.Size([4, 2])
    >>> len(layer.trainable_weights)
    2
    """

    def __init__(
        self,
        module: torch.nn.Module,
        name: str | None = None,
        output_shape: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(module, torch.nn.Module):
            raise ValueError(
                "TorchModuleWrapper expects a `torch.nn.Module`; received "
                f"{module!r} (of type {type(module).__name__})."
            )
        self.module = module
        self.output_shape = tuple(output_shape) if output_shape is not None else None
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self.output_shape is not None:
            from cornu.core.keras_tensor import KerasTensor

            return KerasTensor(
                (args[0].shape[0], *self.output_shape), self.compute_dtype
            )
        return super().compute_output_spec(*args, **kwargs)

    def get_config(self) -> dict[str, Any]:
        # The module is Python code and cannot be stored without pickle, which
        # cornu never writes: the config names the layer only.
        return {**super().get_config(), "output_shape": self.output_shape}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TorchModuleWrapper:
        raise ValueError(
            "A TorchModuleWrapper cannot be rebuilt from a file: its module is "
            "arbitrary PyTorch code, which cornu never stores or loads. Build "
            "the model in code and call `load_weights` instead."
        )
