"""Deterministic initializers: constants, identity, and STFT kernels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.core import serialization
from cornu.initializers.initializer import Initializer
from cornu.ops.core import convert_to_tensor


def _shape(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(d) for d in shape)


class Constant(Initializer):
    """Fills the tensor with `value`.

    Args:
        value: a Python scalar (an array broadcastable to the shape also
            works).

    Example:
    >>> Constant(3.0)((2,)).tolist()
    [3.0, 3.0]
    """

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        dtype = config.torch_dtype(dtype)
        shape = _shape(shape)
        if isinstance(self.value, (int, float, bool)):
            return torch.full(shape, self.value, dtype=dtype, device=config.device())
        value = convert_to_tensor(self.value, dtype)
        return torch.broadcast_to(value, shape).clone()

    def get_config(self) -> dict[str, Any]:
        return {"value": serialization.serialize_keras_object(self.value)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constant:
        return cls(serialization.deserialize_keras_object(config["value"]))


class Zeros(Initializer):
    """Fills the tensor with 0.

    Example:
    >>> Zeros()((2,), dtype="int32").tolist()
    [0, 0]
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return torch.zeros(
            _shape(shape), dtype=config.torch_dtype(dtype), device=config.device()
        )


class Ones(Initializer):
    """Fills the tensor with 1.

    Example:
    >>> Ones()((2,)).tolist()
    [1.0, 1.0]
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return torch.ones(
            _shape(shape), dtype=config.torch_dtype(dtype), device=config.device()
        )


class Identity(Initializer):
    """The identity matrix times `gain` (2-D shapes only; may be non-square).

    Args:
        gain: the value on the diagonal.

    Example:
    >>> Identity(gain=2.0)((2, 3)).tolist()
    [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        eye = torch.eye(*shape, dtype=config.torch_dtype(dtype), device=config.device())
        return eye if self.gain == 1.0 else self.gain * eye

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


# Windows torch computes itself; `periodic` maps to `sym=not periodic`, the
# convention of scipy.signal.get_window's `fftbins`, which Keras uses.
_TORCH_WINDOWS = {
    "hann": torch.signal.windows.hann,
    "hanning": torch.signal.windows.hann,
    "hamming": torch.signal.windows.hamming,
    "blackman": torch.signal.windows.blackman,
    "bartlett": torch.signal.windows.bartlett,
    "cosine": torch.signal.windows.cosine,
    "nuttall": torch.signal.windows.nuttall,
}


def _window(window: Any, length: int, periodic: bool) -> np.ndarray:
    if not isinstance(window, str):
        return np.asarray(window, dtype=np.float64)
    if window in _TORCH_WINDOWS:
        fn = _TORCH_WINDOWS[window]
        return fn(length, sym=not periodic, dtype=torch.float64).numpy()
    try:
        import scipy.signal
    except ImportError:
        raise ValueError(
            f"Unknown window {window!r}: expected one of {sorted(_TORCH_WINDOWS)}, "
            "an array of window values, or None (other scipy.signal windows "
            "need scipy installed)."
        ) from None
    return np.asarray(scipy.signal.get_window(window, length, periodic))


class STFT(Initializer):
    """Kernels of a convolution that computes a short-time Fourier transform.

    For a shape `(frame_length, channels, fft_length // 2 + 1)` the kernel
    holds the real (`cos`) or imaginary (`-sin`) part of the DFT basis,
    optionally multiplied by a window. It is meant for `STFTSpectrogram`.

    Args:
        side: `"real"` or `"imag"`: which part of the transform to compute.
        window: a window name (`"hann"`, `"hamming"`, `"blackman"`,
            `"bartlett"`, `"cosine"`, `"nuttall"`; other `scipy.signal`
            names when scipy is installed), an array of `frame_length`
            values, or `None` for no window.
        scaling: `"density"` (divide by the window's L2 norm),
            `"spectrum"` (by its L1 norm) or `None`.
        periodic: whether the window is periodic (for spectral analysis)
            rather than symmetric.

    Example:
    >>> STFT("real", window=None)((4, 1, 3)).shape
    torch.Size([4, 1, 3])
    """

    def __init__(
        self,
        side: str = "real",
        window: Any = "hann",
        scaling: str | None = "density",
        periodic: bool = False,
    ) -> None:
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side!r}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling!r}"
            )
        if isinstance(window, str):
            _window(window, 1, periodic)  # fail now on an unknown name
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        frame_length, _, fft_bins = _shape(shape)
        # Built in float64 and cast once, so float32 kernels are exact to
        # rounding whatever the frame length.
        time = np.arange(frame_length, dtype=np.float64).reshape(-1, 1, 1)
        freq = np.arange(fft_bins, dtype=np.float64).reshape(1, 1, -1)
        args = -2.0 * math.pi * time * freq / ((fft_bins - 1) * 2)
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is not None:
            win = _window(self.window, frame_length, self.periodic)
            if win.shape != (frame_length,):
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]. "
                    f"Received: window shape={win.shape}"
                )
            kernel = kernel * win.reshape(-1, 1, 1)
            if self.scaling == "density":
                kernel = kernel / np.sqrt(np.sum(win**2))
            elif self.scaling == "spectrum":
                kernel = kernel / np.sum(np.abs(win))
        return torch.as_tensor(
            kernel, dtype=config.torch_dtype(dtype), device=config.device()
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }
