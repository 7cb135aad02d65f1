"""int8 post-training quantization of Dense, EinsumDense and Embedding.

Weights, outputs, gradients and configs are compared with real Keras 3 on the
same float weights; the abs-max math with a NumPy reference written here.
"""

from __future__ import annotations

import doctest
from typing import Any

import numpy as np
import pytest
import torch
from quantization_checks import as_numpy, same_config, weight_table

import cornu
from cornu import dtype_policies, quantizers
from cornu.layers.core import quantization
from cornu.layers.core.dense import Dense
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.core.embedding import Embedding
from cornu.quantizers import quantizers as quantizer_math

# Keras's own weight quantization trips numpy's `__array__` deprecation on torch.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy"
)

# name -> (cornu factory, Keras factory (given keras.layers), build shape)
CASES: dict[str, tuple[Any, Any, tuple]] = {
    "dense": (lambda: Dense(7), lambda kl: kl.Dense(7), (None, 5)),
    "dense_3d": (
        lambda: Dense(4, activation="relu"),
        lambda kl: kl.Dense(4, activation="relu"),
        (None, 3, 5),
    ),
    "einsum_2d": (
        lambda: EinsumDense("ab,bc->ac", (4,), bias_axes="c"),
        lambda kl: kl.EinsumDense("ab,bc->ac", (4,), bias_axes="c"),
        (None, 5),
    ),
    "einsum_heads": (
        lambda: EinsumDense("abc,cde->abde", (3, 4, 6), bias_axes="de"),
        lambda kl: kl.EinsumDense("abc,cde->abde", (3, 4, 6), bias_axes="de"),
        (None, 3, 5),
    ),
    "einsum_swapped": (
        lambda: EinsumDense("abc,dce->abde", (3, 4, 6), bias_axes="e"),
        lambda kl: kl.EinsumDense("abc,dce->abde", (3, 4, 6), bias_axes="e"),
        (None, 3, 5),
    ),
    "einsum_two_reduced": (
        lambda: EinsumDense("abc,bcd->ad", (6,)),
        lambda kl: kl.EinsumDense("abc,bcd->ad", (6,)),
        (None, 3, 5),
    ),
    "einsum_4d": (
        lambda: EinsumDense("abcd,cde->abe", (3, 6)),
        lambda kl: kl.EinsumDense("abcd,cde->abe", (3, 6)),
        (None, 3, 4, 5),
    ),
    "embedding": (lambda: Embedding(10, 4), lambda kl: kl.Embedding(10, 4), (None, 3)),
}


def _inputs(case: str, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (2, *CASES[case][2][1:])
    if case == "embedding":
        return rng.integers(0, 10, shape).astype("int32")
    return rng.standard_normal(shape).astype("float32")


def _pair(case: str, keras_oracle: Any, seed: int = 0) -> tuple[Any, Any]:
    """A cornu layer and a Keras layer, built, with the same float weights."""
    factory, ref_factory, shape = CASES[case]
    ours, ref = factory(), ref_factory(keras_oracle.layers)
    if case == "embedding":
        ours.build()
        ref.build()
    else:
        ours.build(shape)
        ref.build(shape)
    rng = np.random.default_rng(seed)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in ours.weights
    ]
    ours.set_weights(values)
    ref.set_weights(values)
    return ours, ref


# -- the abs-max math ---------------------------------------------------------------
def _numpy_abs_max(x: np.ndarray, axis: Any) -> tuple[np.ndarray, np.ndarray]:
    scale = np.float32(127) / (
        np.max(np.abs(x), axis=axis, keepdims=True) + np.float32(1e-7)
    )
    q = np.clip(np.round(x * scale), -127, 127).astype("int8")
    return q, scale.astype("float32")


@pytest.mark.parametrize("axis", [0, -1, (0, 2)])
def test_abs_max_quantize_matches_numpy(axis: Any) -> None:
    x = np.random.default_rng(3).standard_normal((4, 5, 6)).astype("float32")
    x[0, 0, 0] = 0.5 / 127  # a value that rounds half to even
    q, scale = quantizer_math.abs_max_quantize(torch.from_numpy(x), axis)
    ref_q, ref_scale = _numpy_abs_max(x, axis)
    np.testing.assert_array_equal(q.numpy(), ref_q)
    np.testing.assert_array_equal(scale.numpy(), ref_scale)
    assert q.dtype is torch.int8


