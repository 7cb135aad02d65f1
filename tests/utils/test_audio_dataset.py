"""audio_dataset_from_directory: WAV trees written in tmp_path."""

from __future__ import annotations

import os
import wave

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.utils import dataset_utils
from cornu.utils.audio_dataset_utils import (
    audio_dataset_from_directory,
    read_wav,
    resample,
)


def _write_wav(path, samples: np.ndarray, rate: int = 8000, width: int = 2) -> None:
    """`samples`: (n, channels) ints in the file's own PCM encoding."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        if width == 3:
            ints = samples.astype("<i4").reshape(-1, 1).view(np.uint8)[:, :3]
            f.writeframes(ints.tobytes())
        else:
            dtype = {1: "u1", 2: "<i2", 4: "<i4"}[width]
            f.writeframes(samples.astype(dtype).tobytes())


@pytest.fixture
def audio_dir(tmp_path):
    """Two classes, 5 + 4 stereo files of lengths 3..11, one nested."""
    rng = np.random.RandomState(0)
    lengths = {}
    for c, name in enumerate(("down", "up")):
        os.makedirs(tmp_path / name / "more")
        for i in range(5 - c):
            n = 3 + 2 * i + c
            folder = tmp_path / name / ("more" if i == 2 else "")
            path = folder / f"{name}_{i}.wav"
            _write_wav(path, rng.randint(-32768, 32767, (n, 2)))
            lengths[str(path)] = n
    (tmp_path / "down" / "notes.txt").write_text("ignored")
    return tmp_path, lengths


def test_split_order_labels_padding_and_fit(audio_dir, capsys) -> None:
    root, lengths = audio_dir
    train, val = audio_dataset_from_directory(
        root, validation_split=0.3, subset="both", seed=7, batch_size=4
    )
    out = capsys.readouterr().out
    assert "Found 9 files belonging to 2 classes." in out
    assert "Using 7 files for training." in out
    assert "Using 2 files for validation." in out
    assert train.class_names == val.class_names == ["down", "up"]
    # The split is the one every directory helper uses.
    paths, labels, names = dataset_utils.index_directory(
        root, "inferred", (".wav",), shuffle=True, seed=7, verbose=False
    )
    assert train.file_paths == paths[:7] and val.file_paths == paths[7:]
    assert names == ["down", "up"] and labels is not None
    # Validation is never shuffled: its batches follow file_paths.
    audio, y = next(iter(val))
    assert y.tolist() == labels[7:].tolist() and y.dtype == torch.int32
    longest = max(lengths[p] for p in val.file_paths)
    assert tuple(audio.shape) == (2, longest, 2) and audio.dtype == torch.float32
    for row, path in zip(audio, val.file_paths):
        decoded, rate = read_wav(path)
        assert rate == 8000
        n = lengths[path]
        torch.testing.assert_close(row[:n], decoded, rtol=0, atol=0)
        assert not row[n:].any()  # zero padding after the end
    model = keras.Sequential(
        [
            keras.Input((None, 2)),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
        ]
    )
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2


def test_output_sequence_length_label_modes_and_unbatched(audio_dir) -> None:
    root, lengths = audio_dir
    ds = audio_dataset_from_directory(
        root,
        label_mode="categorical",
        output_sequence_length=6,
        shuffle=False,
        batch_size=3,
        verbose=False,
    )
    unshuffled, _, _ = dataset_utils.index_directory(
        root, "inferred", (".wav",), shuffle=False, verbose=False
    )
    assert ds.file_paths == unshuffled
    batches = list(ds)
    assert [tuple(a.shape) for a, _ in batches] == [(3, 6, 2)] * 3
    labels = torch.cat([y for _, y in batches])
    assert labels.dtype == torch.float32 and labels.sum(0).tolist() == [5.0, 4.0]
    first = batches[0][0][0]
    decoded, _ = read_wav(ds.file_paths[0])
    n = min(6, lengths[ds.file_paths[0]])
    torch.testing.assert_close(first[:n], decoded[:n], rtol=0, atol=0)
    binary = audio_dataset_from_directory(
        root, label_mode="binary", batch_size=None, shuffle=False, verbose=False
    )
    x, y = next(iter(binary))
    assert x.dim() == 2 and y.shape == (1,) and y.dtype == torch.float32
    unlabelled = audio_dataset_from_directory(
        root, labels=None, batch_size=9, verbose=False
    )
    assert unlabelled.class_names is None
    (audio,) = [b for b in unlabelled]
    assert tuple(audio.shape) == (9, 11, 2)
    only_up = audio_dataset_from_directory(
        root, class_names=["up"], shuffle=False, verbose=False
    )
    assert len(only_up.file_paths) == 4 and only_up.class_names == ["up"]


def test_explicit_labels_and_training_subset(audio_dir, capsys) -> None:
    root, _ = audio_dir
    ds = audio_dataset_from_directory(
        root, labels=list(range(9)), shuffle=False, batch_size=9
    )
    assert "Found 9 files belonging to 9 classes." in capsys.readouterr().out
    _, y = next(iter(ds))
    assert y.tolist() == list(range(9))
    train = audio_dataset_from_directory(
        root, validation_split=0.5, subset="training", seed=1, verbose=False
    )
    assert len(train.file_paths) == 5


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_read_wav_pcm_widths(tmp_path, width: int) -> None:
    bits = 8 * width
    full = 2.0 ** (bits - 1)
    values = np.array([[-full], [-full / 2], [0], [full / 4], [full - 1]])
    stored = values + 128 if width == 1 else values
    _write_wav(tmp_path / "a.wav", stored.astype("int64"), rate=22050, width=width)
    audio, rate = read_wav(str(tmp_path / "a.wav"))
    assert rate == 22050 and audio.dtype == torch.float32
    np.testing.assert_allclose(audio.numpy(), values / full, rtol=0, atol=1e-7)


def test_sampling_rate_resamples_band_limited_signals(tmp_path) -> None:
    # A whole number of periods of a 500 Hz tone: resampling is exact.
    t = np.arange(160) / 8000.0
    tone = np.round(0.5 * np.sin(2 * np.pi * 500 * t) * 32767).astype("int64")
    os.makedirs(tmp_path / "a")
    _write_wav(tmp_path / "a" / "tone.wav", tone[:, None], rate=8000)
    ds = audio_dataset_from_directory(
        tmp_path, sampling_rate=16000, batch_size=None, verbose=False
    )
    audio, _ = next(iter(ds))
    t2 = np.arange(320) / 16000.0
    expected = 0.5 * np.sin(2 * np.pi * 500 * t2) * 32767 / 32768
    assert tuple(audio.shape) == (320, 1)
    np.testing.assert_allclose(audio[:, 0].numpy(), expected, atol=1e-4)
    same = resample(torch.ones(4, 1), 8000, 8000)
    assert torch.equal(same, torch.ones(4, 1))


def test_errors(audio_dir, tmp_path) -> None:
    root, _ = audio_dir
    with pytest.raises(ValueError, match="ragged=True is not available"):
        audio_dataset_from_directory(root, ragged=True)
    with pytest.raises(ValueError, match="Cannot set both `ragged`"):
        audio_dataset_from_directory(root, ragged=True, output_sequence_length=4)
    with pytest.raises(ValueError, match="integer value.*sampling_rate=8000.0"):
        audio_dataset_from_directory(root, sampling_rate=8000.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="higher than 0.*sampling_rate=0"):
        audio_dataset_from_directory(root, sampling_rate=0)
    with pytest.raises(ValueError, match="`label_mode` argument must be one of"):
        audio_dataset_from_directory(root, label_mode="sparse")
    with pytest.raises(ValueError, match="list/tuple of integer labels"):
        audio_dataset_from_directory(root, labels="folders")
    with pytest.raises(ValueError, match="you must provide a `seed`"):
        audio_dataset_from_directory(root, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match='`format` should be "torch"'):
        audio_dataset_from_directory(root, format="numpy")
    with pytest.raises(ValueError, match="exactly 2 class_names"):
        audio_dataset_from_directory(root / "up", label_mode="binary", verbose=False)
    empty = tmp_path / "empty"
    os.makedirs(empty / "x")
    with pytest.raises(ValueError, match=r"No audio files found.*\('.wav',\)"):
        audio_dataset_from_directory(empty, verbose=False)
    bad = tmp_path / "bad" / "k"
    os.makedirs(bad)
    (bad / "x.wav").write_bytes(b"not a wav file at all")
    ds = audio_dataset_from_directory(tmp_path / "bad", verbose=False)
    with pytest.raises(ValueError, match="Could not decode .*x.wav.* PCM WAV"):
        next(iter(ds))


def test_docstring_example_runs() -> None:
    import doctest

    from cornu.utils import audio_dataset_utils

    result = doctest.testmod(audio_dataset_utils)
    assert result.attempted > 0 and result.failed == 0
