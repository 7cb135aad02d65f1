"""int8-quantized models: `.keras` and `.weights.h5` files interchange with Keras 3."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import torch

import cornu
from cornu import saving

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy"
)

TOKENS = np.array([[1, 2, 3, 4], [5, 6, 7, 10]], dtype="int32")


@pytest.fixture(scope="module")
def real_keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = pytest.importorskip("keras")
    if module.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    return module


def _build(k: Any) -> Any:
    """The same model in cornu or Keras: Embedding -> EinsumDense -> Dense."""
    tokens = k.Input((4,), dtype="int32")
    h = k.layers.Embedding(11, 6, name="embed")(tokens)
    h = k.layers.EinsumDense("abc,cd->abd", (4, 5), bias_axes="d", name="proj")(h)
    return k.Model(tokens, k.layers.Dense(3, activation="relu", name="head")(h))


def _randomize(model: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model.set_weights(
        [rng.standard_normal(tuple(w.shape)).astype("float32") for w in model.weights]
    )


def _keras_quantize(model: Any) -> None:
    # Keras warns for each layer it cannot quantize (InputLayer...).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.quantize("int8")


def _out(model: Any) -> np.ndarray:
    y = model(torch.as_tensor(TOKENS))
    return y.detach().cpu().numpy()


def _layout(path: Path) -> dict[str, tuple[tuple, str]]:
    out: dict[str, tuple[tuple, str]] = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, obj: (
                out.__setitem__(name, (obj.shape, str(obj.dtype)))
                if isinstance(obj, h5py.Dataset)
                else None
            )
        )
    return out


def test_keras_loads_cornu_quantized_files(real_keras: Any, tmp_path: Path) -> None:
    model = _build(cornu)
    _randomize(model, 0)
    model.quantize("int8")
    expected = _out(model)
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")

    ref = real_keras.saving.load_model(tmp_path / "model.keras")
    assert [layer.dtype_policy.name for layer in ref.layers[1:]] == [
        "int8_from_float32"
    ] * 3
    # Same int8 weights and scales, same integer math: equal outputs.
    np.testing.assert_allclose(_out(ref), expected, rtol=1e-6, atol=1e-6)

    ref_weights = _build(real_keras)
    _keras_quantize(ref_weights)
    ref_weights.load_weights(tmp_path / "model.weights.h5")
    np.testing.assert_allclose(_out(ref_weights), expected, rtol=1e-6, atol=1e-6)
    ref_weights.save_weights(tmp_path / "keras.weights.h5")
    assert _layout(tmp_path / "keras.weights.h5") == _layout(
        tmp_path / "model.weights.h5"
    )


def test_cornu_loads_keras_quantized_files(real_keras: Any, tmp_path: Path) -> None:
    ref = _build(real_keras)
    _randomize(ref, 1)
    _keras_quantize(ref)
    expected = _out(ref)
    ref.save(tmp_path / "keras.keras")
    ref.save_weights(tmp_path / "keras.weights.h5")

    model = saving.load_model(tmp_path / "keras.keras")
    assert [layer.dtype_policy.name for layer in model.layers[1:]] == [
        "int8_from_float32"
    ] * 3
    assert [str(w.dtype) for w in model.get_layer("head").weights] == [
        "torch.float32",
        "torch.int8",
        "torch.float32",
    ]
    np.testing.assert_allclose(_out(model), expected, rtol=1e-6, atol=1e-6)

    weights_only = _build(cornu)
    weights_only.quantize("int8")
    weights_only.load_weights(tmp_path / "keras.weights.h5")
    np.testing.assert_allclose(_out(weights_only), expected, rtol=1e-6, atol=1e-6)


def test_cornu_round_trip_keeps_quantization(tmp_path: Path) -> None:
    model = _build(cornu)
    _randomize(model, 2)
    model.quantize("int8")
    expected = _out(model)
    model.save(tmp_path / "model.keras")
    back = saving.load_model(tmp_path / "model.keras")
    assert all(layer.quantization_mode == "int8" for layer in back.layers[1:])
    np.testing.assert_array_equal(_out(back), expected)


def test_quantized_weights_refuse_a_float_model(tmp_path: Path) -> None:
    model = _build(cornu)
    model.quantize("int8")
    model.save_weights(tmp_path / "model.weights.h5")
    float_model = _build(cornu)
    with pytest.raises(Exception, match=r"int8|kernel_scale|embeddings|shape|expects"):
        float_model.load_weights(tmp_path / "model.weights.h5")