def test_int_products_are_exact() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(-127, 128, (3, 4, 64)).astype("int8")
    b = rng.integers(-127, 128, (64, 5)).astype("int8")
    want = a.astype("int64") @ b.astype("int64")
    got = quantizer_math.int_matmul(torch.from_numpy(a), torch.from_numpy(b))
    assert got.dtype is torch.int32
    np.testing.assert_array_equal(got.numpy(), want)
    got = quantizer_math.int_einsum(
        "abc,cd->abd", torch.from_numpy(a), torch.from_numpy(b)
    )
    np.testing.assert_array_equal(got.numpy(), want)


def test_abs_max_quantizer_config_and_errors() -> None:
    quantizer = quantizers.AbsMaxQuantizer(axis=0, value_range=(-100, 100))
    config = quantizers.serialize(quantizer)
    assert config is not None and config["class_name"] == "AbsMaxQuantizer"
    again = quantizers.deserialize(config)
    assert again.get_config() == quantizer.get_config()
    assert again.axis == (0,)
    with pytest.raises(ValueError, match=r"value_range to be within the interval"):
        quantizers.AbsMaxQuantizer(value_range=(-200, 127))
    with pytest.raises(
        ValueError, match=r"requires a weight_quantizer with output_dtype='int8'"
    ):
        quantizers.Int8QuantizationConfig(
            weight_quantizer=quantizers.AbsMaxQuantizer(output_dtype="int16")
        )


# -- layers against Keras ---------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_quantize_matches_keras(case: str, keras_oracle: Any) -> None:
    ours, ref = _pair(case, keras_oracle)
    ours.quantize("int8")
    ref.quantize("int8")
    assert weight_table(ours, False) == weight_table(ref, True)
    assert [w.trainable for w in ours.weights] == [w.trainable for w in ref.weights]
    for mine, theirs in zip(ours.weights, ref.weights):
        np.testing.assert_array_equal(as_numpy(mine), as_numpy(theirs))
    x = _inputs(case)
    # Same integer products and the same float operations: equal outputs.
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-6, atol=1e-6
    )
    assert ours.dtype_policy == dtype_policies.QuantizedDTypePolicy("int8", "float32")
    assert ours.quantization_mode == "int8"
    mine, theirs = ours.get_config(), ref.get_config()
    for key in ("dtype", "quantization_config"):
        assert same_config(mine[key], theirs[key]), key


@pytest.mark.parametrize("case", ["dense", "dense_3d", "einsum_heads", "einsum_4d"])
def test_input_gradient_matches_keras(case: str, keras_oracle: Any) -> None:
    ours, ref = _pair(case, keras_oracle)
    ours.quantize("int8")
    ref.quantize("int8")
    x = _inputs(case)
    xt = torch.tensor(x, requires_grad=True)
    ours(xt).square().sum().backward()
    xr = torch.tensor(x, requires_grad=True)
    ref(xr).square().sum().backward()
    assert xt.grad is not None and xr.grad is not None
    np.testing.assert_allclose(
        xt.grad.numpy(), xr.grad.detach().cpu().numpy(), rtol=1e-5, atol=1e-5
    )
    # Only the float weights (the bias) train.
    assert all(w.dtype.is_floating_point for w in ours.trainable_weights)


@pytest.mark.parametrize("case", ["dense", "einsum_heads", "embedding"])
def test_lora_on_quantized_layer_matches_keras(case: str, keras_oracle: Any) -> None:
    ours, ref = _pair(case, keras_oracle)
    ours.quantize("int8")
    ref.quantize("int8")
    ours.enable_lora(2, lora_alpha=3.0)
    ref.enable_lora(2, lora_alpha=3.0)
    assert weight_table(ours, False) == weight_table(ref, True)
    rng = np.random.default_rng(5)
    for mine, theirs in zip(ours.weights, ref.weights):
        if "lora" in mine.name:
            value = rng.standard_normal(tuple(mine.shape)).astype("float32")
            mine.assign(value)
            theirs.assign(value)
    x = _inputs(case)
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-5, atol=1e-5
    )
    store: dict[str, Any] = {}
    ref_store: dict[str, Any] = {}
    ours.save_own_variables(store)
    ref.save_own_variables(ref_store)
    assert sorted(store) == sorted(ref_store)
    for key in store:
        mine_v, theirs_v = as_numpy(store[key]), as_numpy(ref_store[key])
        if mine_v.dtype == np.int8:
            # The merged weight is requantized; a value may round the other way.
            assert np.abs(mine_v.astype(int) - theirs_v.astype(int)).max() <= 1
        else:
            np.testing.assert_allclose(mine_v, theirs_v, rtol=1e-5)


