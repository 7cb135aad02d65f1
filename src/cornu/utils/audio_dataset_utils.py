"""`audio_dataset_from_directory`: a torch `DataLoader` of WAV batches."""

from __future__ import annotations

import functools
import os
import wave
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cornu.utils import dataset_utils

ALLOWED_FORMATS = (".wav",)
# Integer PCM sample width (bytes) -> (numpy dtype, value of full scale).
_PCM = {
    1: ("u1", 128.0),
    2: ("<i2", 32768.0),
    3: (None, 8388608.0),
    4: ("<i4", 2.0**31),
}


def read_wav(path: str) -> tuple[torch.Tensor, int]:
    """Decodes a PCM WAV file with the standard library's `wave` module.

    Returns:
        `(audio, sampling_rate)`: float32 samples in `[-1, 1)` of shape
        `(samples, channels)`, and the file's rate in Hz.
    """
    try:
        with wave.open(path, "rb") as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            raw = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(
            f"Could not decode {path!r} as a PCM WAV file (the only audio "
            f"format audio_dataset_from_directory reads): {e}"
        ) from None
    if width not in _PCM:
        raise ValueError(
            f"Unsupported WAV sample width in {path!r}: expected 1, 2, 3 or 4 "
            f"bytes per sample, received {width}."
        )
    dtype, scale = _PCM[width]
    if dtype is None:  # 24-bit: widen each little-endian triple to int32
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        values = np.where(ints >= 1 << 23, ints - (1 << 24), ints).astype(np.float64)
    else:
        values = np.frombuffer(raw, dtype=dtype).astype(np.float64)
        if width == 1:  # 8-bit WAV is unsigned, centred on 128
            values -= 128.0
    audio = (values / scale).astype(np.float32).reshape(-1, channels)
    return torch.from_numpy(audio), rate


def resample(audio: torch.Tensor, rate_in: int, rate_out: int) -> torch.Tensor:
    """Band-limited (Fourier) resampling of `(samples, channels)` audio."""
    if rate_in == rate_out:
        return audio
    n = audio.shape[0]
    m = max(1, round(n * rate_out / rate_in))
    spectrum = torch.fft.rfft(audio.double(), dim=0)
    # irfft truncates or zero-pads the spectrum to m // 2 + 1 bins.
    out = torch.fft.irfft(spectrum, n=m, dim=0) * (m / n)
    return out.to(audio.dtype)


def load_audio(
    path: str,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
) -> torch.Tensor:
    """Reads one WAV file as `(samples, channels)` float32, resampled to
    `sampling_rate` and cut or zero-padded to `output_sequence_length`."""
    audio, rate = read_wav(path)
    if sampling_rate is not None:
        audio = resample(audio, rate, sampling_rate)
    if output_sequence_length is not None:
        audio = audio[:output_sequence_length]
        missing = output_sequence_length - audio.shape[0]
        if missing > 0:
            audio = torch.nn.functional.pad(audio, (0, 0, 0, missing))
    return audio


def _pad_batch(samples: list[Any]) -> Any:
    """Stacks a batch, zero-padding each sequence to the longest one."""
    labelled = bool(samples) and isinstance(samples[0], tuple)
    audios = [s[0] for s in samples] if labelled else list(samples)
    batch = torch.nn.utils.rnn.pad_sequence(audios, batch_first=True)
    if labelled:
        return batch, torch.stack([s[1] for s in samples])
    return batch


def audio_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
    format: str = "torch",
    num_workers: int = 0,
) -> Any:
    """Generates a dataset of audio batches from a directory of WAV files.

    The layout and the labels follow `image_dataset_from_directory`: with
    `labels="inferred"`, one subdirectory per class. Files are integer PCM
    WAV (8, 16, 24 or 32 bits), decoded to float32 in `[-1, 1)`.

    Args:
        directory: the root directory.
        labels: `"inferred"`, `None` (audio only), or a list of integer
            labels, one per file in the sorted order of the file paths.
        label_mode: `"int"`, `"categorical"`, `"binary"` or `None`.
        class_names: with `labels="inferred"`, the subdirectories to use, in
            the order of their class indices (default: all, sorted).
        batch_size: the batch size; `None` yields single samples.
        sampling_rate: resample every file to this rate (Hz); `None` keeps
            each file's own rate.
        output_sequence_length: cut or zero-pad every sequence to this many
            samples; `None` zero-pads each batch to its longest sequence.
        ragged: must be `False`: cornu has no ragged tensors.
        shuffle: whether to shuffle the files (and reshuffle each epoch).
        seed: the shuffling seed; required with `validation_split` and
            `shuffle`. The same seed gives Keras's split of the same files.
        validation_split: the fraction of the files kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (returns a tuple
            `(train_ds, val_ds)`); only with `validation_split`.
        follow_links: whether to follow symbolic links to subdirectories.
        verbose: whether to print how many files and classes were found.
        format: `"torch"`, the only format cornu provides.
        num_workers: worker processes that decode the files.

    Returns:
        A `DirectoryDataLoader` (a `torch.utils.data.DataLoader`) yielding
        `(audio, labels)` batches, `audio` float32 of shape
        `(batch, samples, channels)` and labels encoded per `label_mode`
        (or audio alone without labels); it has `class_names` and
        `file_paths`. With `subset="both"`, a tuple of two.

    Example:

    >>> import os, tempfile, wave
    >>> root = tempfile.mkdtemp()
    >>> for name, n in (("no", 3), ("yes", 5)):
    ...     os.makedirs(os.path.join(root, name))
    ...     with wave.open(os.path.join(root, name, "a.wav"), "wb") as f:
    ...         f.setnchannels(1); f.setsampwidth(2); f.setframerate(8000)
    ...         f.writeframes(b"\\x00\\x40" * n)
    >>> ds = audio_dataset_from_directory(root, shuffle=False)
    Found 2 files belonging to 2 classes.
    >>> audio, labels = next(iter(ds))
    >>> tuple(audio.shape), audio[0, :, 0].tolist(), labels.tolist()
    ((2, 5, 1), [0.5, 0.5, 0.5, 0.0, 0.0], [0, 1])
    """
    labels, label_mode = dataset_utils.check_label_args(
        labels, label_mode, class_names, "audio samples"
    )
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if ragged:
        raise ValueError(
            "audio_dataset_from_directory: ragged=True is not available in "
            "cornu (torch has no ragged tensors). Expected ragged=False "
            "(batches zero-padded to their longest sequence) or an "
            f"`output_sequence_length`; received ragged={ragged!r}."
        )
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int) or isinstance(sampling_rate, bool):
            raise ValueError(
                "`sampling_rate` should have an integer value. "
                f"Received: sampling_rate={sampling_rate}"
            )
        if sampling_rate <= 0:
            raise ValueError(
                "`sampling_rate` should be higher than 0. "
                f"Received: sampling_rate={sampling_rate}"
            )
    dataset_utils.check_format(format, grain=True)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    load = functools.partial(
        load_audio,
        sampling_rate=sampling_rate,
        output_sequence_length=output_sequence_length,
    )

    return dataset_utils.directory_dataset(
        directory,
        labels,
        label_mode,
        class_names,
        ALLOWED_FORMATS,
        "audio files",
        load,
        batch_size,
        shuffle,
        seed,
        validation_split,
        subset,
        follow_links,
        verbose,
        num_workers,
        collate_fn=_pad_batch if batch_size is not None else None,
        format=format,
    )
