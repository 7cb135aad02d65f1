"""STFTSpectrogram and MelSpectrogram: the harness, then Keras and NumPy
references on the same signals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.preprocessing.mel_spectrogram import MelSpectrogram
from cornu.layers.preprocessing.stft_spectrogram import STFTSpectrogram

_MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]


def _signal(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _np(x: Any) -> np.ndarray:
    return np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x)


# ------------------------------------------------------------ STFTSpectrogram


@pytest.mark.parametrize(
    "kwargs, input_shape, expected, n_weights",
    [
        ({"frame_length": 16, "frame_step": 8}, (2, 64, 1), (2, 7, 9), 2),
        (
            {"frame_length": 16, "padding": "same", "mode": "stft"},
            (2, 64, 3),
            (2, 8, 3 * 18),
            2,
        ),
        (
            {"frame_length": 12, "mode": "real", "expand_dims": True},
            (2, 60, 2),
            (2, 9, 9, 2),
            1,
        ),
        (
            {"frame_length": 16, "mode": "imag", "data_format": "channels_first"},
            (2, 2, 64),
            (2, 2 * 9, 7),
            1,
        ),
    ],
)
def test_stft_spectrogram_harness(
    layer_test: Any, kwargs: dict, input_shape: tuple, expected: tuple, n_weights: int
) -> None:
    layer_test(
        STFTSpectrogram,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=expected,
        expected_num_trainable_weights=n_weights,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize("mode", _MODES)
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("expand_dims", [False, True])
def test_stft_spectrogram_matches_keras(
    keras_oracle: Any, mode: str, padding: str, data_format: str, expand_dims: bool
) -> None:
    # An array window: Keras needs scipy for named ones.
    kwargs: dict[str, Any] = dict(
        mode=mode,
        frame_length=64,
        frame_step=20,
        fft_length=128,
        window=np.hanning(64).astype("float32"),
        padding=padding,
        data_format=data_format,
        expand_dims=expand_dims,
    )
    x = _signal((2, 300, 2))
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 2, 1))
    ours_layer = STFTSpectrogram(**kwargs)
    theirs_layer = keras_oracle.layers.STFTSpectrogram(**kwargs)
    ours, theirs = _np(ours_layer(x)), _np(theirs_layer(x))
    assert ours.shape == theirs.shape
    assert ours_layer.compute_output_shape(x.shape) == tuple(
        theirs_layer.compute_output_shape(x.shape)
    )
    if mode == "angle":
        # The phase of a near-zero bin is noise in both; compare where the
        # magnitude is meaningful, modulo 2*pi.
        kwargs["mode"] = "magnitude"
        magnitude = _np(STFTSpectrogram(**kwargs)(x))
        delta = np.angle(np.exp(1j * (ours - theirs)))
        assert np.abs(delta[magnitude > 1e-2]).max() < 1e-3
        return
    # Our kernels are built in float64 then rounded; Keras builds them in
    # float32, hence ~1e-5 differences on O(1) values.
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=2e-4)
    for name, weight in zip(
        [w.name for w in theirs_layer.weights], theirs_layer.weights
    ):
        np.testing.assert_allclose(
            _np(getattr(ours_layer, name)), _np(weight.value), rtol=0, atol=2e-5
        )


@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
def test_stft_spectrogram_named_window_against_numpy(periodic: bool, scaling: Any):
    n, fft, step = 32, 64, 16
    layer = STFTSpectrogram(
        mode="stft",
        frame_length=n,
        frame_step=step,
        fft_length=fft,
        window="hann",
        periodic=periodic,
        scaling=scaling,
    )
    x = _signal((3, 200, 1), seed=1)
    ours = _np(layer(x)).astype("float64")  # (3, frames, 2 * bins)
    win = np.hanning(n + 1)[:-1] if periodic else np.hanning(n)
    scale = {"density": np.sqrt((win**2).sum()), "spectrum": win.sum(), None: 1.0}
    starts = range(0, 200 - n + 1, step)
    frames = np.stack([x[:, s : s + n, 0] for s in starts], axis=1) * win
    # The layer's frame is not zero-padded to fft_length: its DFT basis has
    # fft_length's frequencies over frame_length samples.
    spectrum = np.fft.rfft(frames, n=fft) / scale[scaling]
    expected = np.concatenate([spectrum.real, spectrum.imag], axis=-1)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


def test_stft_spectrogram_psd_log_and_magnitude_against_numpy() -> None:
    n, fft = 16, 16
    x = _signal((1, 16, 1), seed=2)
    kwargs: dict[str, Any] = dict(
        frame_length=n, fft_length=fft, window=None, scaling=None
    )
    z = np.fft.rfft(x[0, :, 0].astype("float64"), n=fft)
    power = np.abs(z) ** 2
    psd = power.copy()
    psd[1:-1] *= 2
    for mode, expected in (
        ("psd", psd),
        ("magnitude", np.abs(z)),
        ("log", np.log(np.abs(z))),
    ):
        ours = _np(STFTSpectrogram(mode=mode, **kwargs)(x))[0, 0]
        np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


def test_stft_spectrogram_symbolic_and_defaults() -> None:
    layer = STFTSpectrogram()
    assert layer._frame_step == 128 and layer._fft_length == 256
    assert STFTSpectrogram(frame_length=200)._fft_length == 256
    out = layer(keras.Input((None, 2)))
    assert tuple(out.shape) == (None, None, 2 * 129)
    config = layer.get_config()
    assert config["frame_step"] is None and config["fft_length"] is None
    assert config["data_format"] == "channels_last"
    window = STFTSpectrogram(frame_length=4, window=np.ones(4)).get_config()["window"]
    assert window == [1.0, 1.0, 1.0, 1.0]


def test_stft_spectrogram_trains_inside_a_model() -> None:
    model = keras.Sequential(
        [
            keras.Input((128, 1)),
            STFTSpectrogram(frame_length=32, frame_step=16, mode="magnitude"),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    model.compile("sgd", "mse")
    before = _np(model.layers[0].real_kernel).copy()
    model.fit(_signal((8, 128, 1)), np.ones((8, 1)), epochs=1, verbose=0)
    assert not np.allclose(before, _np(model.layers[0].real_kernel))


def test_stft_spectrogram_errors() -> None:
    with pytest.raises(ValueError, match="`frame_step` should be a positive"):
        STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="`frame_step` should be a positive"):
        STFTSpectrogram(frame_length=8, frame_step=0)
    with pytest.raises(ValueError, match="`fft_length` should be not less"):
        STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.warns(UserWarning, match="power of two"):
        STFTSpectrogram(frame_length=8, fft_length=12)
    with pytest.raises(ValueError, match="Output mode is invalid.*mode=power"):
        STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="Scaling is invalid"):
        STFTSpectrogram(scaling="l2")
    with pytest.raises(ValueError, match="Padding is invalid.*causal"):
        STFTSpectrogram(padding="causal")
    with pytest.raises(ValueError, match="Unknown window 'nope'"):
        STFTSpectrogram(window="nope")
    with pytest.raises(ValueError, match="window"):
        STFTSpectrogram(frame_length=8, window=np.ones(5))(np.zeros((1, 16, 1)))
    with pytest.raises(TypeError, match="float16, float32 or float64.*int"):
        STFTSpectrogram(frame_length=8, dtype="int32").call(
            torch.zeros(1, 16, 1, dtype=torch.int32)
        )


# ------------------------------------------------------------- MelSpectrogram


@pytest.mark.parametrize(
    "kwargs, input_shape, expected",
    [
        (
            {"fft_length": 64, "sequence_stride": 16, "num_mel_bins": 8},
            (2, 100),
            (2, 8, 7),
        ),
        (
            {"fft_length": 32, "sequence_stride": 32, "num_mel_bins": 4},
            (3, 64),
            (3, 4, 3),
        ),
    ],
)
def test_mel_spectrogram_harness(
    layer_test: Any, kwargs: dict, input_shape: tuple, expected: tuple
) -> None:
    layer_test(
        MelSpectrogram,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=expected,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        run_training_check=False,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {
            "fft_length": 256,
            "sequence_stride": 100,
            "num_mel_bins": 40,
            "sampling_rate": 8000,
        },
        {
            "fft_length": 512,
            "sequence_length": 300,
            "window": "hamming",
            "power_to_db": False,
            "mag_exp": 1.0,
        },
        {
            "fft_length": 256,
            "window": None,
            "ref_power": 0.5,
            "top_db": 20.0,
            "min_freq": 100.0,
            "max_freq": 3000.0,
        },
    ],
)
@pytest.mark.parametrize("shape", [(3, 5000), (4000,)])
def test_mel_spectrogram_matches_keras(keras_oracle: Any, kwargs: dict, shape: tuple):
    x = _signal(shape, seed=3)
    ours_layer = MelSpectrogram(**kwargs)
    theirs_layer = keras_oracle.layers.MelSpectrogram(**kwargs)
    ours, theirs = _np(ours_layer(x)), _np(theirs_layer(x))
    assert ours.shape == theirs.shape
    assert ours.dtype == np.float32
    # dB (or linear magnitudes up to ~100): a 1e-5 relative difference from
    # the float32 mel matrix Keras builds.
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=2e-3)
    assert ours_layer.get_config() | {"name": None} == theirs_layer.get_config() | {
        "name": None,
        "dtype": ours_layer.get_config()["dtype"],
    }
    matrix = theirs_layer.linear_to_mel_weight_matrix(10, 33, 8000, 100.0, 3500.0)
    np.testing.assert_allclose(
        _np(ours_layer.linear_to_mel_weight_matrix(10, 33, 8000, 100.0, 3500.0)),
        _np(matrix),
        rtol=1e-5,
        atol=1e-6,
    )


def test_mel_spectrogram_against_numpy() -> None:
    fft, stride, bins, rate = 64, 16, 6, 4000
    layer = MelSpectrogram(
        fft_length=fft,
        sequence_stride=stride,
        num_mel_bins=bins,
        sampling_rate=rate,
        window=None,
        top_db=30.0,
    )
    x = _signal((2, 160), seed=4).astype("float64")
    padded = np.pad(x, ((0, 0), (fft // 2, fft // 2)), mode="reflect")
    frames = np.stack(
        [padded[:, s : s + fft] for s in range(0, 160 + 1, stride)], axis=1
    )
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2  # (2, frames, 33)

    def mel(f: Any) -> Any:
        return 1127.0 * np.log(1.0 + f / 700.0)

    hz = np.linspace(0, rate / 2, fft // 2 + 1)
    edges = np.linspace(mel(20.0), mel(rate / 2), bins + 2)
    weights = np.zeros((fft // 2 + 1, bins))
    for m in range(bins):
        lo, mid, hi = edges[m : m + 3]
        up = (mel(hz[1:]) - lo) / (mid - lo)
        down = (hi - mel(hz[1:])) / (hi - mid)
        weights[1:, m] = np.maximum(0, np.minimum(up, down))
    db = 10 * np.log10(np.maximum(power @ weights, 1e-10))
    db = np.maximum(db, db.max() - 30.0).transpose(0, 2, 1)
    np.testing.assert_allclose(
        _np(layer(x.astype("float32"))), db, rtol=1e-4, atol=1e-3
    )


def test_mel_spectrogram_shapes_dtype_and_defaults() -> None:
    layer = MelSpectrogram()
    config = layer.get_config()
    assert config["sequence_length"] == 2048 and config["max_freq"] == 8000
    assert layer.compute_output_shape((None, 16000)) == (None, 128, 32)
    assert layer.compute_output_shape((16000,)) == (128, 32)
    assert tuple(layer(keras.Input((1024,))).shape) == (None, 128, 3)
    y = MelSpectrogram(fft_length=64, sequence_stride=32, dtype="float64")(
        _signal((1, 128))
    )
    assert y.dtype == torch.float64


def test_mel_spectrogram_errors() -> None:
    with pytest.raises(ValueError, match="greater than or equal to `sequence_length`"):
        MelSpectrogram(fft_length=256, sequence_length=512)
    with pytest.raises(ValueError, match='"hann", "hamming".*window=blackman'):
        MelSpectrogram(window="blackman")
    with pytest.raises(ValueError, match=r"`window` must have shape \(64,\)"):
        MelSpectrogram(fft_length=64, window=np.ones(10))(_signal((1, 256)))


@pytest.mark.parametrize(
    "module",
    [
        "cornu.layers.preprocessing.stft_spectrogram",
        "cornu.layers.preprocessing.mel_spectrogram",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