@pytest.mark.parametrize("case", ["dense", "einsum_heads"])
def test_weight_only_config_matches_keras(case: str, keras_oracle: Any) -> None:
    ours, ref = _pair(case, keras_oracle)
    ours.quantize(config=quantizers.Int8QuantizationConfig(activation_quantizer=None))
    ref.quantize(
        config=keras_oracle.quantizers.Int8QuantizationConfig(activation_quantizer=None)
    )
    x = _inputs(case)
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-5, atol=1e-5
    )
    config = ours.get_config()["quantization_config"]
    assert same_config(config, ref.get_config()["quantization_config"])
    rebuilt = type(ours).from_config(ours.get_config())
    assert rebuilt.quantization_config.activation_quantizer is None


def test_quantized_config_builds_int8_weights(keras_oracle: Any) -> None:
    ours, ref = _pair("dense", keras_oracle)
    ref.quantize("int8")
    # A Keras config of a quantized layer (dtype and quantization_config).
    layer = Dense.from_config(ref.get_config())
    layer.build((None, 5))
    assert weight_table(layer, False) == weight_table(ref, True)
    assert layer.quantization_mode == "int8"
    assert layer.dtype_policy.name == "int8_from_float32"
    layer.set_weights([as_numpy(w) for w in ref.weights])
    x = _inputs("dense")
    np.testing.assert_allclose(
        as_numpy(layer(x)), as_numpy(ref(x)), rtol=1e-6, atol=1e-6
    )


def test_setting_a_quantized_policy_quantizes(keras_oracle: Any) -> None:
    ours, ref = _pair("embedding", keras_oracle)
    ours.dtype_policy = "int8_from_float32"
    ref.dtype_policy = "int8_from_float32"
    assert weight_table(ours, False) == weight_table(ref, True)
    np.testing.assert_array_equal(as_numpy(ours.embeddings), as_numpy(ref.embeddings))


def test_symbolic_call_and_ellipsis_equations() -> None:
    # Keras cannot quantize ellipsis equations (it fails in its layout
    # analysis); cornu does: compared here with the dequantized float layer.
    for equation, out_shape, in_shape in (
        ("...b,bc->...c", (4,), (2, 3, 5)),
        ("ab...,bc->ac...", (4,), (2, 5, 7)),
    ):
        layer = EinsumDense(equation, out_shape)
        x = np.random.default_rng(0).standard_normal(in_shape).astype("float32")
        float_out = as_numpy(layer(x))
        layer.quantize("int8")
        np.testing.assert_allclose(as_numpy(layer(x)), float_out, atol=0.08)
        inputs = cornu.Input(in_shape[1:])
        assert tuple(layer(inputs).shape) == (None, *float_out.shape[1:])


def test_run_layer_test_on_quantized_policy(layer_test: Any) -> None:
    layer_test(
        Dense,
        {"units": 3, "dtype": "int8_from_float32"},
        input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=2,
        # A quantized policy builds a zero int8 kernel: the loss has no
        # gradient yet; training is checked in `test_fit_trains_the_bias_only`.
        run_training_check=False,
    )
    layer_test(
        Embedding,
        {"input_dim": 5, "output_dim": 3, "dtype": "int8_from_float32"},
        input_shape=(2, 4),
        input_dtype="int32",
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=2,
        run_training_check=False,
    )


def test_fit_trains_the_bias_only() -> None:
    model = cornu.Sequential([cornu.Input((4,)), cornu.layers.Dense(3)])
    model.quantize("int8")
    dense: Any = model.layers[0]
    kernel, bias = dense.kernel.detach().clone(), dense.bias.detach().clone()
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(
        rng.standard_normal((8, 4)).astype("float32"),
        rng.standard_normal((8, 3)).astype("float32"),
        epochs=1,
        verbose=0,
    )
    assert torch.equal(dense.kernel, kernel)
    assert not torch.equal(dense.bias.detach(), bias)


