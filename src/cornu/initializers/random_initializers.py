"""Random initializers: normal, uniform, variance scaling and orthogonal.

Seeds follow `cornu.random`: an int seed gives the same values on every
call (as in Keras), a `SeedGenerator` a new reproducible draw per call, and
`None` draws from torch's global generator, so `torch.manual_seed` or
`set_random_seed` make model initialization reproducible.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch

from cornu import config, random
from cornu.core import serialization
from cornu.initializers.initializer import Initializer
from cornu.random.seed_generator import SeedGenerator

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it
# gives the truncated draws the requested variance.
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(
    shape: Sequence[int],
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Returns `(fan_in, fan_out)` for a weight of `shape`.

    A `(in, out)` matrix has fans `in` and `out`; a convolution kernel
    `(*spatial, in, out)` multiplies both by the receptive field size. With
    `input_axes` and `output_axes`, the fans are the products of those
    dimensions (e.g. for `EinsumDense` kernels).

    Example:
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(
            shape[a] for a in output_axes
        )
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class RandomInitializer(Initializer):
    """Base class of initializers that draw random values.

    Args:
        seed: an int (same values on every call), a `SeedGenerator` (new
            values per call, reproducibly), its serialized config, or
            `None` (torch's global generator).
    """

    def __init__(self, seed: int | SeedGenerator | dict | None = None) -> None:
        self._init_seed = seed
        if isinstance(seed, dict):
            seed = serialization.deserialize_keras_object(
                seed, custom_objects={"SeedGenerator": SeedGenerator}
            )
        if seed is not None and not isinstance(seed, SeedGenerator):
            if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
                raise ValueError(
                    "`seed` argument should be an instance of "
                    "`keras.random.SeedGenerator()` or an integer. "
                    f"Received: seed={seed!r}"
                )
            seed = int(seed)
        self.seed = seed

    def get_config(self) -> dict[str, Any]:
        return {"seed": serialization.serialize_keras_object(self._init_seed)}


class RandomNormal(RandomInitializer):
    """Draws from a normal distribution.

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).

    Example:
    >>> x = RandomNormal(stddev=1.0, seed=0)((10000,))
    >>> round(float(x.std()), 1)
    1.0
    """

    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None
    ) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return random.normal(
            shape, mean=self.mean, stddev=self.stddev, dtype=dtype, seed=self.seed
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Draws from a normal distribution cut at two standard deviations.

    Args:
        mean: the mean of the untruncated distribution.
        stddev: its standard deviation.
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).

    Example:
    >>> x = TruncatedNormal(stddev=1.0, seed=0)((10000,))
    >>> bool(x.abs().max() <= 2.0)
    True
    """

    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None
    ) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return random.truncated_normal(
            shape, mean=self.mean, stddev=self.stddev, dtype=dtype, seed=self.seed
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Draws from a uniform distribution over `[minval, maxval)`.

    Args:
        minval: the lower bound.
        maxval: the upper bound.
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).

    Example:
    >>> x = RandomUniform(-1.0, 1.0, seed=0)((1000,))
    >>> bool(x.min() >= -1.0 and x.max() < 1.0)
    True
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None
    ) -> None:
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return random.uniform(
            shape, minval=self.minval, maxval=self.maxval, dtype=dtype, seed=self.seed
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Draws with a variance of `scale / n`, `n` set by the weight's fans.

    `n` is `fan_in`, `fan_out` or their mean (`mode`). The draw is a normal
    truncated at two standard deviations (rescaled so its variance is still
    `scale / n`), an untruncated normal, or uniform on
    `[-sqrt(3 * scale / n), sqrt(3 * scale / n)]`.

    Args:
        scale: a positive scaling factor.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"truncated_normal"` (or `"normal"`),
            `"untruncated_normal"` or `"uniform"`.
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).
        input_axes: axes whose sizes multiply into `fan_in` (default: by
            the shape's layout, see `compute_fans`).
        output_axes: axes whose sizes multiply into `fan_out`.

    Example:
    >>> init = VarianceScaling(scale=2.0, distribution="uniform", seed=0)
    >>> w = init((400, 10))
    >>> bool(w.abs().max() <= (3 * 2.0 / 400) ** 0.5)
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        if scale <= 0.0:
            raise ValueError(
                f"Argument `scale` must be positive float. Received: scale={scale}"
            )
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise ValueError(
                f"Invalid `mode` argument: {mode!r}. Expected one of {modes}."
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        distributions = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in distributions:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}. Expected "
                f"one of {distributions}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
        variance = self.scale / max(1.0, n[self.mode])
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            return random.truncated_normal(
                shape, stddev=stddev, dtype=dtype, seed=self.seed
            )
        if self.distribution == "untruncated_normal":
            return random.normal(
                shape, stddev=math.sqrt(variance), dtype=dtype, seed=self.seed
            )
        limit = math.sqrt(3.0 * variance)
        return random.uniform(
            shape, minval=-limit, maxval=limit, dtype=dtype, seed=self.seed
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A `VarianceScaling` preset: only `seed` and the fan axes are free."""

    _preset: tuple[float, str, str]

    def __init__(
        self,
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        scale, mode, distribution = self._preset
        super().__init__(
            scale=scale,
            mode=mode,
            distribution=distribution,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "seed": serialization.serialize_keras_object(self._init_seed),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(6 / (fan_in + fan_out))`.

    Args:
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).
        input_axes: axes counted in `fan_in` (see `VarianceScaling`).
        output_axes: axes counted in `fan_out`.

    Example:
    >>> w = GlorotUniform(seed=0)((30, 20))
    >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
    True
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with variance `2 / (fan_in + fan_out)`.

    Args:
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).
        input_axes: axes counted in `fan_in` (see `VarianceScaling`).
        output_axes: axes counted in `fan_out`.

    Example:
    >>> GlorotNormal(seed=0)((3, 4)).shape
    torch.Size([3, 4])
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with variance `1 / fan_in` (pairs with `selu`).

    Args:
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).
        input_axes: axes counted in `fan_in` (see `VarianceScaling`).
        output_axes: axes counted in `fan_out`.

    Example:
    >>> LecunNormal(seed=0)((3, 4)).shape
    torch.Size([3, 4])
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(3 / fan_in)`.

    Args:
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).
        input_axes: axes counted in `fan_in` (see `VarianceScaling`).
        output_axes: axes counted in `fan_out`.

    Example:
    >>> LecunUniform(seed=0)((3, 4)).shape
    torch.Size([3, 4])
    """

    _preset = (1.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with variance `2 / fan_in` (pairs with `relu`).

    Args:
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).
        input_axes: axes counted in `fan_in` (see `VarianceScaling`).
        output_axes: axes counted in `fan_out`.

    Example:
    >>> HeNormal(seed=0)((3, 4)).shape
    torch.Size([3, 4])
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(6 / fan_in)`.

    Args:
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).
        input_axes: axes counted in `fan_in` (see `VarianceScaling`).
        output_axes: axes counted in `fan_out`.

    Example:
    >>> HeUniform(seed=0)((3, 4)).shape
    torch.Size([3, 4])
    """

    _preset = (2.0, "fan_in", "uniform")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`.

    The shape is read as a `(prod(shape[:-1]), shape[-1])` matrix whose rows
    or columns (whichever are fewer) are orthonormal; it comes from the QR
    decomposition of a normal draw.

    Args:
        gain: a factor applied to the matrix.
        seed: an int, a `SeedGenerator` or `None` (see `RandomInitializer`).

    Example:
    >>> q = Orthogonal(seed=0)((4, 4))
    >>> torch.allclose(q @ q.T, torch.eye(4), atol=1e-5)
    True
    """

    def __init__(self, gain: float = 1.0, seed: Any = None) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        shape = tuple(int(d) for d in shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        out = config.torch_dtype(dtype)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # QR needs float32/64; half-precision weights are cast at the end.
        work = torch.float64 if out == torch.float64 else torch.float32
        a = random.normal(
            (max(rows, cols), min(rows, cols)), dtype=work, seed=self.seed
        )
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))  # unique, uniformly distributed Q
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}
