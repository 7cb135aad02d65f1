"""float8 training (`quantize("float8")`) of Dense and EinsumDense.

Variables, forward outputs, and after a few optimizer steps the weights and
the delayed-scaling variables (scales, amax histories) are compared with
real Keras 3 on the same weights and data; the float8 math with a NumPy
reference written here; `.keras` / `.weights.h5` files both ways.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from quantization_checks import as_numpy, same_config

import cornu
from cornu import dtype_policies, quantizers, saving
from cornu.layers.core.dense import Dense
from cornu.layers.core.embedding import Embedding

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy"
)

FLOAT8_VARIABLES = [
    "inputs_scale",
    "inputs_amax_history",
    "kernel_scale",
    "kernel_amax_history",
    "outputs_grad_scale",
    "outputs_grad_amax_history",
]


# -- the float8 math ------------------------------------------------------------------
def test_compute_float8_scale_matches_numpy_and_keras(keras_oracle: Any) -> None:
    amax = torch.tensor([2.0, 0.0, float("inf"), 1e-3])
    scale = torch.tensor([1.0, 0.5, 0.25, 2.0])
    ours = quantizers.compute_float8_scale(amax, scale, 448.0)
    # New factor 448 / amax; a zero or infinite amax keeps the old scale.
    expected = np.array([2.0 / 448.0, 0.5, 0.25, 1e-3 / 448.0], dtype="float32")
    np.testing.assert_allclose(as_numpy(ours), expected, rtol=1e-6)
    ref = keras_oracle.quantizers.compute_float8_scale(amax, scale, torch.tensor(448.0))
    np.testing.assert_array_equal(as_numpy(ours), as_numpy(ref))


def test_amax_history_and_round_trip_match_keras(keras_oracle: Any) -> None:
    history = torch.tensor([1.0, 2.0, 3.0, 4.0])
    x = torch.tensor([[-5.5, 2.0], [0.5, 1.0]])
    ours = quantizers.compute_float8_amax_history(x, history)
    np.testing.assert_array_equal(as_numpy(ours), [5.5, 3.0, 4.0, 1.0])
    kq = keras_oracle.quantizers
    np.testing.assert_array_equal(
        as_numpy(ours), as_numpy(kq.compute_float8_amax_history(x, history))
    )
    values = torch.tensor(
        np.random.default_rng(0).standard_normal(50).astype("float32") * 300
    )
    for dtype in ("float8_e4m3fn", "float8_e5m2"):
        scale = torch.tensor(0.7)
        mine = quantizers.quantize_and_dequantize(values, scale, dtype, "float32")
        theirs = kq.quantize_and_dequantize(values, scale, dtype, "float32")
        np.testing.assert_array_equal(as_numpy(mine), as_numpy(theirs))
        # Values beyond the float8 range clip to its maximum.
        top = float(torch.finfo(getattr(torch, dtype)).max)
        assert float(mine.abs().max()) <= top * 0.7 + 1e-3


# -- layers against Keras ---------------------------------------------------------------
def _model(k: Any, kind: str) -> Any:
    if kind == "dense":
        inputs = k.Input((5,))
        outputs = k.layers.Dense(4, activation="relu", name="layer")(inputs)
    else:
        inputs = k.Input((3, 5))
        outputs = k.layers.EinsumDense(
            "abc,cde->abde", (3, 2, 4), bias_axes="de", name="layer"
        )(inputs)
    return k.Model(inputs, outputs)


def _pair(kind: str, keras_oracle: Any, seed: int = 0) -> tuple[Any, Any]:
    ours, ref = _model(cornu, kind), _model(keras_oracle, kind)
    rng = np.random.default_rng(seed)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in ours.weights
    ]
    ours.set_weights(values)
    ref.set_weights(values)
    return ours, ref


def _data(model: Any, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, *model.input_shape[1:])).astype("float32") * 3
    y = rng.standard_normal((8, *model.output_shape[1:])).astype("float32")
    return x, y


def _table(layer: Any, keras_layer: bool) -> list[tuple]:
    if keras_layer:
        return [
            (w.path.split("/")[-1], str(w.dtype), tuple(w.shape), w.trainable)
            for w in layer.weights
        ]
    return [
        (w.name, str(w.dtype).replace("torch.", ""), tuple(w.shape), w.trainable)
        for w in layer.weights
    ]


@pytest.mark.parametrize("kind", ["dense", "einsum"])
def test_quantize_matches_keras(kind: str, keras_oracle: Any) -> None:
    ours, ref = _pair(kind, keras_oracle)
    ours.quantize("float8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref.quantize("float8")
    layer, ref_layer = ours.get_layer("layer"), ref.get_layer("layer")
    assert _table(layer, False) == _table(ref_layer, True)
    assert [w.name for w in layer.weights][2:] == FLOAT8_VARIABLES
    assert all(
        getattr(layer, name).overwrite_with_gradient for name in FLOAT8_VARIABLES
    )
    assert layer.dtype_policy == dtype_policies.QuantizedFloat8DTypePolicy(
        "float8", "float32"
    )
    assert layer.dtype_policy.name == ref_layer.dtype_policy.name
    mine, theirs = layer.get_config(), ref_layer.get_config()
    for key in ("dtype", "quantization_config"):
        assert same_config(mine[key], theirs[key]), key
    x, _ = _data(ours)
    # Inference: the float8 round trips of inputs and kernel, no update.
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-6, atol=1e-6
    )
    assert float(as_numpy(layer.inputs_scale)) == 1.0
    assert float(np.abs(as_numpy(layer.inputs_amax_history)).sum()) == 0.0


@pytest.mark.parametrize("kind", ["dense", "einsum"])
def test_fit_updates_match_keras(kind: str, keras_oracle: Any) -> None:
    ours, ref = _pair(kind, keras_oracle)
    ours.quantize("float8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref.quantize("float8")
    x, y = _data(ours)
    ours.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse")
    ref.compile(optimizer=keras_oracle.optimizers.SGD(0.1), loss="mse")
    # Four steps: the scales move from the second step on.
    ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ref.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    layer, ref_layer = ours.get_layer("layer"), ref.get_layer("layer")
    for mine, theirs in zip(layer.weights, ref_layer.weights):
        np.testing.assert_allclose(
            as_numpy(mine), as_numpy(theirs), rtol=1e-5, atol=1e-6, err_msg=mine.name
        )
    for name in ("inputs_scale", "kernel_scale", "outputs_grad_scale"):
        assert float(as_numpy(getattr(layer, name))) != 1.0, name
    history = as_numpy(layer.inputs_amax_history)
    # Newest first: one amax per step, the rest still zero.
    assert np.count_nonzero(history) == 4
    np.testing.assert_allclose(history[0], np.abs(x[4:]).max(), rtol=1e-6)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )


def test_mixed_bfloat16_fit_matches_keras(keras_oracle: Any) -> None:
    def build(k: Any) -> Any:
        inputs = k.Input((5,))
        return k.Model(
            inputs, k.layers.Dense(4, dtype="mixed_bfloat16", name="layer")(inputs)
        )

    ours, ref = build(cornu), build(keras_oracle)
    rng = np.random.default_rng(0)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in ours.weights
    ]
    ours.set_weights(values)
    ref.set_weights(values)
    ours.quantize("float8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref.quantize("float8")
    layer, ref_layer = ours.get_layer("layer"), ref.get_layer("layer")
    assert layer.dtype_policy.name == ref_layer.dtype_policy.name
    assert layer.dtype_policy.name == "float8_from_mixed_bfloat16"
    x, y = _data(ours)
    mine, theirs = ours(x), ref(x)
    assert mine.dtype is torch.bfloat16 and theirs.dtype is torch.bfloat16
    np.testing.assert_array_equal(as_numpy(mine.float()), as_numpy(theirs.float()))
    ours.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse")
    ref.compile(optimizer=keras_oracle.optimizers.SGD(0.1), loss="mse")
    ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ref.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for w, theirs_w in zip(layer.weights, ref_layer.weights):
        np.testing.assert_allclose(
            as_numpy(w), as_numpy(theirs_w), rtol=1e-5, atol=1e-6, err_msg=w.name
        )


def test_gradients_are_the_updates(keras_oracle: Any) -> None:
    layer = Dense(3)
    layer.build((None, 4))
    layer.quantize("float8")
    layer.inputs_amax_history.detach().copy_(torch.tensor([2.0] + [0.0] * 1023))
    x = torch.tensor(np.random.default_rng(0).standard_normal((2, 4)).astype("float32"))
    layer(x, training=True).sum().backward()
    assert layer.inputs_scale.grad is not None
    np.testing.assert_allclose(float(layer.inputs_scale.grad), 2.0 / 448.0, rtol=1e-6)
    assert layer.inputs_amax_history.grad is not None
    np.testing.assert_allclose(
        as_numpy(layer.inputs_amax_history.grad)[:2], [float(x.abs().max()), 0.0]
    )
    # The output gradient (ones) is seen through e5m2: its amax is 1.
    assert layer.outputs_grad_amax_history.grad is not None
    assert float(layer.outputs_grad_amax_history.grad[0]) == 1.0
    # Outside training the input-side variables get no update.
    layer.zero_grad(set_to_none=True)
    layer(x).sum().backward()
    assert layer.inputs_scale.grad is None


def test_run_layer_test_on_float8_policy(layer_test: Any) -> None:
    layer_test(
        Dense,
        {"units": 3, "dtype": "float8_from_float32"},
        input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=8,
        expected_num_non_trainable_weights=0,
    )


# -- files ---------------------------------------------------------------------------------
def _trained(k: Any, kind: str, keras_oracle: Any) -> Any:
    model = _model(k, kind)
    rng = np.random.default_rng(4)
    model.set_weights(
        [rng.standard_normal(tuple(w.shape)).astype("float32") for w in model.weights]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.quantize("float8")
    x, y = _data(model)
    opt = cornu.optimizers.SGD(0.1) if k is cornu else keras_oracle.optimizers.SGD(0.1)
    model.compile(optimizer=opt, loss="mse")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    return model


@pytest.mark.parametrize("kind", ["dense", "einsum"])
def test_keras_loads_cornu_float8_files(
    kind: str, keras_oracle: Any, tmp_path: Path
) -> None:
    model = _trained(cornu, kind, keras_oracle)
    x, _ = _data(model)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")
    ref = keras_oracle.saving.load_model(tmp_path / "model.keras")
    assert ref.get_layer("layer").dtype_policy.name == "float8_from_float32"
    np.testing.assert_allclose(
        ref.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6
    )
    np.testing.assert_array_equal(
        as_numpy(ref.get_layer("layer").kernel_scale),
        as_numpy(model.get_layer("layer").kernel_scale),
    )
    again = _model(keras_oracle, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        again.quantize("float8")
    again.load_weights(tmp_path / "model.weights.h5")
    np.testing.assert_allclose(
        again.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("kind", ["dense", "einsum"])
def test_cornu_loads_keras_float8_files(
    kind: str, keras_oracle: Any, tmp_path: Path
) -> None:
    ref = _trained(keras_oracle, kind, keras_oracle)
    x, _ = _data(ref)
    expected = ref.predict(x, verbose=0)
    ref.save(tmp_path / "keras.keras")
    ref.save_weights(tmp_path / "keras.weights.h5")
    model = saving.load_model(tmp_path / "keras.keras")
    layer = model.get_layer("layer")
    assert isinstance(layer.dtype_policy, dtype_policies.QuantizedFloat8DTypePolicy)
    assert layer.quantization_mode == "float8"
    np.testing.assert_allclose(
        model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6
    )
    for name in FLOAT8_VARIABLES:
        np.testing.assert_array_equal(
            as_numpy(getattr(layer, name)),
            as_numpy(getattr(ref.get_layer("layer"), name)),
        )
    weights_only = _model(cornu, kind)
    weights_only.quantize("float8")
    weights_only.load_weights(tmp_path / "keras.weights.h5")
    np.testing.assert_allclose(
        weights_only.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6
    )


# -- errors and policies ----------------------------------------------------------------------
def test_float8_errors() -> None:
    table = Embedding(5, 3)
    table.build()
    with pytest.raises(
        NotImplementedError,
        match=r"Embedding\): quantization mode 'float8' is not supported",
    ):
        table.quantize("float8")
    model = cornu.Sequential(
        [
            cornu.Input((4,), dtype="int32"),
            cornu.layers.Embedding(5, 3),
            cornu.layers.Dense(2),
        ]
    )
    with pytest.warns(UserWarning, match=r"'float8' is not supported for this layer"):
        model.quantize("float8")
    assert [layer.quantization_mode for layer in model.layers] == [None, "float8"]
    with pytest.raises(
        ValueError, match=r"already quantized with dtype_policy='float8_from"
    ):
        dense: Any = model.layers[1]
        dense.quantize("float8")
    with pytest.raises(ValueError, match=r"Contradictory arguments: mode='int8'"):
        Dense(2).quantize("int8", config=quantizers.Float8QuantizationConfig())
    lora = Dense(2)
    lora.build((None, 3))
    lora.quantize("float8")
    lora.enable_lora(1)
    with pytest.raises(
        NotImplementedError, match=r"`_float8_call` doesn't support LoRA"
    ):
        lora(np.zeros((1, 3), "float32"))
    with pytest.raises(TypeError, match=r"`amax_history_length` must be an integer"):
        dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", 2.5)  # type: ignore[arg-type]


def test_amax_history_length_from_policy() -> None:
    layer = Dense(
        2, dtype=dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", 16)
    )
    layer.build((None, 3))
    assert tuple(layer.kernel_amax_history.shape) == (16,)
    assert tuple(layer.kernel.shape) == (3, 2)


@pytest.mark.parametrize("name", ["float8_from_float32", "float8_from_mixed_bfloat16"])
def test_policy_serialization_matches_keras(name: str, keras_oracle: Any) -> None:
    ref = keras_oracle.dtype_policies.get(name)
    ours = dtype_policies.get(name)
    assert isinstance(ours, dtype_policies.QuantizedFloat8DTypePolicy)
    assert type(ours).__name__ == type(ref).__name__
    assert (ours.name, ours.compute_dtype, ours.quantization_mode) == (
        ref.name,
        ref.compute_dtype,
        ref.quantization_mode,
    )
    assert ours.amax_history_length == ref.amax_history_length
    config = keras_oracle.dtype_policies.serialize(ref)
    assert dtype_policies.serialize(ours) == config
    assert dtype_policies.deserialize(config) == ours
    assert (
        keras_oracle.dtype_policies.deserialize(dtype_policies.serialize(ours)) == ref
    )
    config = keras_oracle.quantizers.serialize(
        keras_oracle.quantizers.Float8QuantizationConfig()
    )
    assert same_config(
        quantizers.serialize(quantizers.Float8QuantizationConfig()), config
    )
    assert quantizers.deserialize(config).mode == "float8"
