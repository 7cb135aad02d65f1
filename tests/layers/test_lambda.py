"""Lambda: harness, shapes, masks, and safe (de)serialization of functions."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.core import serialization
from cornu.layers.core.lambda_layer import Lambda


@serialization.register_keras_serializable(package="cornu_test_lambda")
def double(x: Any) -> Any:
    return x * 2


@serialization.register_keras_serializable(package="cornu_test_lambda")
def scaled(x: Any, factor: float = 1.0, training: bool | None = None) -> Any:
    return x * factor if training else x


def test_harness_registered_function(layer_test: Any) -> None:
    out = layer_test(
        Lambda,
        {"function": double},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        supports_masking=False,
    )
    assert out.shape == (2, 3)


def test_harness_with_output_shape_and_arguments(layer_test: Any) -> None:
    layer_test(
        Lambda,
        {"function": scaled, "output_shape": (3,), "arguments": {"factor": 3.0}},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
    )


def test_training_and_arguments_are_passed() -> None:
    layer = Lambda(scaled, arguments={"factor": 3.0})
    x = torch.ones(2)
    assert layer(x, training=True).tolist() == [3.0, 3.0]
    assert layer(x, training=False).tolist() == [1.0, 1.0]


def test_output_shape_inferred_tuple_or_function() -> None:
    x = keras.Input((4, 6))
    assert Lambda(lambda t: t.sum(-1))(x).shape == (None, 4)
    assert Lambda(lambda t: t.sum(-1), output_shape=(4,))(x).shape == (None, 4)
    fn_shape = Lambda(lambda t: t[:, 0], output_shape=lambda s: (s[0], s[2]))
    assert fn_shape(x).shape == (None, 6)
    assert fn_shape.compute_output_shape((None, 4, 6)) == (None, 6)
    assert Lambda(lambda t: t.sum(-1)).compute_output_shape((None, 4, 6)) == (None, 4)


def test_output_dtype_is_traced() -> None:
    out = Lambda(lambda t: t > 0)(keras.Input((3,)))
    assert out.dtype == "bool"


def test_uninferable_shape_asks_for_output_shape() -> None:
    def broken(t: Any) -> Any:
        raise RuntimeError("no")

    with pytest.raises(NotImplementedError, match=r"pass `output_shape`"):
        Lambda(broken)(keras.Input((3,)))


def test_mask_function_and_fixed_mask() -> None:
    layer = Lambda(lambda t: t, mask=lambda t, m: t[..., 0] > 0)
    assert layer.supports_masking
    y = layer(torch.tensor([[[1.0], [-1.0]]]))
    assert y._keras_mask.tolist() == [[True, False]]
    fixed = torch.tensor([True, False])
    assert Lambda(lambda t: t * 1, mask=fixed)(torch.ones(2))._keras_mask is fixed


def test_python_lambda_is_written_in_keras_form_and_refused_in_safe_mode() -> None:
    layer = Lambda(lambda t: t + 1)
    config = layer.get_config()
    assert config["function"]["class_name"] == "__lambda__"
    json.dumps(serialization.serialize_keras_object(layer))
    with pytest.raises(
        ValueError, match=r"Refusing to deserialize a `Lambda`.*safe_mode"
    ):
        Lambda.from_config(config)
    with pytest.raises(ValueError, match=r"safe_mode=False"):
        serialization.deserialize_keras_object(
            serialization.serialize_keras_object(layer)
        )


def test_python_lambda_loads_with_safe_mode_off() -> None:
    k = 5.0
    layer = Lambda(lambda t, offset=1.0: t * k + offset)
    config = json.loads(json.dumps(serialization.serialize_keras_object(layer)))
    loaded = serialization.deserialize_keras_object(config, safe_mode=False)
    assert isinstance(loaded, Lambda)
    assert loaded(torch.ones(2)).tolist() == [6.0, 6.0]
    again = Lambda.from_config(layer.get_config(), safe_mode=False)
    assert again(torch.zeros(1)).tolist() == [1.0]


def test_registered_function_round_trips_by_name() -> None:
    config = serialization.serialize_keras_object(Lambda(double))
    assert config["config"]["function"]["registered_name"] == "cornu_test_lambda>double"
    loaded = serialization.deserialize_keras_object(json.loads(json.dumps(config)))
    assert loaded.function is double


def test_unregistered_function_is_stored_as_bytecode() -> None:
    def local_fn(t: Any) -> Any:
        return t + 2

    config = Lambda(local_fn).get_config()
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match=r"register the function with"):
        Lambda.from_config(config)
    loaded = Lambda.from_config(config, safe_mode=False)
    assert loaded(torch.zeros(1)).tolist() == [2.0]


def test_cornu_function_is_stored_by_name() -> None:
    config = Lambda(keras.activations.relu).get_config()
    assert config["function"]["class_name"] == "function"
    assert config["function"]["config"] == "relu"


def test_unknown_function_name_is_refused() -> None:
    config = Lambda(double).get_config()
    config["function"] = {**config["function"], "registered_name": "nowhere>fn"}
    config["function"]["config"] = "no_such_function"
    with pytest.raises(
        ValueError, match=r"register it with `register_keras_serializable`"
    ):
        Lambda.from_config(config)


def test_not_callable() -> None:
    with pytest.raises(ValueError, match=r"Lambda `function` must be callable"):
        Lambda(3)  # type: ignore[arg-type]


def test_keras_lambda_bytecode_interchanges(keras_oracle: Any) -> None:
    ref = keras_oracle.layers.Lambda(lambda t: t * 3.0, output_shape=(2,))
    loaded = Lambda.from_config(ref.get_config(), safe_mode=False)
    assert loaded(torch.ones(1, 2)).tolist() == [[3.0, 3.0]]
    assert loaded.compute_output_shape((None, 2)) == (None, 2)

    ours = Lambda(lambda t: t - 1.0)
    back = keras_oracle.layers.Lambda.from_config(ours.get_config(), safe_mode=False)
    np.testing.assert_allclose(np.asarray(back(np.ones((1, 2), "float32")).cpu()), 0.0)
