"""`Merge`: the shared base of layers that combine a list of tensors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer


def _is_shape_list(input_shape: Any) -> bool:
    return isinstance(input_shape, (list, tuple)) and all(
        isinstance(s, (list, tuple)) for s in input_shape
    )


def masks_of(inputs: list[torch.Tensor]) -> list[Any]:
    """The `_keras_mask` of each input (None where it has none)."""
    return [getattr(x, "_keras_mask", None) for x in inputs]


class Merge(Layer):
    """Base of the elementwise merging layers (`Add`, `Maximum`, ...).

    Inputs are a list of tensors with the same batch size whose other
    dimensions broadcast (aligned on the right). Inputs of lower rank get
    size-1 axes inserted after the batch axis, as Keras does. The output
    mask is the OR of the inputs' masks, when all of them have one.
    Subclasses define `_merge_function(inputs)`.
    """

    # The most inputs a subclass accepts (`None`: any number).
    _max_inputs: int | None = None
    _min_inputs: int = 1

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _where(self) -> str:
        return f'Layer "{self.name}" ({type(self).__name__})'

    def _check_list(self, input_shape: Any, same_batch: bool = True) -> None:
        if not _is_shape_list(input_shape):
            raise ValueError(
                f"{self._where()} expects a list of input tensors, received a "
                f"single input of shape {tuple(input_shape)}."
            )
        n = len(input_shape)
        low, high = self._min_inputs, self._max_inputs
        if n < low or (high is not None and n > high):
            want = f"exactly {low}" if low == high else f"at least {low}"
            raise ValueError(
                f"{self._where()} expects {want} input(s), received {n} "
                f"(shapes {[tuple(s) for s in input_shape]})."
            )
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if same_batch and len(batch_sizes) > 1:
            raise ValueError(
                f"{self._where()} expects inputs with the same batch size, "
                f"received shapes {[tuple(s) for s in input_shape]}."
            )

    def _broadcast_shape(self, shape1: tuple, shape2: tuple) -> tuple:
        """The broadcast of two shapes without batch axis (Keras's rule)."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        out = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2) :], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1 or i == j:
                out.append(j if i == 1 else i)
            else:
                raise ValueError(
                    f"{self._where()} expects inputs with equal or broadcastable "
                    f"shapes, received shapes {tuple(shape1)} and "
                    f"{tuple(shape2)} (batch axis excluded)."
                )
        return tuple(out)

    def build(self, input_shape: Any) -> None:
        self._check_list(input_shape)
        self.compute_output_shape(input_shape)
        self._reshape_required = len({len(s) for s in input_shape}) > 1

    def call(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        if self._reshape_required:
            ndim = max(x.dim() for x in inputs)
            inputs = [
                x.reshape(x.shape[0], *[1] * (ndim - x.dim()), *x.shape[1:])
                for x in inputs
            ]
        return self._merge_function(inputs)

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def _merge_masked(
        self,
        op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        inputs: list[torch.Tensor],
    ) -> torch.Tensor:
        """Folds `op` over the inputs; a masked entry takes the other's value.

        For `Maximum`/`Minimum`, which have no neutral element: where one
        input is masked the other's value is used, as Keras does.
        """
        output = inputs[0]
        output_mask = _expanded_mask(output)
        for x in inputs[1:]:
            mask = _expanded_mask(x)
            if mask is not None:
                x = torch.where(mask, x, output)
            if output_mask is not None:
                output = torch.where(output_mask, output, x)
            both = mask is not None and output_mask is not None
            output_mask = output_mask | mask if both else None  # type: ignore[operator]
            output = op(output, x)
        return output

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_list(input_shape)
        shape: tuple = tuple(input_shape[0][1:])
        for s in input_shape[1:]:
            shape = self._broadcast_shape(shape, tuple(s[1:]))
        batch_sizes = {s[0] for s in input_shape} - {None}
        batch = batch_sizes.pop() if len(batch_sizes) == 1 else None
        return (batch, *shape)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            self._check_list(inputs.shape)
        shape = self.compute_output_shape([x.shape for x in inputs])
        return KerasTensor(shape, dtype=self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        # Only the base keys: elementwise merges have no hyper-parameters.
        return super().get_config()

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        # The engine hands a list of inputs no mask: read them off the inputs.
        masks = masks_of(inputs) if previous_mask is None else list(previous_mask)
        if any(m is None for m in masks):
            return None
        output_mask = masks[0]
        for m in masks[1:]:
            output_mask = output_mask | m
        return output_mask


def _expanded_mask(x: torch.Tensor) -> torch.Tensor | None:
    """`x`'s mask with a trailing axis, broadcast to `x`'s shape."""
    mask = getattr(x, "_keras_mask", None)
    return None if mask is None else mask.unsqueeze(-1).expand(x.shape)
