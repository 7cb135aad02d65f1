"""`PReLU`: a leaky ReLU whose negative slope is learned."""

from __future__ import annotations

from typing import Any

import torch

from cornu import constraints, initializers, regularizers
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer


class PReLU(Layer):
    """Parametric ReLU: `x` for `x > 0`, `alpha * x` otherwise, `alpha` learned.

    The weight `alpha` has the input's shape without the batch axis, with
    size 1 on `shared_axes`. `torch.nn.PReLU(C)` on channels-first data
    is this layer on channels-last data with all axes but the channels
    shared: its `weight` equals `alpha.reshape(-1)`.

    Args:
        alpha_initializer: initializer of `alpha` (`"zeros"`).
        alpha_regularizer: regularizer of `alpha`.
        alpha_constraint: constraint on `alpha`.
        shared_axes: the axes (1-based, the batch being 0) along which one
            slope is shared, e.g. `[1, 2]` for one slope per channel of
            `(batch, height, width, channels)` images.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        `(batch_size, ...)`.

    Output shape:
        The input shape.

    Example:
    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1])
    >>> layer(np.array([[-2.0, 3.0]], "float32")).tolist()
    [[-2.0, 3.0]]
    """

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | list[int] | tuple[int, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = (
                list(shared_axes)
                if isinstance(shared_axes, (list, tuple))
                else [shared_axes]
            )
            if not all(isinstance(a, int) and a >= 1 for a in axes):
                raise ValueError(
                    "PReLU `shared_axes` must be axes >= 1 (axis 0 is the "
                    f"batch), received: shared_axes={shared_axes!r}."
                )
            self.shared_axes = axes
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        param_shape = list(input_shape[1:])
        shared = self.shared_axes or []
        for axis in shared:
            if axis >= len(input_shape):
                raise ValueError(
                    f'Layer "{self.name}" (PReLU) has shared_axes={shared}, '
                    f"out of range for inputs of shape {tuple(input_shape)}."
                )
            param_shape[axis - 1] = 1
        self.alpha = self.add_weight(
            shape=param_shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
            name="alpha",
        )
        axes = {
            i: size
            for i, size in enumerate(input_shape)
            if i > 0 and i not in shared and size is not None
        }
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.where(inputs > 0, inputs, inputs * self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
