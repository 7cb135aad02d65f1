"""`STFTSpectrogram`: a short-time Fourier transform as a strided convolution."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch

from cornu import config, initializers
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.convolutional import conv_utils
from cornu.ops.nn import conv

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """Computes spectrograms of 1-D signals with a short-time Fourier transform.

    The transform is a strided convolution whose kernels hold the windowed
    DFT basis (`real_kernel` for the cosine part, `imag_kernel` for the sine
    part, initialized by `keras.initializers.STFT`), so the layer runs as one
    convolution on any device and its kernels can be fine-tuned. Each input
    channel is transformed independently with the same kernels.

    Args:
        mode: the output: `"log"` (log magnitude, the default),
            `"magnitude"`, `"psd"` (power spectral density), `"real"`,
            `"imag"`, `"angle"` (phase) or `"stft"` (real and imaginary
            parts stacked along the frequency axis).
        frame_length: samples per frame (the window length).
        frame_step: samples between frames; `None` means `frame_length // 2`.
        fft_length: FFT size, at least `frame_length` (a power of two is
            recommended); `None` means the smallest power of two not below
            `frame_length`.
        window: a window name (`"hann"`, `"hamming"`, ...), an array of
            `frame_length` values, or `None` for no window.
        periodic: whether the named window is periodic rather than symmetric.
        scaling: window normalisation: `"density"` (L2), `"spectrum"` (L1)
            or `None`.
        padding: `"valid"` or `"same"` (keeps `ceil(time / frame_step)`
            frames).
        expand_dims: whether to keep frequency and channels as two axes
            (an image-like output) rather than flattening them into one.
        data_format: `"channels_last"` (`(batch, time, channels)`) or
            `"channels_first"` (`(batch, channels, time)`); defaults to
            `keras.config.image_data_format()`.

    Call arguments:
        inputs: a float16/float32/float64 tensor of rank 3.

    Input shape:
        `(batch, time, channels)`, or `(batch, channels, time)` with
        `data_format="channels_first"`.

    Output shape:
        With `F = fft_length // 2 + 1` (doubled for `mode="stft"`) and `T'`
        frames: `(batch, T', channels * F)` (channels-last) or
        `(batch, channels * F, T')` (channels-first); with `expand_dims`,
        `(batch, T', F, channels)` or `(batch, channels, T', F)`.

    Returns:
        The spectrogram tensor.

    Example:

    >>> import numpy as np
    >>> layer = STFTSpectrogram(frame_length=64, frame_step=32, padding="same")
    >>> tuple(layer(np.zeros((2, 1000, 1), "float32")).shape)
    (2, 32, 33)
    """

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: int | None = None,
        fft_length: int | None = None,
        window: Any = "hann",
        periodic: bool = False,
        scaling: str | None = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(
                "`frame_step` should be a positive integer not greater than "
                f"`frame_length`. Received frame_step={frame_step}, "
                f"frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(
                "`fft_length` is recommended to be a power of two. "
                f"Received fft_length={fft_length}",
                stacklevel=2,
            )
        if mode not in _MODES:
            raise ValueError(
                f"Output mode is invalid, it must be one of {', '.join(_MODES)}. "
                f"Received: mode={mode}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                "Padding is invalid, it should be 'valid', 'same'. "
                f"Received: padding={padding}"
            )
        # The initializers validate `window` and `scaling` now, not at build.
        self._initializers = {
            side: initializers.STFT(side, window, scaling, periodic)
            for side in ("real", "imag")
        }
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** math.ceil(math.log2(frame_length))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: Any) -> None:
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape, initializer=self._initializers["real"]
            )
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape, initializer=self._initializers["imag"]
            )

    def _transform(self, x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        # x: (B, C, T) -> (B, C, F, T')
        batch, channels, time = x.shape
        out = conv(
            x.reshape(batch * channels, 1, time),
            kernel.to(x.dtype),
            strides=self._frame_step,
            padding=self.padding,
            data_format="channels_first",
        )
        return out.reshape(batch, channels, *out.shape[1:])

    def _layout(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C, F, T') -> the documented output layout
        batch, channels, freq, frames = x.shape
        if self.expand_dims:
            if self.data_format == "channels_last":
                return x.permute(0, 3, 2, 1)  # (B, T', F, C)
            return x.transpose(2, 3)  # (B, C, T', F)
        x = x.reshape(batch, channels * freq, frames)
        return x.transpose(1, 2) if self.data_format == "channels_last" else x

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype not in (torch.float16, torch.float32, torch.float64):
            raise TypeError(
                f'Layer "{self.name}" (STFTSpectrogram) expects a float16, '
                f"float32 or float64 input, received {inputs.dtype}."
            )
        x = inputs.transpose(1, 2) if self.data_format == "channels_last" else inputs
        real = self._transform(x, self.real_kernel) if self.mode != "imag" else None
        imag = self._transform(x, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._layout(real)  # type: ignore[arg-type]
        if self.mode == "imag":
            return self._layout(imag)  # type: ignore[arg-type]
        assert real is not None and imag is not None
        if self.mode == "angle":
            return self._layout(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._layout(torch.cat([real, imag], dim=2))
        power = real.square() + imag.square()
        if self.mode == "psd":
            # One-sided density: every bin but DC and Nyquist counts twice.
            inner = torch.nn.functional.pad(power[:, :, 1:-1], (0, 0, 1, 1))
            return self._layout(power + inner)
        eps = config.epsilon()
        magnitude = self._layout(power.clamp_min(eps).sqrt())
        if self.mode == "magnitude":
            return magnitude
        return magnitude.clamp_min(eps).log()

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        channels_last = self.data_format == "channels_last"
        batch = input_shape[0]
        time = input_shape[1] if channels_last else input_shape[2]
        channels = input_shape[2] if channels_last else input_shape[1]
        freq = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        frames = None
        if time is not None:
            if self.padding == "same":
                frames = -(-time // self._frame_step)
            else:
                frames = max((time - self.frame_length) // self._frame_step + 1, 0)
        if self.expand_dims:
            if channels_last:
                return (batch, frames, freq, channels)
            return (batch, channels, frames, freq)
        flat = None if channels is None else channels * freq
        return (batch, frames, flat) if channels_last else (batch, flat, frames)

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if isinstance(window, (np.ndarray, torch.Tensor)):
            window = np.asarray(window).tolist()
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