# -- errors ---------------------------------------------------------------------
def test_quantize_errors() -> None:
    layer = Dense(3)
    with pytest.raises(
        ValueError, match=r"Cannot quantize a layer that isn't yet built"
    ):
        layer.quantize("int8")
    layer.build((None, 2))
    with pytest.raises(
        ValueError, match=r"Invalid quantization mode.*Received: mode=int3"
    ):
        layer.quantize("int3")
    with pytest.raises(ValueError, match=r"provide either `mode` or `config`"):
        layer.quantize()
    with pytest.raises(ValueError, match=r"Contradictory arguments: mode='int4'"):
        layer.quantize("int4", config=quantizers.Int8QuantizationConfig())
    with pytest.raises(ValueError, match=r"you must pass a `GPTQConfig` object"):
        layer.quantize("gptq")
    layer.quantize("int8")
    with pytest.raises(
        ValueError, match=r"already quantized with dtype_policy='int8_from_float32'"
    ):
        layer.quantize("int8")

    class MyDense(Dense):
        pass

    sub = MyDense(2)
    sub.build((None, 2))
    with pytest.raises(
        NotImplementedError, match=r"MyDense does not have a `quantize`"
    ):
        sub.quantize("int8")
    sub.quantize("int8", type_check=False)
    assert sub.quantization_mode == "int8"

    class CustomCall(Dense):
        def call(self, inputs: torch.Tensor) -> torch.Tensor:
            return super().call(inputs) * 2

    custom = CustomCall(2)
    custom.build((None, 2))
    with pytest.raises(
        NotImplementedError, match=r"overrides `call`, so it cannot run"
    ):
        custom.quantize("int8", type_check=False)
    with pytest.raises(NotImplementedError, match=r"overrides `call`"):
        CustomCall(2, dtype="int8_from_float32").build((None, 2))

    half = Dense(2, dtype="float16")
    half.build((None, 2))
    with pytest.raises(
        ValueError, match=r"doesn't work well with compute_dtype='float16'"
    ):
        half.quantize("int8")


def test_errors_match_keras_wording(keras_oracle: Any) -> None:
    ref = keras_oracle.layers.Dense(3)
    ref.build((None, 2))
    ref.quantize("int8")
    ours = Dense(3, name=ref.name)
    ours.build((None, 2))
    ours.quantize("int8")
    with pytest.raises(ValueError) as theirs:
        ref.quantize("int8")
    with pytest.raises(ValueError, match=str(theirs.value).replace("(", r"\(")):
        ours.quantize("int8")


# -- Model.quantize ---------------------------------------------------------------
def test_model_quantize() -> None:
    model = cornu.Sequential(
        [
            cornu.Input((4,)),
            cornu.layers.Dense(5, name="first"),
            cornu.layers.Dropout(0.1),
            cornu.layers.Dense(2, name="second"),
        ]
    )
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    before = as_numpy(model(x))
    model.quantize("int8", filters="first")
    assert [layer.dtype_policy.name for layer in model.layers] == [
        "int8_from_float32",
        "float32",
        "float32",
    ]
    model.quantize("int8", filters=lambda layer: layer.name == "second")
    assert model.layers[2].quantization_mode == "int8"
    np.testing.assert_allclose(as_numpy(model(x)), before, atol=0.05)
    with pytest.raises(
        ValueError, match=r"Unrecognized keyword arguments passed to Sequential"
    ):
        model.quantize("int8", foo=1)
    with pytest.raises(ValueError, match=r"`filters` argument must be a regex string"):
        model.quantize("int8", filters=3)
    with pytest.raises(ValueError, match=r"already quantized"):
        model.quantize("int8")
    unbuilt = cornu.Sequential([cornu.layers.Dense(2)])
    with pytest.raises(
        ValueError, match=r"Cannot quantize a layer that isn't yet built"
    ):
        unbuilt.quantize("int8")


def test_model_quantize_warns_for_subclasses() -> None:
    class MyDense(Dense):
        pass

    model = cornu.Sequential([cornu.Input((4,)), MyDense(3)])
    with pytest.warns(UserWarning, match=r"MyDense does not have a `quantize`"):
        model.quantize("int8")
    assert model.layers[0].quantization_mode is None


def test_docstring_examples() -> None:
    import cornu.core.dtype_policy as core_policy
    import cornu.quantizers.quantization_config as config_module
    from cornu.models import model as model_module

    for module in (
        quantization,
        quantizer_math,
        quantizers,
        config_module,
        dtype_policies,
        core_policy,
    ):
        result = doctest.testmod(module, extraglobs={"np": np, "torch": torch})
        assert result.failed == 0, module.__name__
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(model_module.Model.quantize, "quantize"):
        runner.run(test)
    assert runner.summarize(verbose=False).attempted > 0
    assert runner.summarize(verbose=False).failed == 0


# -- dtype policies ---------------------------------------------------------------
POLICY_NAMES = [
    "int8_from_float32",
    "int8_from_mixed_bfloat16",
    "float32",
    "mixed_float16",
]


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_policy_serialization_matches_keras(name: str, keras_oracle: Any) -> None:
    ref = keras_oracle.dtype_policies.get(name)
    ours = dtype_policies.get(name)
    assert type(ours).__name__ == type(ref).__name__.replace("Float", "")
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
    config = keras_oracle.dtype_policies.serialize(ref)
    assert dtype_policies.serialize(ours) == config
    assert dtype_policies.deserialize(config) == ours
    assert (
        keras_oracle.dtype_policies.deserialize(dtype_policies.serialize(ours)) == ref
    )


