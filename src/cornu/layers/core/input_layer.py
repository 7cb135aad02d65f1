"""`InputLayer` and `keras.Input`: the entry points of a functional graph."""

from __future__ import annotations

from typing import Any

from cornu import config
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.core.node import Node


class InputLayer(Layer):
    """The layer behind `keras.Input`: it holds the graph's input tensor.

    Args:
        shape: the input shape, without the batch dimension.
        batch_size: an optional fixed batch size.
        dtype: the input dtype (default `floatx()`).
        sparse: kept for Keras compatibility; must be `False`.
        batch_shape: the full shape, batch included (instead of `shape`).
        input_tensor: an existing KerasTensor to wrap.
        name: the layer's (and input's) name.
    """

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Any = None,
        input_tensor: KerasTensor | None = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("ragged", None)
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        is_text = dtype is not None and config.standardize_dtype(dtype) == "string"
        super().__init__(name=name, dtype=None if is_text else dtype, **kwargs)
        if sparse:
            raise ValueError("cornu has no sparse tensors: `sparse` must be False.")
        if shape is not None and batch_shape is not None:
            raise ValueError(
                "Pass `shape` or `batch_shape` to InputLayer, not both; received "
                f"shape={shape} and batch_shape={batch_shape}."
            )
        if input_tensor is not None:
            batch_shape = input_tensor.shape
        elif batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs a `shape` (or `batch_shape`).")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *shape)
        self._batch_shape = tuple(batch_shape)
        self._input_dtype = config.standardize_dtype(dtype or config.floatx())
        self.sparse = False
        self.optional = optional
        self.built = True
        if input_tensor is None:
            input_tensor = KerasTensor(
                self._batch_shape, dtype=self._input_dtype, name=self.name
            )
        Node(self, call_args=(), call_kwargs={}, outputs=input_tensor)
        self._input_tensor = input_tensor

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def dtype(self) -> str:  # type: ignore[override]
        return self._input_dtype

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": list(self._batch_shape),
            "dtype": self._input_dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputLayer:
        return cls(**config)


def Input(  # noqa: N802 - Keras's public name
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: KerasTensor | None = None,
    optional: bool = False,
) -> KerasTensor:
    """Returns a symbolic input tensor, the start of a functional model.

    Args:
        shape: the shape of one sample, without the batch dimension
            (`None` for sizes that vary, e.g. `(None, 16)`).
        batch_size: an optional fixed batch size.
        dtype: the input dtype (default `floatx()`).
        batch_shape: the full shape, batch included (instead of `shape`).
        name: the input's name (used to match dict inputs).
        tensor: an existing KerasTensor to wrap.

    Returns:
        A `KerasTensor`.

    Example:
    >>> x = Input(shape=(20,))
    >>> x.shape
    (None, 20)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        name=name,
        input_tensor=tensor,
        optional=optional,
    )
    return layer._input_tensor
