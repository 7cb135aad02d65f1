"""`MelSpectrogram`: raw audio to (log-)mel spectrograms."""

from __future__ import annotations

import math
from typing import Any

import torch

from cornu import config
from cornu.core.layer import Layer
from cornu.ops.math import stft

# The HTK mel scale: mel(f) = 1127 * ln(1 + f / 700).
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(hertz: torch.Tensor) -> torch.Tensor:
    return _MEL_HIGH_FREQUENCY_Q * torch.log1p(hertz / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(
    num_mel_bins: int = 20,
    num_spectrogram_bins: int = 129,
    sampling_rate: float = 8000,
    lower_edge_hertz: float = 125.0,
    upper_edge_hertz: float = 3800.0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """The `(num_spectrogram_bins, num_mel_bins)` matrix of triangular mel
    filters (peak 1.0, HTK convention, DC bin zeroed) that maps a linear
    spectrum over `[0, sampling_rate / 2]` to mel bands over
    `[lower_edge_hertz, upper_edge_hertz]`."""
    f64 = torch.float64
    linear = torch.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins, dtype=f64)
    bins_mel = _hertz_to_mel(linear[1:]).unsqueeze(1)  # (S - 1, 1)
    edges = torch.linspace(
        float(_hertz_to_mel(torch.tensor(lower_edge_hertz, dtype=f64))),
        float(_hertz_to_mel(torch.tensor(upper_edge_hertz, dtype=f64))),
        num_mel_bins + 2,
        dtype=f64,
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]  # (M,) each
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = torch.minimum(rising, falling).clamp_min(0.0)  # (S - 1, M)
    weights = torch.nn.functional.pad(weights, (0, 0, 1, 0))
    return weights.to(dtype)


class MelSpectrogram(Layer):
    """Converts raw audio signals to mel spectrograms.

    The signal goes through a centred short-time Fourier transform, its
    magnitude is raised to `mag_exp`, mapped to `num_mel_bins` triangular
    mel bands, and (with `power_to_db`) converted to decibels relative to
    `ref_power`, clipped at `top_db` below the largest value of the whole
    input. The layer has no weights.

    Args:
        fft_length: the FFT size.
        sequence_stride: samples between successive frames.
        sequence_length: the window length; `None` means `fft_length`.
        window: `"hann"`, `"hamming"`, an array of `sequence_length` values,
            or `None` for no window.
        sampling_rate: the sample rate of the signal, in Hz.
        num_mel_bins: the number of mel bands.
        min_freq: the lower edge of the lowest band, in Hz.
        max_freq: the upper edge of the highest band; `None` means
            `sampling_rate / 2`.
        power_to_db: whether to convert the power to decibels.
        top_db: the dynamic range kept below the maximum, in dB.
        mag_exp: the exponent of the magnitude (1: magnitude, 2: power).
        min_power: the floor of the power and of `ref_power`.
        ref_power: the reference power: the output is
            `10 * log10(S / ref_power)`.

    Call arguments:
        inputs: a signal `(samples,)` or a batch `(batch, samples)`.

    Input shape:
        `(samples,)` or `(batch, samples)`.

    Output shape:
        `(num_mel_bins, frames)` or `(batch, num_mel_bins, frames)` with
        `frames = 1 + samples // sequence_stride`.

    Returns:
        The mel spectrogram, in the layer's compute dtype.

    Example:

    >>> import numpy as np
    >>> layer = MelSpectrogram(
    ...     num_mel_bins=64, sampling_rate=8000, sequence_stride=256,
    ...     fft_length=2048)
    >>> tuple(layer(np.random.rand(2, 16000).astype("float32")).shape)
    (2, 64, 63)
    """

    _mel_matrix: torch.Tensor

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: int | None = None,
        window: Any = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: float | None = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ) -> None:
        sequence_length = sequence_length or fft_length
        if fft_length < sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to `sequence_length`. "
                f"Received: `sequence_length`={sequence_length}, "
                f"`fft_length`={fft_length}."
            )
        if isinstance(window, str) and window not in ("hann", "hamming"):
            raise ValueError(
                'If a string is passed to `window`, it must be one of "hann", '
                f'"hamming". Received: window={window}'
            )
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        # A buffer, so `.to(device)` moves it; not saved (the config has it).
        matrix = linear_to_mel_weight_matrix(
            num_mel_bins, fft_length // 2 + 1, sampling_rate, min_freq, self.max_freq
        )
        self.register_buffer("_mel_matrix", matrix, persistent=False)

    def linear_to_mel_weight_matrix(
        self,
        num_mel_bins: int = 20,
        num_spectrogram_bins: int = 129,
        sampling_rate: float = 8000,
        lower_edge_hertz: float = 125.0,
        upper_edge_hertz: float = 3800.0,
        dtype: Any = "float32",
    ) -> torch.Tensor:
        """Returns the `(num_spectrogram_bins, num_mel_bins)` matrix that maps
        a linear-frequency spectrum to mel bands (see the module function)."""
        return linear_to_mel_weight_matrix(
            num_mel_bins,
            num_spectrogram_bins,
            sampling_rate,
            lower_edge_hertz,
            upper_edge_hertz,
            config.torch_dtype(dtype),
        )

    def call(self, inputs: Any) -> torch.Tensor:
        compute = self._compute_torch_dtype
        dtype = compute if compute in (torch.float32, torch.float64) else torch.float32
        x = torch.as_tensor(inputs).to(dtype)
        real, imag = stft(
            x,
            sequence_length=self.sequence_length,
            sequence_stride=self.sequence_stride,
            fft_length=self.fft_length,
            window=self.window,
            center=True,
        )  # (..., frames, bins) each
        spec = torch.sqrt(real.square() + imag.square()).pow(self.mag_exp)
        mel = spec @ self._mel_matrix.to(dtype)  # (..., frames, mel)
        if self.power_to_db:
            mel = self._to_db(mel)
        return mel.transpose(-1, -2).to(compute)

    def _to_db(self, power: torch.Tensor) -> torch.Tensor:
        db = 10.0 * torch.log10(power.clamp_min(self.min_power))
        db = db - 10.0 * math.log10(max(abs(self.ref_power), self.min_power))
        # As Keras does, the floor is relative to the largest value of the
        # whole input (all batch items together).
        return torch.maximum(db, db.max() - self.top_db)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        *batch, samples = input_shape
        frames = None if samples is None else 1 + samples // self.sequence_stride
        return (*batch, self.num_mel_bins, frames)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