def test_policy_map_matches_keras(keras_oracle: Any) -> None:
    kdp = keras_oracle.dtype_policies
    for default in (None, "mixed_bfloat16"):
        ours = dtype_policies.DTypePolicyMap(default_policy=default)
        ref = kdp.DTypePolicyMap(default_policy=default)
        for key, policy in (
            ("encoder/dense", "int8_from_float32"),
            ("decoder/.*", "bfloat16"),
        ):
            ours[key] = policy
            ref[key] = policy
        config = kdp.serialize(ref)
        assert dtype_policies.serialize(ours) == config
        back = dtype_policies.deserialize(config)
        assert isinstance(back, dtype_policies.DTypePolicyMap)
        assert back.name == ours.name == ref.name
        assert [back[k].name for k in ("encoder/dense", "decoder/x", "other")] == [
            kdp.deserialize(config)[k].name
            for k in ("encoder/dense", "decoder/x", "other")
        ]


def test_policy_errors() -> None:
    with pytest.raises(
        ValueError, match=r"doesn't work well with compute_dtype='float16'"
    ):
        dtype_policies.get("int8_from_float16")
    with pytest.raises(ValueError, match=r"Cannot convert `policy` into a valid pair"):
        dtype_policies.get("int8")
    with pytest.raises(
        ValueError, match=r"Invalid quantization mode.*Received: mode=int3"
    ):
        dtype_policies.QuantizedDTypePolicy("int3", "float32")
    with pytest.raises(NotImplementedError, match=r"'gptq' is not supported by cornu"):
        dtype_policies.get("gptq_from_float32")
    policy_map = dtype_policies.DTypePolicyMap()
    policy_map["a/.*"] = "float32"
    policy_map[".*/b"] = "bfloat16"
    with pytest.raises(ValueError, match=r"Path 'a/b' matches multiple dtype policy"):
        policy_map["a/b"]
    with pytest.raises(ValueError, match=r"a/\.\* already exist in the DTypePolicyMap"):
        policy_map["a/.*"] = "float16"
    with pytest.raises(
        ValueError, match=r"`default_policy` cannot be a `DTypePolicyMap`"
    ):
        dtype_policies.DTypePolicyMap(default_policy=policy_map)
    with pytest.raises(TypeError, match=r"`policy_map` must be a dict"):
        dtype_policies.DTypePolicyMap(policy_map=[1])  # type: ignore[arg-type]


@pytest.mark.parametrize("case", ["dense", "einsum_heads", "embedding"])
def test_mixed_bfloat16_matches_keras(case: str, keras_oracle: Any) -> None:
    factory, ref_factory, shape = CASES[case]
    ours, ref = factory(), ref_factory(keras_oracle.layers)
    ours.dtype_policy = "mixed_bfloat16"
    ref.dtype_policy = "mixed_bfloat16"
    ours.build(shape)
    ref.build(shape)
    rng = np.random.default_rng(0)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in ours.weights
    ]
    ours.set_weights(values)
    ref.set_weights(values)
    ours.quantize("int8")
    ref.quantize("int8")
    assert ours.dtype_policy.name == ref.dtype_policy.name == "int8_from_mixed_bfloat16"
    x = _inputs(case)
    mine, theirs = ours(x), ref(x)
    assert mine.dtype is torch.bfloat16 and theirs.dtype is torch.bfloat16
    np.testing.assert_array_equal(as_numpy(mine.float()), as_numpy(theirs.float()))


def test_quantize_after_lora_matches_keras(keras_oracle: Any) -> None:
    ours, ref = Dense(4), keras_oracle.layers.Dense(4)
    ours.build((None, 5))
    ref.build((None, 5))
    ours.enable_lora(2)
    ref.enable_lora(2)
    rng = np.random.default_rng(0)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in ours.weights
    ]
    ours.set_weights(values)
    ref.set_weights(values)
    ours.quantize("int8")
    ref.quantize("int8")
    assert weight_table(ours, False) == weight_table(ref, True)
    x = _inputs("dense")
    np.testing.assert_allclose(
        as_numpy(ours(x)), as_numpy(ref(x)), rtol=1e-6, atol=1e-6
    )
    # A Keras config (quantized dtype, lora_rank) rebuilds the same weights.
    again = Dense.from_config(ref.get_config())
    again.build((None, 5))
    assert again.lora_enabled
    assert weight_table(again, False) == weight_table(ref, True)
