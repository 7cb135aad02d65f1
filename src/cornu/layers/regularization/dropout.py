"""`Dropout`: zeroes random inputs in training, scaling the rest."""

from __future__ import annotations

import numbers
from typing import Any

import torch
import torch.nn.functional as F

from cornu import random
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer


def _standardize_noise_shape(noise_shape: Any) -> tuple[int | None, ...] | None:
    if noise_shape is None:
        return None
    problem = None
    if isinstance(noise_shape, str):
        problem = "a tuple of ints or None"
    else:
        try:
            noise_shape = tuple(noise_shape)
        except TypeError:
            problem = "an iterable of ints or None"
    if problem is None:
        for d in noise_shape:
            if d is not None and (
                not isinstance(d, numbers.Integral) or isinstance(d, bool) or d <= 0
            ):
                problem = "positive ints or None"
    if problem is not None:
        raise ValueError(
            f"Dropout `noise_shape` must be {problem}, received: "
            f"noise_shape={noise_shape!r}."
        )
    return tuple(None if d is None else int(d) for d in noise_shape)


class Dropout(Layer):
    """Sets a random fraction `rate` of its inputs to 0 in training.

    Kept entries are scaled by `1 / (1 - rate)` so that the expected sum is
    unchanged. Outside training (`training=False` or unset) the layer returns
    its input.

    Args:
        rate: the fraction of entries to drop, in `[0, 1]`.
        noise_shape: the shape of the keep/drop mask, broadcast against the
            inputs; `None` entries take the input's size. E.g.
            `(None, 1, None)` drops the same features at every timestep.
        seed: an int for reproducible draws (each call still draws anew).

    Call arguments:
        inputs: the input tensor.
        training: whether to drop (`True`) or pass through.

    Input shape:
        Any.

    Output shape:
        The input shape.

    Example:
    >>> layer = Dropout(0.5, seed=1)
    >>> sorted(set(layer(np.ones((100,), "float32"), training=True).tolist()))
    [0.0, 2.0]
    """

    def __init__(
        self,
        rate: float,
        noise_shape: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
            raise ValueError(
                f"Dropout `rate` must be a number in [0, 1], received: rate={rate!r}."
            )
        self.rate: float = rate
        self.seed: int | None = seed
        self.noise_shape: tuple[int | None, ...] | None = _standardize_noise_shape(
            noise_shape
        )
        if rate > 0:
            self.seed_generator: random.SeedGenerator = random.SeedGenerator(seed)
        # torch's fused kernel draws from the global generator; a seed or a
        # noise shape needs the mask path of `cornu.random.dropout`.
        self._fused: bool = seed is None and self.noise_shape is None
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.rate == 0:
            return inputs
        if self._fused:
            return F.dropout(inputs, self.rate, True)
        return random.dropout(
            inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return KerasTensor(inputs.shape, dtype=inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }
