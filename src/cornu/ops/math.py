"""`keras.ops.math`: segment reductions, top-k, FFTs, STFT and special functions."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.ops.core import keras_op
from cornu.ops.numpy import _t, _to_float

Tensor = torch.Tensor
ArrayLike = Any


# --------------------------------------------------------------------------
# segment reductions

_IDENTITY = {"sum": 0.0, "prod": 1.0, "amax": -float("inf"), "amin": float("inf")}


def _segment(data: Any, segment_ids: Any, num_segments: int | None, how: str) -> Tensor:
    x = _t(data)
    ids = _t(segment_ids).long()
    if num_segments is None:
        # Needs the data (a sync on GPU); pass num_segments for static shapes.
        num_segments = int(ids.max().item()) + 1 if ids.numel() else 0
    # Out-of-range ids (e.g. -1) go to an extra row that is dropped.
    ids = torch.where((ids < 0) | (ids >= num_segments), num_segments, ids)
    index = ids.reshape(-1, *([1] * (x.ndim - 1))).expand_as(x)
    init = _IDENTITY[how]
    if not x.is_floating_point() and how in ("amax", "amin"):
        info = torch.iinfo(x.dtype) if x.dtype != torch.bool else None
        init = (info.min if how == "amax" else info.max) if info else 0
    out = torch.full(
        (num_segments + 1, *x.shape[1:]), init, dtype=x.dtype, device=x.device
    )
    out = out.scatter_reduce(0, index, x, reduce=how, include_self=True)
    return out[:-1]


@keras_op("SegmentSum")
def segment_sum(
    data: ArrayLike,
    segment_ids: ArrayLike,
    num_segments: int | None = None,
    sorted: bool = False,
) -> Tensor:
    """Sums of the rows of `data` that share a segment id.

    Args:
        data: `(n, ...)` tensor.
        segment_ids: `(n,)` int ids; out-of-range ids are dropped.
        num_segments: number of segments (`max(segment_ids) + 1` by default).
        sorted: a hint that ids are sorted (unused).

    Returns:
        `(num_segments, ...)`.
    """
    return _segment(data, segment_ids, num_segments, "sum")


@keras_op("SegmentMax")
def segment_max(
    data: ArrayLike,
    segment_ids: ArrayLike,
    num_segments: int | None = None,
    sorted: bool = False,
) -> Tensor:
    """Maximum of each segment (-inf for empty segments); see `segment_sum`."""
    return _segment(data, segment_ids, num_segments, "amax")


@keras_op("SegmentMin")
def segment_min(
    data: ArrayLike,
    segment_ids: ArrayLike,
    num_segments: int | None = None,
    sorted: bool = False,
) -> Tensor:
    """Minimum of each segment (+inf for empty segments); see `segment_sum`."""
    return _segment(data, segment_ids, num_segments, "amin")


@keras_op("SegmentProd")
def segment_prod(
    data: ArrayLike,
    segment_ids: ArrayLike,
    num_segments: int | None = None,
    sorted: bool = False,
) -> Tensor:
    """Product of each segment (1 for empty segments); see `segment_sum`."""
    return _segment(data, segment_ids, num_segments, "prod")


# --------------------------------------------------------------------------
# top-k and friends


@keras_op("TopK")
def top_k(x: ArrayLike, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:
    """The `k` largest values along the last axis, and their int32 indices."""
    values, indices = torch.topk(_t(x), k, dim=-1, sorted=sorted)
    return values, indices.to(torch.int32)


@keras_op("InTopK")
def in_top_k(targets: ArrayLike, predictions: ArrayLike, k: int) -> Tensor:
    """Whether each target class is among the `k` highest predictions.

    Ties with the k-th value count as in (as in TensorFlow).
    """
    p = _t(predictions)
    t = _t(targets).long()
    kth = torch.topk(p, k, dim=-1).values[..., -1:]
    target_val = torch.take_along_dim(p, t[:, None], dim=-1)
    return (target_val >= kth).squeeze(-1)


@keras_op("Logsumexp")
def logsumexp(x: ArrayLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """`log(sum(exp(x)))` over `axis`, computed stably."""
    x = _to_float(_t(x))
    dims = tuple(range(x.ndim)) if axis is None else axis
    return torch.logsumexp(x, dim=dims, keepdim=keepdims)


@keras_op("Rsqrt")
def rsqrt(x: ArrayLike) -> Tensor:
    """`1 / sqrt(x)`, element-wise."""
    return torch.rsqrt(_to_float(_t(x)))


@keras_op("Erf")
def erf(x: ArrayLike) -> Tensor:
    """The Gauss error function."""
    return torch.erf(_to_float(_t(x)))


@keras_op("Erfc")
def erfc(x: ArrayLike) -> Tensor:
    """`1 - erf(x)`, accurate for large `x`."""
    return torch.erfc(_to_float(_t(x)))


@keras_op("Erfinv")
def erfinv(x: ArrayLike) -> Tensor:
    """The inverse of `erf`."""
    return torch.erfinv(_to_float(_t(x)))


@keras_op("Gammainc")
def gammainc(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """The regularized lower incomplete gamma function `P(x1, x2)`.

    `x1` is the shape parameter and `x2` the upper limit of integration;
    they broadcast. Integers compute in floatx.

    Example:
        >>> gammainc([1.0, 2.0, 3.0], [0.5, 1.0, 2.0])
        tensor([0.3935, 0.2642, 0.3233])
    """
    a, x = _to_float(_t(x1)), _to_float(_t(x2))
    dtype = torch.promote_types(a.dtype, x.dtype)
    return torch.special.gammainc(a.to(dtype), x.to(dtype))


@keras_op("Logdet")
def logdet(x: ArrayLike) -> Tensor:
    """Log-determinant of (batches of) Hermitian positive-definite matrices."""
    return torch.logdet(_to_float(_t(x)))


@keras_op("CDist")
def cdist(x: ArrayLike, y: ArrayLike) -> Tensor:
    """Euclidean distances between the rows of `x` `(..., m, d)` and of `y`
    `(..., n, d)`: `(..., m, n)`.

    Raises:
        ValueError: for rank < 2 or unequal last dimensions.
    """
    a, b = _to_float(_t(x)), _to_float(_t(y))
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError("cdist expects inputs of rank >= 2.")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"cdist: the last dimensions differ: {a.shape[-1]} and {b.shape[-1]}."
        )
    batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = a.expand(*batch, *a.shape[-2:])
    b = b.expand(*batch, *b.shape[-2:])
    return torch.cdist(a, b)


# --------------------------------------------------------------------------
# sequences and Fourier transforms


@keras_op("ExtractSequences")
def extract_sequences(
    x: ArrayLike, sequence_length: int, sequence_stride: int
) -> Tensor:
    """Frames of the last axis: `(..., num_frames, sequence_length)`."""
    return _t(x).unfold(-1, sequence_length, sequence_stride)


def _complex(x: Any) -> Tensor:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            "Expected `x` to be a tuple (real, imag) of two float tensors, "
            f"received: {type(x).__name__}."
        )
    re, im = _t(x[0]), _t(x[1])
    if re.shape != im.shape:
        raise ValueError(
            "The real and imaginary parts must have the same shape, received "
            f"{tuple(re.shape)} and {tuple(im.shape)}."
        )
    if not re.is_floating_point() or not im.is_floating_point():
        raise ValueError("The real and imaginary parts must be float tensors.")
    return torch.complex(re, im)


def _parts(z: Tensor) -> tuple[Tensor, Tensor]:
    return z.real, z.imag


@keras_op("FFT")
def fft(x: tuple[ArrayLike, ArrayLike]) -> tuple[Tensor, Tensor]:
    """FFT over the last axis of `(real, imag)`; returns `(real, imag)`."""
    return _parts(torch.fft.fft(_complex(x)))


@keras_op("FFT2")
def fft2(x: tuple[ArrayLike, ArrayLike]) -> tuple[Tensor, Tensor]:
    """2-D FFT over the last two axes of `(real, imag)`."""
    return _parts(torch.fft.fft2(_complex(x)))


@keras_op("IFFT2")
def ifft2(x: tuple[ArrayLike, ArrayLike]) -> tuple[Tensor, Tensor]:
    """Inverse 2-D FFT over the last two axes of `(real, imag)`."""
    return _parts(torch.fft.ifft2(_complex(x)))


@keras_op("RFFT")
def rfft(x: ArrayLike, fft_length: int | None = None) -> tuple[Tensor, Tensor]:
    """FFT of a real signal over its last axis: `fft_length // 2 + 1` bins."""
    return _parts(torch.fft.rfft(_to_float(_t(x)), n=fft_length, dim=-1))


@keras_op("IRFFT")
def irfft(x: tuple[ArrayLike, ArrayLike], fft_length: int | None = None) -> Tensor:
    """Inverse of `rfft`: a real signal of length `fft_length`."""
    return torch.fft.irfft(_complex(x), n=fft_length, dim=-1)


def _window(window: Any, length: int, dtype: torch.dtype, device: Any) -> Tensor:
    if window is None:
        return torch.ones(length, dtype=dtype, device=device)
    if isinstance(window, str):
        makers = {"hann": torch.hann_window, "hamming": torch.hamming_window}
        if window not in makers:
            raise ValueError(
                f"`window` must be 'hann', 'hamming', a tensor or None, "
                f"received: {window!r}."
            )
        return makers[window](length, periodic=True, dtype=dtype, device=device)
    win = _t(window).to(dtype)
    if win.shape != (length,):
        raise ValueError(
            f"`window` must have shape ({length},), received {tuple(win.shape)}."
        )
    return win


@keras_op("STFT")
def stft(
    x: ArrayLike,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: Any = "hann",
    center: bool = True,
) -> tuple[Tensor, Tensor]:
    """Short-time Fourier transform of the last axis.

    Args:
        x: float32/float64 signal `(..., samples)`.
        sequence_length: window length.
        sequence_stride: hop between frames.
        fft_length: FFT size (>= `sequence_length`).
        window: `"hann"`, `"hamming"`, a 1-D tensor, or None (rectangular).
        center: pad (reflect) the signal so frames are centred.

    Returns:
        `(real, imag)`, each `(..., num_frames, fft_length // 2 + 1)`.
    """
    x = _t(x)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"stft expects a float32 or float64 input, received {x.dtype}.")
    if fft_length < sequence_length:
        raise ValueError(
            f"`fft_length` ({fft_length}) must be >= `sequence_length` "
            f"({sequence_length})."
        )
    win = _window(window, sequence_length, x.dtype, x.device)
    batch = x.shape[:-1]
    z = torch.stft(
        x.reshape(-1, x.shape[-1]),
        n_fft=fft_length,
        hop_length=sequence_stride,
        win_length=sequence_length,
        window=win,
        center=center,
        return_complex=True,
    )
    z = z.reshape(*batch, *z.shape[-2:]).transpose(-1, -2)
    return _parts(z)


def _overlap_add(frames: Tensor, stride: int) -> Tensor:
    """Sums frames `(..., n, length)` placed `stride` apart."""
    *batch, n, length = frames.shape
    total = stride * (n - 1) + length
    cols = frames.reshape(-1, n, length).transpose(1, 2)
    out = F.fold(
        cols, output_size=(1, total), kernel_size=(1, length), stride=(1, stride)
    )
    return out.reshape(*batch, total)


@keras_op("ISTFT")
def istft(
    x: tuple[ArrayLike, ArrayLike],
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: int | None = None,
    window: Any = "hann",
    center: bool = True,
) -> Tensor:
    """Inverse of `stft` (same arguments), by windowed overlap-add."""
    z = _complex(x)
    dtype = z.real.dtype
    win = None if window is None else _window(window, sequence_length, dtype, z.device)
    if sequence_length == fft_length and center and win is not None:
        batch = z.shape[:-2]
        flat = z.reshape(-1, *z.shape[-2:]).transpose(-1, -2)
        out = torch.istft(
            flat,
            n_fft=fft_length,
            hop_length=sequence_stride,
            win_length=sequence_length,
            window=win,
            center=True,
            length=length,
        )
        return out.reshape(*batch, out.shape[-1])
    frames = torch.fft.irfft(z, n=fft_length, dim=-1)
    n_frames = frames.shape[-2]
    if win is not None:
        left = (fft_length - sequence_length) // 2
        win = F.pad(win, (left, fft_length - sequence_length - left))
        # Divide by the overlapped squared window (TF's inverse window).
        overlaps = -(-fft_length // sequence_stride)
        sq = F.pad(torch.square(win), (0, overlaps * sequence_stride - fft_length))
        denom = sq.reshape(overlaps, sequence_stride).sum(0).repeat(overlaps)
        frames = frames * (win / denom[:fft_length])
    out = _overlap_add(frames, sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = out.shape[-1] - fft_length // 2
    else:
        end = fft_length + sequence_stride * (n_frames - 1)
    return out[..., start:end]


@keras_op("ViewAsComplex")
def view_as_complex(x: ArrayLike) -> Tensor:
    """A complex view of a float tensor whose last axis is (real, imag)."""
    x = _t(x)
    if x.shape[-1] != 2:
        raise ValueError(
            f"view_as_complex expects a last axis of size 2, received shape "
            f"{tuple(x.shape)}."
        )
    return torch.view_as_complex(x.contiguous())


@keras_op("ViewAsReal")
def view_as_real(x: ArrayLike) -> Tensor:
    """A float view of a complex tensor, with (real, imag) as a new last axis."""
    x = _t(x)
    if not x.is_complex():
        raise ValueError(f"view_as_real expects a complex tensor, received {x.dtype}.")
    return torch.view_as_real(x)


__all__ = [
    "cdist",
    "erf",
    "erfc",
    "gammainc",
    "erfinv",
    "extract_sequences",
    "fft",
    "fft2",
    "ifft2",
    "in_top_k",
    "irfft",
    "istft",
    "logdet",
    "logsumexp",
    "rfft",
    "rsqrt",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "stft",
    "top_k",
    "view_as_complex",
    "view_as_real",
]
