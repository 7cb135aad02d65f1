"""`keras.random`: draws from distributions, dropout and shuffling.

`seed=None` uses torch's global generator; an int seed gives the same values
on every call; a `SeedGenerator` gives a new reproducible draw per call.
Seeded draws use the same torch kernels and seeding as Keras's torch backend,
so on the same device they return the same numbers as Keras.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from cornu import config
from cornu.ops.core import convert_to_tensor
from cornu.random.seed_generator import SeedGenerator, torch_generator

# Standard normal CDF at -2 and 2: a truncated normal keeps that middle band.
_PHI_LOW = 0.5 * (1.0 + math.erf(-2.0 / math.sqrt(2.0)))
_PHI_HIGH = 0.5 * (1.0 + math.erf(2.0 / math.sqrt(2.0)))


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


def _float_dtype(dtype: Any, fn: str) -> torch.dtype:
    out = config.torch_dtype(dtype)
    if not out.is_floating_point:
        raise ValueError(
            f"`{fn}` requires a floating point `dtype`. Received: "
            f"dtype={config.standardize_dtype(dtype)!r}"
        )
    return out


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Draws from a normal distribution.

    Args:
        shape: the shape of the result.
        mean: the mean of the distribution.
        stddev: its standard deviation.
        dtype: a float dtype; defaults to `floatx()`.
        seed: `None`, an int or a `SeedGenerator` (see module docstring).

    Returns:
        A tensor of `shape` on `config.device()`.

    Example:
    >>> normal((2, 3), seed=1).shape
    torch.Size([2, 3])
    """
    dtype = _float_dtype(dtype, "normal")
    device = config.device()
    gen = None if seed is None else torch_generator(seed, device)
    shape = _shape(shape)
    if _is_number(mean) and _is_number(stddev):
        return torch.normal(
            float(mean),
            float(stddev),
            size=shape,
            generator=gen,
            dtype=dtype,
            device=device,
        )
    x = torch.normal(0.0, 1.0, size=shape, generator=gen, dtype=dtype, device=device)
    return x * convert_to_tensor(stddev, dtype) + convert_to_tensor(mean, dtype)


