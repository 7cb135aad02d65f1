"""Activation, ReLU, LeakyReLU, ELU: harness, torch.nn numerics, Keras, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.activations.activation import Activation
from cornu.layers.activations.elu import ELU
from cornu.layers.activations.leaky_relu import LeakyReLU
from cornu.layers.activations.relu import ReLU

LAYERS = [
    (Activation, {"activation": "tanh"}),
    (ReLU, {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}),
    (LeakyReLU, {"negative_slope": 0.2}),
    (ELU, {"alpha": 0.7}),
]


@pytest.mark.parametrize(("cls", "kwargs"), LAYERS)
def test_harness(layer_test: Any, cls: type, kwargs: dict[str, Any]) -> None:
    layer_test(
        cls,
        kwargs,
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )


@pytest.mark.parametrize(
    ("layer", "module"),
    [
        (lambda: Activation("relu"), lambda: torch.nn.ReLU()),
        (lambda: Activation("sigmoid"), lambda: torch.nn.Sigmoid()),
        (lambda: ReLU(), lambda: torch.nn.ReLU()),
        (lambda: ReLU(max_value=6.0), lambda: torch.nn.ReLU6()),
        (lambda: ReLU(negative_slope=0.1), lambda: torch.nn.LeakyReLU(0.1)),
        (lambda: LeakyReLU(), lambda: torch.nn.LeakyReLU(0.3)),
        (lambda: ELU(alpha=0.5), lambda: torch.nn.ELU(0.5)),
    ],
)
def test_matches_torch_nn(layer: Any, module: Any) -> None:
    # Avoid x == 0 exactly, where the subgradient is a convention.
    x = (torch.randn(4, 7) * 4).requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    y, y_ref = layer()(x), module()(x_ref)
    torch.testing.assert_close(y, y_ref, atol=1e-6, rtol=1e-6)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-6, rtol=1e-6)


def test_relu_general_case_against_numpy() -> None:
    x = np.linspace(-10, 10, 41).astype("float32")
    y = ReLU(max_value=5.0, negative_slope=0.5, threshold=1.0)(torch.from_numpy(x))
    expected = np.where(x >= 5.0, 5.0, np.where(x > 1.0, x, 0.5 * (x - 1.0)))
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ReLU", {"max_value": 4.0, "negative_slope": 0.2, "threshold": 0.5}),
        ("ReLU", {"threshold": 1.5}),
        ("LeakyReLU", {"negative_slope": 0.05}),
        ("ELU", {"alpha": 2.0}),
    ],
)
def test_matches_keras(keras_oracle: Any, name: str, kwargs: dict[str, Any]) -> None:
    x = np.random.default_rng(1).standard_normal((3, 8)).astype("float32") * 3
    ours = {"ReLU": ReLU, "LeakyReLU": LeakyReLU, "ELU": ELU}[name](**kwargs)
    ref = getattr(keras_oracle.layers, name)(**kwargs)
    np.testing.assert_allclose(
        ours(torch.from_numpy(x)).numpy(), np.asarray(ref(x).cpu()), atol=1e-6
    )
    got, want = ours.get_config(), ref.get_config()
    assert {k: v for k, v in got.items() if k != "name"} == {
        k: v for k, v in want.items() if k != "name"
    }


def test_activation_config_round_trip() -> None:
    layer = Activation("softmax")
    assert layer.get_config()["activation"] == "softmax"
    assert Activation.from_config(layer.get_config()).activation is layer.activation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_value": -1.0}, r"ReLU `max_value` must be a number >= 0, received: "),
        ({"negative_slope": -0.1}, r"ReLU `negative_slope` must be a number >= 0"),
        ({"threshold": None}, r"ReLU `threshold` must be a number >= 0"),
    ],
)
def test_relu_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReLU(**kwargs)


def test_leaky_relu_bad_slope_and_alpha_alias() -> None:
    with pytest.raises(
        ValueError, match=r"LeakyReLU `negative_slope` must be a number >= 0"
    ):
        LeakyReLU(negative_slope=-1)
    with pytest.warns(UserWarning, match=r"`alpha` is deprecated"):
        layer = LeakyReLU(alpha=0.4)
    assert layer.negative_slope == 0.4
