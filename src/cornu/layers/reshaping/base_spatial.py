"""The private bases of the cropping, zero-padding and upsampling layers.

Each acts on the spatial axes only: axes `1..rank` for channels-last inputs,
`2..rank+1` for channels-first ones.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
import torch.nn.functional as F

from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def normalize_pairs(
    value: Any, rank: int, name: str, layer: str
) -> tuple[tuple[int, int], ...]:
    """`(before, after)` per spatial axis, from Keras's accepted forms.

    An int applies to both sides of every axis; `rank` ints give symmetric
    amounts per axis (for rank 1, a pair is `(before, after)`); `rank` pairs
    are taken as they are.
    """
    pairs: Any = None
    if _is_int(value):
        pairs = ((value, value),) * rank
    elif isinstance(value, (tuple, list)) and len(value) == rank + (rank == 1):
        if rank == 1 and all(_is_int(v) for v in value):
            pairs = (tuple(value),)
        elif rank > 1 and all(_is_int(v) for v in value):
            pairs = tuple((v, v) for v in value)
        elif rank > 1 and all(
            isinstance(v, (tuple, list)) and len(v) == 2 and all(_is_int(u) for u in v)
            for v in value
        ):
            pairs = tuple(tuple(v) for v in value)
    if pairs is None or any(v < 0 for pair in pairs for v in pair):
        forms = (
            "an int or a tuple of 2 ints (before, after)"
            if rank == 1
            else f"an int, a tuple of {rank} ints or a tuple of {rank} tuples of 2 ints"
        )
        raise ValueError(
            f"{layer} `{name}` must be {forms}, all non-negative; received: "
            f"{name}={value!r}."
        )
    return tuple((int(a), int(b)) for a, b in pairs)


class BaseSpatial(Layer):
    """Holds the data format and the positions of the spatial axes."""

    rank = 2

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)
        first = 1 if self.data_format == "channels_last" else 2
        self._spatial = tuple(range(first, first + self.rank))
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class BaseCropping(BaseSpatial):
    """Removes `cropping[i]` entries from the ends of spatial axis `i` (a view)."""

    def __init__(self, cropping: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = normalize_pairs(
            cropping, self.rank, "cropping", type(self).__name__
        )

    def build(self, input_shape: Any) -> None:
        for axis, (before, after) in zip(self._spatial, self.cropping):
            size = input_shape[axis]
            if size is not None and before + after >= size:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}) crops '
                    f"{self.cropping}, which leaves nothing of axis {axis} of "
                    f"inputs of shape {tuple(input_shape)}."
                )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        for axis, (before, after) in zip(self._spatial, self.cropping):
            x = x.narrow(axis, before, x.shape[axis] - before - after)
        return x

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial, self.cropping):
            if shape[axis] is not None:
                shape[axis] = shape[axis] - before - after
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        cropping = self.cropping[0] if self.rank == 1 else self.cropping
        return {**super().get_config(), "cropping": cropping}


class BaseZeroPadding(BaseSpatial):
    """Adds `padding[i]` zeros at the ends of spatial axis `i`."""

    def __init__(self, padding: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = normalize_pairs(
            padding, self.rank, "padding", type(self).__name__
        )
        # F.pad lists (before, after) from the last axis backwards.
        flat: list[int] = [0, 0] if self.data_format == "channels_last" else []
        for before, after in reversed(self.padding):
            flat += [before, after]
        self._flat = flat

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.pad(inputs, self._flat)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial, self.padding):
            if shape[axis] is not None:
                shape[axis] = shape[axis] + before + after
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": padding}


class BaseUpSampling(BaseSpatial):
    """Repeats each entry `size[i]` times along spatial axis `i`."""

    def __init__(self, size: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.size = conv_utils.normalize_tuple(size, self.rank, "size")

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        # One broadcast copy for all axes: (.., n, ..) -> (.., n, s, ..) -> (.., n*s, ..).
        view = list(inputs.shape)
        expanded = list(inputs.shape)
        final = list(inputs.shape)
        for k, (axis, s) in enumerate(zip(self._spatial, self.size)):
            view.insert(axis + k + 1, 1)
            expanded.insert(axis + k + 1, s)
            final[axis] *= s
        return inputs.reshape(view).expand(expanded).reshape(final)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        for axis, s in zip(self._spatial, self.size):
            if shape[axis] is not None:
                shape[axis] = shape[axis] * s
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}