def uniform(
    shape: Any,
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Draws from a uniform distribution over `[minval, maxval)`.

    Args:
        shape: the shape of the result.
        minval: the lower bound (included).
        maxval: the upper bound (excluded).
        dtype: a float dtype; defaults to `floatx()`.
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        A tensor of `shape` on `config.device()`.

    Example:
    >>> x = uniform((1000,), minval=2.0, maxval=3.0, seed=0)
    >>> bool(x.min() >= 2.0 and x.max() < 3.0)
    True
    """
    dtype = _float_dtype(dtype, "uniform")
    device = config.device()
    gen = None if seed is None else torch_generator(seed, device)
    x = torch.rand(_shape(shape), generator=gen, dtype=dtype, device=device)
    return (maxval - minval) * x + minval


def truncated_normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Draws from a normal distribution cut at two standard deviations.

    Values lie in `[mean - 2 * stddev, mean + 2 * stddev]`; the spread of the
    result is about `0.88 * stddev`.

    Args:
        shape: the shape of the result.
        mean: the mean of the untruncated distribution.
        stddev: its standard deviation.
        dtype: a float dtype; defaults to `floatx()`.
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        A tensor of `shape` on `config.device()`.

    Example:
    >>> x = truncated_normal((10000,), seed=0)
    >>> bool(x.abs().max() <= 2.0)
    True
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    device = config.device()
    gen = None if seed is None else torch_generator(seed, device)
    # Inverse-CDF sampling: one pass, exact bounds, no rejection loop (which
    # would need a device sync per round).
    work = torch.float64 if dtype == torch.float64 else torch.float32
    u = torch.rand(_shape(shape), generator=gen, dtype=work, device=device)
    u = u.mul_(_PHI_HIGH - _PHI_LOW).add_(_PHI_LOW)
    x = torch.erfinv(u.mul_(2.0).sub_(1.0)).mul_(math.sqrt(2.0)).clamp_(-2.0, 2.0)
    if _is_number(mean) and _is_number(stddev):
        return x.mul_(stddev).add_(mean).to(dtype)
    x = x.to(dtype)
    return x * convert_to_tensor(stddev, dtype) + convert_to_tensor(mean, dtype)


def randint(
    shape: Any,
    minval: int,
    maxval: int,
    dtype: Any = "int32",
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Draws integers uniformly from `[minval, maxval)`.

    Args:
        shape: the shape of the result.
        minval: the lower bound (included).
        maxval: the upper bound (excluded).
        dtype: an integer dtype (default `"int32"`).
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        An integer tensor of `shape` on `config.device()`.

    Example:
    >>> x = randint((100,), 0, 3, seed=0)
    >>> sorted(set(x.tolist()))
    [0, 1, 2]
    """
    out = config.torch_dtype(dtype)
    if out.is_floating_point or out.is_complex or out == torch.bool:
        raise ValueError(
            "`randint` requires an integer `dtype`. Received: "
            f"dtype={config.standardize_dtype(dtype)!r}"
        )
    device = config.device()
    gen = None if seed is None else torch_generator(seed, device)
    return torch.randint(
        int(minval),
        int(maxval),
        _shape(shape),
        generator=gen,
        dtype=out,
        device=device,
    )


def categorical(
    logits: Any,
    num_samples: int,
    dtype: Any = "int32",
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Draws class indices from the categorical distributions given by `logits`.

    Args:
        logits: a `(batch_size, num_classes)` tensor of unnormalized
            log-probabilities.
        num_samples: how many draws per row.
        dtype: an integer dtype (default `"int32"`).
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        A `(batch_size, num_samples)` tensor of class indices.

    Example:
    >>> logits = torch.tensor([[0.0, 100.0], [100.0, 0.0]])
    >>> categorical(logits, 3, seed=0).tolist()
    [[1, 1, 1], [0, 0, 0]]
    """
    logits = convert_to_tensor(logits)
    if logits.ndim != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape "
            f"(batch_size, num_classes). Received: logits.shape="
            f"{tuple(logits.shape)}"
        )
    gen = None if seed is None else torch_generator(seed, logits.device)
    probs = torch.softmax(logits, dim=-1)
    out = torch.multinomial(probs, num_samples, replacement=True, generator=gen)
    return out.to(config.torch_dtype(dtype))


def _noise_shape(inputs: torch.Tensor, noise_shape: Any) -> tuple[int, ...]:
    return tuple(
        inputs.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape)
    )


def dropout(
    inputs: Any,
    rate: float,
    noise_shape: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Zeroes a random fraction `rate` of `inputs` and scales the rest by
    `1 / (1 - rate)`.

    Args:
        inputs: the input tensor.
        rate: the fraction of entries to drop, in `[0, 1]`.
        noise_shape: the shape of the keep/drop mask, broadcast against
            `inputs`; `None` entries take the input's size (e.g.
            `(None, 1, None)` drops whole timesteps' features alike).
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        A tensor shaped like `inputs`.

    Example:
    >>> y = dropout(torch.ones(1000), 0.5, seed=0)
    >>> sorted(set(y.tolist()))
    [0.0, 2.0]
    """
    if not isinstance(inputs, torch.Tensor):
        inputs = convert_to_tensor(inputs)
    if rate == 0.0:
        return inputs
    if rate == 1.0:
        return torch.zeros_like(inputs)
    unseeded = seed is None or (
        isinstance(seed, SeedGenerator) and seed._initial_seed is None
    )
    if unseeded and noise_shape is None:
        # torch's fused kernel; it cannot take a generator, hence seeded
        # draws take the mask path below.
        return F.dropout(inputs, p=rate, training=True)
    keep = 1.0 - rate
    shape = inputs.shape if noise_shape is None else _noise_shape(inputs, noise_shape)
    gen = None if seed is None else torch_generator(seed, inputs.device)
    probs = torch.full(shape, keep, device=inputs.device)
    mask = torch.bernoulli(probs, generator=gen).bool()
    # `where`, not a product, so inf/nan in dropped entries become 0.
    return torch.where(mask, inputs / keep, 0)


def shuffle(
    x: Any, axis: int = 0, seed: int | SeedGenerator | None = None
) -> torch.Tensor:
    """Shuffles `x` along `axis` (one random permutation of that axis).

    Args:
        x: the tensor to shuffle.
        axis: the axis to permute.
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        A tensor with the same shape and values, reordered along `axis`.

    Example:
    >>> sorted(shuffle(torch.arange(5), seed=0).tolist())
    [0, 1, 2, 3, 4]
    """
    x = convert_to_tensor(x)
    gen = None if seed is None else torch_generator(seed, x.device)
    # argsort of uniform keys, as Keras's torch backend draws it, so seeded
    # shuffles along axis 0 match Keras's.
    perm = torch.rand(x.shape[axis], generator=gen, device=x.device).argsort()
    return x.index_select(axis, perm)


def _param(value: Any, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    return torch.broadcast_to(convert_to_tensor(value).to(dtype), shape)


def _work_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def gamma(
    shape: Any,
    alpha: Any,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Draws from a gamma distribution with concentration `alpha` (scale 1).

    Args:
        shape: the shape of the result.
        alpha: the concentration (shape parameter), a float or a tensor
            broadcastable to `shape`.
        dtype: a float dtype; defaults to `floatx()`.
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        A tensor of `shape`.

    Example:
    >>> x = gamma((20000,), alpha=3.0, seed=0)
    >>> round(float(x.mean()), 1)
    3.0
    """
    dtype = config.torch_dtype(dtype)
    shape = _shape(shape)
    a = _param(alpha, shape, _work_dtype(dtype))
    gen = None if seed is None else torch_generator(seed, a.device)
    # torch.distributions.Gamma samples with this kernel but takes no
    # generator; calling it directly keeps the global RNG untouched.
    return torch._standard_gamma(a, generator=gen).to(dtype)


def binomial(
    shape: Any,
    counts: Any,
    probabilities: Any,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Draws the number of successes in `counts` trials of probability
    `probabilities`.

    Args:
        shape: the shape of the result.
        counts: the number of trials (broadcastable to `shape`).
        probabilities: the success probability of each trial.
        dtype: the result dtype; defaults to `floatx()`.
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        A tensor of `shape`.

    Example:
    >>> x = binomial((1000,), counts=10, probabilities=0.5, seed=0)
    >>> bool(x.min() >= 0 and x.max() <= 10)
    True
    """
    dtype = config.torch_dtype(dtype)
    shape = _shape(shape)
    work = _work_dtype(dtype)
    n = _param(counts, shape, work)
    p = _param(probabilities, shape, work)
    gen = None if seed is None else torch_generator(seed, n.device)
    return torch.binomial(n, p, generator=gen).to(dtype)


def beta(
    shape: Any,
    alpha: Any,
    beta: Any,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Draws from a beta distribution with concentrations `alpha` and `beta`.

    Args:
        shape: the shape of the result.
        alpha: the first concentration (broadcastable to `shape`).
        beta: the second concentration (broadcastable to `shape`).
        dtype: a float dtype; defaults to `floatx()`.
        seed: `None`, an int or a `SeedGenerator`.

    Returns:
        A tensor of `shape` with values in `[0, 1]`.

    Example:
    >>> x = beta((20000,), alpha=2.0, beta=2.0, seed=0)
    >>> round(float(x.mean()), 1)
    0.5
    """
    dtype = config.torch_dtype(dtype)
    shape = _shape(shape)
    work = _work_dtype(dtype)
    concentration = torch.stack(
        [_param(alpha, shape, work), _param(beta, shape, work)], dim=-1
    )
    gen = None if seed is None else torch_generator(seed, concentration.device)
    # A beta draw is the first coordinate of a 2-way Dirichlet draw; this is
    # the kernel torch.distributions.Beta uses, called with our generator.
    return torch._sample_dirichlet(concentration, generator=gen)[..., 0].to(dtype)
