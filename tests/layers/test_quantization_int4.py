"""int4 post-training quantization of Dense, EinsumDense and Embedding.

Packed weights, scales, zero points, outputs, gradients, configs, policies
and `.keras` / `.weights.h5` files are compared with real Keras 3 on the same
float weights; the nibble packing with a NumPy reference written here.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from quantization_checks import as_numpy, same_config, weight_table

import cornu
from cornu import dtype_policies, quantizers, saving
from cornu.layers.core.dense import Dense
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.core.embedding import Embedding
from cornu.quantizers import quantizers as quantizer_math

# Keras's own weight quantization trips numpy's `__array__` deprecation on torch.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy"
)

# name -> (layer factory given a `layers` namespace, build shape)
CASES: dict[str, tuple[Any, tuple]] = {
    "dense": (lambda kl: kl.Dense(7), (None, 5)),
    "dense_3d": (lambda kl: kl.Dense(4, activation="relu"), (None, 3, 9)),
    "einsum_2d": (
        lambda kl: kl.EinsumDense("ab,bc->ac", (5,), bias_axes="c"),
        (None, 6),
    ),
    "einsum_heads": (
        lambda kl: kl.EinsumDense("abc,cde->abde", (3, 4, 7), bias_axes="de"),
        (None, 3, 5),
    ),
    "einsum_swapped": (
        lambda kl: kl.EinsumDense("abc,dce->abde", (3, 4, 6), bias_axes="e"),
        (None, 3, 5),
    ),
    "einsum_two_reduced": (
        lambda kl: kl.EinsumDense("abc,bcd->ad", (6,)),
        (None, 3, 5),
    ),
    "embedding": (lambda kl: kl.Embedding(10, 5), (None, 3)),
}
# None: per channel; 128: the default (one group here); 2: several groups.
BLOCK_SIZES = [None, 128, 2]


def _layers(module: Any) -> Any:
    return module.layers


def _build(layer: Any, case: str) -> None:
    if case == "embedding":
        layer.build()
    else:
        layer.build(CASES[case][1])


def _pair(case: str, keras_oracle: Any, seed: int = 0) -> tuple[Any, Any]:
    """A cornu layer and a Keras layer, built, with the same float weights."""
    factory = CASES[case][0]
    ours, ref = factory(cornu.layers), factory(keras_oracle.layers)
    _build(ours, case)
    _build(ref, case)
    rng = np.random.default_rng(seed)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in ours.weights
    ]
    ours.set_weights(values)
    ref.set_weights(values)
    return ours, ref


def _inputs(case: str, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (2, *CASES[case][1][1:])
    if case == "embedding":
        return rng.integers(0, 10, shape).astype("int32")
    return rng.standard_normal(shape).astype("float32")


def _quantize_both(ours: Any, ref: Any, keras_oracle: Any, block_size: Any) -> None:
    ours.quantize(
        "int4", config=quantizers.Int4QuantizationConfig(block_size=block_size)
    )
    ref.quantize(
        "int4",
        config=keras_oracle.quantizers.Int4QuantizationConfig(block_size=block_size),
    )


# -- the int4 math ----------------------------------------------------------------
def _numpy_pack(values: np.ndarray) -> np.ndarray:
    """Nibble packing along axis 0: element 2i low, 2i + 1 high."""
    if len(values) % 2:
        values = np.concatenate([values, np.zeros_like(values[:1])])
    low = values[0::2].astype(np.int16) & 0x0F
    high = values[1::2].astype(np.int16) & 0x0F
    return (low | (high << 4)).astype(np.uint8).view(np.int8)


@pytest.mark.parametrize(("shape", "axis"), [((5, 4), 0), ((3, 7), -1), ((2, 5, 3), 1)])
def test_pack_int4_matches_numpy_and_keras(
    shape: tuple, axis: int, keras_oracle: Any
) -> None:
    values = np.random.default_rng(0).integers(-8, 8, shape).astype("int8")
    packed, packed_shape, length = quantizers.pack_int4(torch.tensor(values), axis=axis)
    expected = np.moveaxis(_numpy_pack(np.moveaxis(values, axis, 0)), 0, axis)
    np.testing.assert_array_equal(as_numpy(packed), expected)
    assert packed.dtype is torch.int8
    ref, ref_shape, ref_length = keras_oracle.quantizers.pack_int4(values, axis=axis)
    np.testing.assert_array_equal(as_numpy(packed), as_numpy(ref))
    assert (packed_shape, length) == (tuple(ref_shape), ref_length)
    np.testing.assert_array_equal(
        as_numpy(quantizers.unpack_int4(packed, length, axis)), values
    )
    unsigned = quantizers.unpack_int4(packed, length, axis, dtype="uint8")
    np.testing.assert_array_equal(as_numpy(unsigned), values.astype(np.int16) & 0x0F)


@pytest.mark.parametrize(("rows", "block_size"), [(6, 4), (8, 4), (5, 128), (300, 128)])
def test_grouped_quantize_matches_keras(
    rows: int, block_size: int, keras_oracle: Any
) -> None:
    weight = np.random.default_rng(rows).standard_normal((rows, 9)).astype("float32")
    ours = quantizers.abs_max_quantize_grouped_with_zero_point(
        torch.tensor(weight), block_size
    )
    ref = keras_oracle.quantizers.abs_max_quantize_grouped_with_zero_point(
        weight, block_size=block_size, to_numpy=True
    )
    for mine, theirs in zip(ours, ref):
        np.testing.assert_array_equal(as_numpy(mine), as_numpy(theirs))
        assert str(mine.dtype).replace("torch.", "") == str(as_numpy(theirs).dtype)
    # Dequantized as `(q - zero[g]) * scale[g]`, written here in NumPy.
    values, scale, zero = ours
    g_idx = np.arange(rows) // block_size
    back = quantizer_math.dequantize_grouped(
        values, scale, zero, torch.tensor(g_idx, dtype=torch.float32), 0
    )
    expected = (as_numpy(values) - as_numpy(zero)[g_idx].astype("float32")) * as_numpy(
        scale
    )[g_idx]
    np.testing.assert_array_equal(as_numpy(back), expected)
    # Where a group spans zero (the padded last one), rounding is the only error.
    last = slice((rows - 1) // block_size * block_size, rows)
    if rows % block_size:
        error = (
            np.abs(as_numpy(back)[last] - weight[last]) / as_numpy(scale)[g_idx[last]]
        )
        assert error.max() <= 0.5 + 1e-5


def test_int4_math_errors() -> None:
    with pytest.raises(
        TypeError, match=r"Expected int8 tensor for packing, got float32"
    ):
        quantizers.pack_int4(torch.zeros(2))
    with pytest.raises(ValueError, match=r"Expected dtype to be 'int8' or 'uint8'"):
        quantizers.pack_int4(torch.zeros(2, dtype=torch.int8), dtype="int4")
    with pytest.raises(TypeError, match=r"Expected int8 or uint8 tensor for unpacking"):
        quantizers.unpack_int4(torch.zeros(2), 4)


# -- layers against Keras ---------------------------------------------------------
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_quantize_matches_keras(case: str, block_size: Any, keras_oracle: Any) -> None:
    ours, ref = _pair(case, keras_oracle)
    _quantize_both(ours, ref, keras_oracle, block_size)
    assert weight_table(ours, False) == weight_table(ref, True)
    assert [w.trainable for w in ours.weights] == [w.trainable for w in ref.weights]
    for mine, theirs in zip(ours.weights, ref.weights):
        np.testing.assert_array_equal(as_numpy(mine), as_numpy(theirs))
    x = _inputs(case)
    # The same integers, scales and float operations: equal outputs.
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-6, atol=1e-6
    )
    size = -1 if block_size is None else block_size
    assert ours.dtype_policy == dtype_policies.Int4DTypePolicy(
        f"int4/{size}", "float32"
    )
    assert ours.dtype_policy.name == ref.dtype_policy.name
    assert ours.quantization_mode == "int4"
    mine, theirs = ours.get_config(), ref.get_config()
    for key in ("dtype", "quantization_config"):
        assert same_config(mine[key], theirs[key]), key
    store: dict[str, Any] = {}
    ref_store: dict[str, Any] = {}
    ours.save_own_variables(store)
    ref.save_own_variables(ref_store)
    assert sorted(store) == sorted(ref_store)
    for key in store:
        np.testing.assert_array_equal(as_numpy(store[key]), as_numpy(ref_store[key]))


def test_default_mode_is_sub_channel_128(keras_oracle: Any) -> None:
    ours, ref = _pair("dense", keras_oracle)
    ours.quantize("int4")
    ref.quantize("int4")
    assert ours.dtype_policy.name == ref.dtype_policy.name == "int4/128_from_float32"
    assert weight_table(ours, False) == weight_table(ref, True)
    assert ours.quantization_config.get_config() == {
        "weight_quantizer": None,
        "activation_quantizer": None,
        "block_size": 128,
    }
    x = _inputs("dense")
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("block_size", [None, 2])
@pytest.mark.parametrize(
    "case", ["dense", "dense_3d", "einsum_heads", "einsum_two_reduced"]
)
def test_input_gradient_matches_keras(
    case: str, block_size: Any, keras_oracle: Any
) -> None:
    ours, ref = _pair(case, keras_oracle)
    _quantize_both(ours, ref, keras_oracle, block_size)
    x = _inputs(case)
    xt = torch.tensor(x, requires_grad=True)
    ours(xt).square().sum().backward()
    xr = torch.tensor(x, requires_grad=True)
    ref(xr).square().sum().backward()
    assert xt.grad is not None and xr.grad is not None
    np.testing.assert_allclose(
        xt.grad.numpy(), xr.grad.detach().cpu().numpy(), rtol=1e-5, atol=1e-5
    )
    assert all(w.dtype.is_floating_point for w in ours.trainable_weights)


@pytest.mark.parametrize("case", ["dense", "einsum_heads"])
def test_activation_quantizer_matches_keras(case: str, keras_oracle: Any) -> None:
    # Per-channel int4 with quantized inputs (an integer product for Dense).
    ours, ref = _pair(case, keras_oracle)
    ours.quantize(
        config=quantizers.Int4QuantizationConfig(
            block_size=None, activation_quantizer=quantizers.AbsMaxQuantizer()
        )
    )
    kq = keras_oracle.quantizers
    ref.quantize(
        config=kq.Int4QuantizationConfig(
            block_size=None, activation_quantizer=kq.AbsMaxQuantizer(axis=-1)
        )
    )
    x = _inputs(case)
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-5, atol=1e-5
    )
    xt = torch.tensor(x, requires_grad=True)
    ours(xt).sum().backward()
    xr = torch.tensor(x, requires_grad=True)
    ref(xr).sum().backward()
    assert xt.grad is not None and xr.grad is not None
    np.testing.assert_allclose(
        xt.grad.numpy(), xr.grad.detach().cpu().numpy(), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("case", ["dense", "embedding"])
def test_custom_weight_quantizer_matches_keras(case: str, keras_oracle: Any) -> None:
    ours, ref = _pair(case, keras_oracle)
    axis = 0 if case == "dense" else -1
    ours.quantize(
        config=quantizers.Int4QuantizationConfig(
            block_size=-1,
            weight_quantizer=quantizers.AbsMaxQuantizer(axis=axis, value_range=(-8, 7)),
        )
    )
    kq = keras_oracle.quantizers
    ref.quantize(
        config=kq.Int4QuantizationConfig(
            block_size=-1,
            weight_quantizer=kq.AbsMaxQuantizer(axis=axis, value_range=(-8, 7)),
        )
    )
    for mine, theirs in zip(ours.weights, ref.weights):
        np.testing.assert_array_equal(as_numpy(mine), as_numpy(theirs))
    assert ours.dtype_policy.name == ref.dtype_policy.name == "int4/-1_from_float32"
    x = _inputs(case)
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("block_size", [None, 2])
@pytest.mark.parametrize("case", ["dense", "einsum_heads", "embedding"])
def test_mixed_bfloat16_matches_keras(
    case: str, block_size: Any, keras_oracle: Any
) -> None:
    factory, _ = CASES[case]
    ours, ref = factory(cornu.layers), factory(keras_oracle.layers)
    ours.dtype_policy = "mixed_bfloat16"
    ref.dtype_policy = "mixed_bfloat16"
    _build(ours, case)
    _build(ref, case)
    rng = np.random.default_rng(0)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in ours.weights
    ]
    ours.set_weights(values)
    ref.set_weights(values)
    _quantize_both(ours, ref, keras_oracle, block_size)
    assert ours.dtype_policy.name == ref.dtype_policy.name
    assert ours.dtype_policy.compute_dtype == "bfloat16"
    x = _inputs(case)
    mine, theirs = ours(x), ref(x)
    assert mine.dtype is torch.bfloat16 and theirs.dtype is torch.bfloat16
    np.testing.assert_allclose(
        as_numpy(mine.float()), as_numpy(theirs.float()), rtol=1e-2, atol=1e-2
    )


@pytest.mark.parametrize("block_size", [None, 2])
@pytest.mark.parametrize("case", ["dense", "einsum_heads", "embedding"])
def test_keras_config_builds_int4_weights(
    case: str, block_size: Any, keras_oracle: Any
) -> None:
    _, ref = _pair(case, keras_oracle)
    ref.quantize(
        "int4",
        config=keras_oracle.quantizers.Int4QuantizationConfig(block_size=block_size),
    )
    # A Keras config of a quantized layer (dtype and quantization_config).
    layer = _cls(case).from_config(ref.get_config())
    _build(layer, case)
    assert layer.quantization_mode == "int4"
    assert layer.dtype_policy.name == ref.dtype_policy.name
    assert sorted(weight_table(layer, False)) == sorted(weight_table(ref, True))
    store: dict[str, Any] = {}
    ref.save_own_variables(store)
    layer.load_own_variables(store)
    x = _inputs(case)
    np.testing.assert_allclose(
        as_numpy(layer(x)), as_numpy(ref(x)), rtol=1e-6, atol=1e-6
    )


def _cls(case: str) -> Any:
    if case.startswith("dense"):
        return Dense
    return EinsumDense if case.startswith("einsum") else Embedding


def test_policies_on_unbuilt_and_built_layers(keras_oracle: Any) -> None:
    # The plain "int4_from_<source>" name is a per-channel QuantizedDTypePolicy.
    layer = Dense(3, dtype="int4_from_float32")
    layer.build((None, 4))
    assert type(layer.dtype_policy).__name__ == "QuantizedDTypePolicy"
    assert weight_table(layer, False)[1:] == [
        ("kernel", "int8", (4, 2)),
        ("kernel_scale", "float32", (3,)),
    ]
    table = Embedding(6, 5, dtype="int4/2_from_float32")
    table.build()
    assert [w.name for w in table.weights] == [
        "embeddings",
        "embeddings_scale",
        "embeddings_zero",
        "g_idx",
    ]
    np.testing.assert_array_equal(as_numpy(table.g_idx), [0, 0, 1, 1, 2])
    # Setting an int4 policy on a built layer quantizes it (default config).
    ours, ref = _pair("embedding", keras_oracle)
    ours.dtype_policy = "int4_from_float32"
    ref.dtype_policy = "int4_from_float32"
    assert weight_table(ours, False) == weight_table(ref, True)
    for mine, theirs in zip(ours.weights, ref.weights):
        np.testing.assert_array_equal(as_numpy(mine), as_numpy(theirs))


def test_run_layer_test_on_int4_policy(layer_test: Any) -> None:
    layer_test(
        Dense,
        {"units": 3, "dtype": "int4/2_from_float32"},
        input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=4,
        # A quantized policy builds a zero kernel: see `test_fit_trains_the_bias_only`.
        run_training_check=False,
    )
    layer_test(
        EinsumDense,
        {"equation": "ab,bc->ac", "output_shape": 3, "dtype": "int4/-1_from_float32"},
        input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=2,
        run_training_check=False,
    )


def test_fit_trains_the_bias_only() -> None:
    model = cornu.Sequential([cornu.Input((4,)), cornu.layers.Dense(3)])
    model.quantize("int4")
    dense: Any = model.layers[0]
    frozen = [w.detach().clone() for w in dense.non_trainable_weights]
    bias = dense.bias.detach().clone()
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(
        rng.standard_normal((8, 4)).astype("float32"),
        rng.standard_normal((8, 3)).astype("float32"),
        epochs=1,
        verbose=0,
    )
    assert all(torch.equal(a, b) for a, b in zip(dense.non_trainable_weights, frozen))
    assert not torch.equal(dense.bias.detach(), bias)


def test_model_quantize_matches_keras(keras_oracle: Any) -> None:
    ours, ref = _model(cornu), _model(keras_oracle)
    _randomize_both(ours, ref, seed=3)
    ours.quantize("int4", filters="head")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref.quantize("int4", filters="head")
    assert [layer.dtype_policy.name for layer in ours.layers[1:]] == [
        layer.dtype_policy.name for layer in ref.layers[1:]
    ]
    ours.quantize(
        config=quantizers.Int4QuantizationConfig(block_size=4),
        filters=["embed", "proj"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref.quantize(
            config=keras_oracle.quantizers.Int4QuantizationConfig(block_size=4),
            filters=["embed", "proj"],
        )
    # As in Keras, quantizing a quantized layer again is an error.
    with pytest.raises(ValueError, match=r"Layer 'embed' is already quantized"):
        ours.quantize("int4")
    assert [layer.dtype_policy.name for layer in ours.layers[1:]] == [
        "int4/4_from_float32",
        "int4/4_from_float32",
        "int4/128_from_float32",
    ]
    np.testing.assert_allclose(_out(ours), _out(ref), rtol=1e-5, atol=1e-5)


# -- errors -------------------------------------------------------------------------
def test_int4_errors(keras_oracle: Any) -> None:
    with pytest.raises(ValueError, match=r"block_size must be None, -1, or a positive"):
        quantizers.Int4QuantizationConfig(block_size=0)
    with pytest.raises(
        ValueError, match=r"sub-channel quantization \(block_size > 0\)"
    ):
        quantizers.Int4QuantizationConfig(weight_quantizer=quantizers.AbsMaxQuantizer())
    with pytest.raises(
        ValueError, match=r"requires a weight_quantizer with value_range"
    ):
        quantizers.Int4QuantizationConfig(
            block_size=None, weight_quantizer=quantizers.AbsMaxQuantizer()
        )
    layer = Dense(3)
    with pytest.raises(
        ValueError, match=r"Cannot quantize a layer that isn't yet built"
    ):
        layer.quantize("int4")
    layer.build((None, 4))
    with pytest.raises(ValueError, match=r"Contradictory arguments: mode='int8'"):
        layer.quantize("int8", config=quantizers.Int4QuantizationConfig())
    with pytest.raises(ValueError, match=r"you must pass a `GPTQConfig` object"):
        layer.quantize("gptq")
    layer.quantize("int4")
    with pytest.raises(
        ValueError, match=r"already quantized with dtype_policy='int4/128_from_float32'"
    ):
        layer.quantize("int4")
    layer.enable_lora(2)
    with pytest.raises(ValueError, match=r"already has LoRA enabled \(rank 2\)"):
        layer.enable_lora(2)

    class MyDense(Dense):
        pass

    sub = MyDense(2)
    sub.build((None, 3))
    with pytest.raises(
        NotImplementedError, match=r"MyDense does not have a `quantize`"
    ):
        sub.quantize("int4")
    # Keras raises the same conditions.
    ref = keras_oracle.layers.Dense(3)
    ref.build((None, 4))
    with pytest.raises(ValueError, match=r"block_size must be None, -1, or a positive"):
        keras_oracle.quantizers.Int4QuantizationConfig(block_size=0)
    ref.quantize("int4")
    with pytest.raises(ValueError, match=r"already quantized"):
        ref.quantize("int4")


def test_int4_policy_errors() -> None:
    with pytest.raises(ValueError, match=r"Expected format 'int4/<block_size>'"):
        dtype_policies.Int4DTypePolicy("int4", "float32")
    with pytest.raises(ValueError, match=r"<block_size> must be an integer"):
        dtype_policies.Int4DTypePolicy("int4/x", "float32")
    with pytest.raises(ValueError, match=r"Invalid block_size in mode"):
        dtype_policies.get("int4/0_from_float32")
    with pytest.raises(ValueError, match=r"Invalid block_size in mode"):
        Dense(3, dtype="int4/-2_from_float32")


# -- dtype policies ------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["int4/128_from_float32", "int4/-1_from_mixed_bfloat16", "int4_from_float32"],
)
def test_policy_serialization_matches_keras(name: str, keras_oracle: Any) -> None:
    ref = keras_oracle.dtype_policies.get(name)
    ours = dtype_policies.get(name)
    assert type(ours).__name__ == type(ref).__name__
    assert (
        ours.name,
        ours.compute_dtype,
        ours.variable_dtype,
        ours.quantization_mode,
    ) == (
        ref.name,
        ref.compute_dtype,
        ref.variable_dtype,
        ref.quantization_mode,
    )
    assert getattr(ours, "block_size", None) == getattr(ref, "block_size", None)
    config = keras_oracle.dtype_policies.serialize(ref)
    assert dtype_policies.serialize(ours) == config
    assert dtype_policies.deserialize(config) == ours
    assert (
        keras_oracle.dtype_policies.deserialize(dtype_policies.serialize(ours)) == ref
    )


def test_config_serialization_matches_keras(keras_oracle: Any) -> None:
    for block_size in (None, -1, 64):
        ours = quantizers.Int4QuantizationConfig(block_size=block_size)
        ref = keras_oracle.quantizers.Int4QuantizationConfig(block_size=block_size)
        config = keras_oracle.quantizers.serialize(ref)
        assert same_config(quantizers.serialize(ours), config)
        back = quantizers.deserialize(config)
        assert isinstance(back, quantizers.Int4QuantizationConfig)
        assert back.block_size == block_size and back.mode == "int4"
    # Configs written before `block_size` existed were per channel.
    legacy = quantizers.Int4QuantizationConfig.from_config(
        {"weight_quantizer": None, "activation_quantizer": None}
    )
    assert legacy.block_size is None


# -- files -----------------------------------------------------------------------------
TOKENS = np.array([[1, 2, 3, 4], [5, 6, 7, 10]], dtype="int32")


def _model(k: Any) -> Any:
    """The same model in cornu or Keras: Embedding -> EinsumDense -> Dense."""
    tokens = k.Input((4,), dtype="int32")
    h = k.layers.Embedding(11, 6, name="embed")(tokens)
    h = k.layers.EinsumDense("abc,cd->abd", (4, 5), bias_axes="d", name="proj")(h)
    return k.Model(tokens, k.layers.Dense(3, activation="relu", name="head")(h))


def _randomize_both(*models: Any, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in models[0].weights
    ]
    for model in models:
        model.set_weights(values)


def _out(model: Any) -> np.ndarray:
    return as_numpy(model(torch.as_tensor(TOKENS)))


def _config(keras_module: Any, block_size: Any) -> Any:
    return keras_module.quantizers.Int4QuantizationConfig(block_size=block_size)


def _keras_quantize(model: Any, keras_oracle: Any, block_size: Any) -> None:
    with warnings.catch_warnings():
        # Keras warns for each layer it cannot quantize (InputLayer...).
        warnings.simplefilter("ignore", UserWarning)
        model.quantize("int4", config=_config(keras_oracle, block_size))


@pytest.mark.parametrize("block_size", [None, 4])
def test_keras_loads_cornu_int4_files(
    block_size: Any, keras_oracle: Any, tmp_path: Path
) -> None:
    model = _model(cornu)
    _randomize_both(model)
    model.quantize("int4", config=_config(cornu, block_size))
    expected = _out(model)
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")

    ref = keras_oracle.saving.load_model(tmp_path / "model.keras")
    names = [layer.dtype_policy.name for layer in ref.layers[1:]]
    size = -1 if block_size is None else block_size
    assert names == [f"int4/{size}_from_float32"] * 3
    np.testing.assert_allclose(_out(ref), expected, rtol=1e-6, atol=1e-6)

    ref_weights = _model(keras_oracle)
    _keras_quantize(ref_weights, keras_oracle, block_size)
    ref_weights.load_weights(tmp_path / "model.weights.h5")
    np.testing.assert_allclose(_out(ref_weights), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("block_size", [None, 4])
def test_cornu_loads_keras_int4_files(
    block_size: Any, keras_oracle: Any, tmp_path: Path
) -> None:
    ref = _model(keras_oracle)
    _randomize_both(ref, seed=1)
    _keras_quantize(ref, keras_oracle, block_size)
    expected = _out(ref)
    ref.save(tmp_path / "keras.keras")
    ref.save_weights(tmp_path / "keras.weights.h5")

    model = saving.load_model(tmp_path / "keras.keras")
    assert [layer.dtype_policy.name for layer in model.layers[1:]] == [
        layer.dtype_policy.name for layer in ref.layers[1:]
    ]
    assert all(layer.quantization_mode == "int4" for layer in model.layers[1:])
    np.testing.assert_allclose(_out(model), expected, rtol=1e-6, atol=1e-6)

    weights_only = _model(cornu)
    weights_only.quantize("int4", config=_config(cornu, block_size))
    weights_only.load_weights(tmp_path / "keras.weights.h5")
    np.testing.assert_allclose(_out(weights_only), expected, rtol=1e-6, atol=1e-6)
    # Written back by cornu, the file holds what Keras wrote.
    weights_only.save_weights(tmp_path / "again.weights.h5")
    again = _model(keras_oracle)
    _keras_quantize(again, keras_oracle, block_size)
    again.load_weights(tmp_path / "again.weights.h5")
    np.testing.assert_allclose(_out(again), expected, rtol=1e-6, atol=1e-6)


def test_int4_weights_refuse_a_float_model(tmp_path: Path) -> None:
    model = _model(cornu)
    model.quantize("int4")
    model.save_weights(tmp_path / "model.weights.h5")
    per_channel = _model(cornu)
    per_channel.quantize(
        "int4", config=quantizers.Int4QuantizationConfig(block_size=None)
    )
    with pytest.raises(Exception, match=r"expects|shape|saved"):
        per_channel.load_weights(tmp_path / "model.weights.h5")


# -- the unpacked `kernel` / `embeddings` property --------------------------------
def _main(layer: Any) -> Any:
    return layer.embeddings if hasattr(layer, "input_dim") else layer.kernel


@pytest.mark.parametrize("block_size", [None, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_weight_property_is_unpacked_as_in_keras(
    case: str, block_size: Any, keras_oracle: Any
) -> None:
    ours, ref = _pair(case, keras_oracle)
    float_shape = tuple(_main(ours).shape)
    assert _main(ours) is ours.weights[0]  # a float layer: the variable itself
    _quantize_both(ours, ref, keras_oracle, block_size)
    mine, theirs = _main(ours), _main(ref)
    assert tuple(mine.shape) == tuple(theirs.shape) == float_shape
    assert mine.dtype == torch.int8 and str(theirs.dtype) == "torch.int8"
    np.testing.assert_array_equal(as_numpy(mine), as_numpy(theirs))
    assert int(mine.min()) >= -8 and int(mine.max()) <= 7
    # The variable under the same name stays packed, and is what is saved.
    name = "embeddings" if case == "embedding" else "kernel"
    stored = next(w for w in ours.weights if w.name == name)
    assert stored.shape[-1] == (mine.reshape(stored.shape[0], -1).shape[-1] + 1) // 2
    store: dict[str, Any] = {}
    ours.save_own_variables(store)
    assert store["0"].data_ptr() == stored.data_ptr()


def test_weight_property_of_int8_layers_is_the_variable() -> None:
    layer = Dense(3)
    layer.build((None, 4))
    layer.quantize("int8")
    assert layer.kernel is layer._parameters["kernel"]
    assert layer.kernel.dtype == torch.int8
    with pytest.raises(
        AttributeError, match=r"'Dense' object has no attribute 'kernel'"
    ):
        Dense(3).kernel  # noqa: B018


# -- LoRA on int4 layers ------------------------------------------------------------
def _lora_pair(
    case: str, keras_oracle: Any, block_size: Any, lora_first: bool
) -> tuple[Any, Any]:
    """An int4 cornu / Keras pair with LoRA (rank 2, alpha 3) and equal,
    non-zero factors; LoRA enabled before or after quantizing."""
    ours, ref = _pair(case, keras_oracle)
    if lora_first:
        ours.enable_lora(2, lora_alpha=3.0)
        ref.enable_lora(2, lora_alpha=3.0)
    _quantize_both(ours, ref, keras_oracle, block_size)
    if not lora_first:
        ours.enable_lora(2, lora_alpha=3.0)
        ref.enable_lora(2, lora_alpha=3.0)
    rng = np.random.default_rng(7)
    refs = {w.path.split("/")[-1]: w for w in ref.weights}
    for w in ours.weights:
        if w.name.startswith("lora_"):
            value = 0.3 * rng.standard_normal(tuple(w.shape)).astype("float32")
            with torch.no_grad():
                w.copy_(torch.as_tensor(value))
            refs[w.name].assign(value)
    return ours, ref


@pytest.mark.parametrize("lora_first", [False, True])
@pytest.mark.parametrize("block_size", [None, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_lora_on_int4_matches_keras(
    case: str, block_size: Any, lora_first: bool, keras_oracle: Any
) -> None:
    ours, ref = _lora_pair(case, keras_oracle, block_size, lora_first)
    assert ours.lora_enabled and ours.quantization_mode == "int4"
    # Factor shapes follow the float weight, not the packed one.
    assert weight_table(ours, False) == weight_table(ref, True)
    assert [w.trainable for w in ours.weights] == [w.trainable for w in ref.weights]
    trainable = {w.name for w in ours.trainable_weights}
    assert {"lora_kernel_a", "lora_kernel_b"} <= trainable or {
        "lora_embeddings_a",
        "lora_embeddings_b",
    } <= trainable
    x = _inputs(case)
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-5, atol=1e-5
    )
    # The property adds the update to the unpacked values, in the compute dtype.
    mine, theirs = _main(ours), _main(ref)
    assert mine.dtype == torch.float32 and str(theirs.dtype) == "torch.float32"
    np.testing.assert_allclose(as_numpy(mine), as_numpy(theirs), rtol=1e-6, atol=1e-6)
    # Saved: the update merged in and quantized again, as Keras writes it.
    store: dict[str, Any] = {}
    ref_store: dict[str, Any] = {}
    ours.save_own_variables(store)
    ref.save_own_variables(ref_store)
    assert sorted(store) == sorted(ref_store)
    for key in store:
        np.testing.assert_array_equal(as_numpy(store[key]), as_numpy(ref_store[key]))
    # Read back, the factors are zero and both give the merged layer's output.
    ours.load_own_variables(ref_store)
    ref.load_own_variables(ref_store)
    assert all(not w.detach().any() for w in ours.weights if w.name.startswith("lora_"))
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-5, atol=1e-5
    )


def _sgd_steps(layer: Any, x: np.ndarray, trainable: list[Any], steps: int) -> None:
    for _ in range(steps):
        params = [getattr(w, "value", w) for w in trainable]
        for p in params:
            p.grad = None
        out = layer(torch.as_tensor(x))
        getattr(out, "value", out).square().mean().backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad


@pytest.mark.parametrize("block_size", [None, 2])
@pytest.mark.parametrize("case", ["dense_3d", "einsum_heads", "embedding"])
def test_lora_on_int4_trains_as_in_keras(
    case: str, block_size: Any, keras_oracle: Any
) -> None:
    ours, ref = _lora_pair(case, keras_oracle, block_size, lora_first=False)
    frozen = [w.detach().clone() for w in ours.non_trainable_weights]
    x = _inputs(case)
    # Same order on both sides: the trainable weights' names match.
    assert [w.name for w in ours.trainable_weights] == [
        w.path.split("/")[-1] for w in ref.trainable_weights
    ]
    _sgd_steps(ours, x, ours.trainable_weights, steps=3)
    _sgd_steps(ref, x, ref.trainable_weights, steps=3)
    for mine, theirs in zip(ours.trainable_weights, ref.trainable_weights):
        np.testing.assert_allclose(
            as_numpy(mine), as_numpy(theirs), rtol=1e-5, atol=1e-5
        )
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-5, atol=1e-5
    )
    assert all(torch.equal(a, b) for a, b in zip(ours.non_trainable_weights, frozen))


def test_lora_int4_model_files_load_in_keras(keras_oracle: Any, tmp_path: Path) -> None:
    ours, ref = _lora_pair("dense", keras_oracle, 2, lora_first=False)
    model = cornu.Sequential([cornu.Input((5,)), ours])
    model.save_weights(tmp_path / "lora.weights.h5")
    again = keras_oracle.Sequential([keras_oracle.Input((5,)), ref])
    again.load_weights(tmp_path / "lora.weights.h5")
    model.load_weights(tmp_path / "lora.weights.h5")
    x = _inputs("dense")
    np.testing.assert_allclose(
        as_numpy(model(x)), as_numpy(again(x)), rtol=1e-5, atol=1e-5
    )
