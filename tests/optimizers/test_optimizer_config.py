"""Configs, defaults, lookup by name, and the saved variable layout."""

from __future__ import annotations

import inspect
import json
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu import optimizers
from cornu.optimizers import schedules

NAMES = [
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Ftrl",
    "Lion",
    "Lamb",
    "Adafactor",
    "Muon",
]


def _make(cls_name: str, **kwargs: Any) -> optimizers.Optimizer:
    return getattr(optimizers, cls_name)(**kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_config_keys_match_constructor(name: str) -> None:
    cls = getattr(optimizers, name)
    params = {
        p
        for p, spec in inspect.signature(cls.__init__).parameters.items()
        if p != "self" and spec.kind is not inspect.Parameter.VAR_KEYWORD
    }
    assert set(cls().get_config()) == params


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name: str) -> None:
    opt = _make(name, learning_rate=0.25, clipnorm=1.5, name=f"my_{name}")
    config = opt.get_config()
    json.dumps(config)
    clone = type(opt).from_config(config)
    assert clone.get_config() == config
    restored = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert type(restored) is type(opt)
    assert restored.get_config() == config


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_config_match_keras(name: str, keras_oracle: Any) -> None:
    ours = _make(name).get_config()
    theirs = getattr(keras_oracle.optimizers, name)().get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


def test_serialized_form_matches_keras(keras_oracle: Any) -> None:
    schedule = schedules.ExponentialDecay(0.1, 10, 0.9)
    ours = optimizers.serialize(optimizers.Adam(learning_rate=schedule, name="a"))
    theirs = keras_oracle.optimizers.serialize(
        keras_oracle.optimizers.Adam(
            learning_rate=keras_oracle.optimizers.schedules.ExponentialDecay(
                0.1, 10, 0.9
            ),
            name="a",
        )
    )
    assert ours["module"] == "keras.optimizers"
    assert ours["class_name"] == theirs["class_name"]
    assert ours["config"] == theirs["config"]
    # A config written by Keras loads here.
    restored = optimizers.deserialize(theirs)
    assert isinstance(restored, optimizers.Adam)
    assert isinstance(restored._learning_rate, schedules.ExponentialDecay)


def test_config_with_schedule_and_function_round_trips() -> None:
    opt = optimizers.SGD(learning_rate=schedules.CosineDecay(0.1, 100, alpha=0.1))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    clone = optimizers.SGD.from_config(config)
    assert clone._learning_rate.get_config() == opt._learning_rate.get_config()

    @cornu.core.serialization.register_keras_serializable(package="test_opt")
    def constant_lr() -> float:
        return 0.5

    opt = optimizers.SGD(learning_rate=constant_lr)
    clone = optimizers.SGD.from_config(opt.get_config())
    assert clone._learning_rate is constant_lr


def test_learning_rate_in_config_is_float32_rounded() -> None:
    # Keras stores the rate in a float32 variable, and reports that value.
    assert optimizers.Adam().get_config()["learning_rate"] == float(np.float32(1e-3))


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("adam", optimizers.Adam),
        ("Adam", optimizers.Adam),
        ("sgd", optimizers.SGD),
        ("RMSprop", optimizers.RMSprop),
        ("rmsprop", optimizers.RMSprop),
        ("adamw", optimizers.AdamW),
        ("nadam", optimizers.Nadam),
        ("lion", optimizers.Lion),
        ({"class_name": "Adagrad", "config": {"epsilon": 0.5}}, optimizers.Adagrad),
    ],
)
def test_get(identifier: Any, cls: type) -> None:
    opt = optimizers.get(identifier)
    assert type(opt) is cls
    if isinstance(identifier, dict):
        assert opt.epsilon == 0.5


def test_get_passes_through_instances_and_none() -> None:
    opt = optimizers.SGD()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None


@pytest.mark.parametrize("identifier", ["adamm", "dense", 3])
def test_get_unknown_identifier_raises(identifier: Any) -> None:
    with pytest.raises(
        ValueError, match=f"Could not interpret optimizer.*{identifier}"
    ):
        optimizers.get(identifier)


def test_get_finds_registered_optimizer() -> None:
    @cornu.core.serialization.register_keras_serializable(package="test_opt")
    class MySGD(optimizers.SGD):
        pass

    opt = optimizers.get("test_opt>MySGD")
    assert type(opt) is MySGD
    restored = optimizers.deserialize(optimizers.serialize(MySGD(momentum=0.5)))
    assert type(restored) is MySGD and restored.momentum == 0.5


def _layout(opt: Any, make: Any) -> list[tuple[str, tuple, str]]:
    kernel = make(np.ones((2, 3), "float32"), "kernel")
    bias = make(np.ones((3,), "float32"), "bias")
    opt.build([kernel, bias])
    return [
        (v.path, tuple(v.shape), str(v.dtype).replace("torch.", ""))
        for v in opt.variables
    ]


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Adam", {"name": "adam"}),
        ("Adam", {"name": "adam", "amsgrad": True}),
        ("SGD", {"name": "sgd", "momentum": 0.9}),
        ("SGD", {"name": "sgd"}),
        ("RMSprop", {"name": "rms", "momentum": 0.5, "centered": True}),
        ("Ftrl", {"name": "ftrl"}),
        ("Muon", {"name": "muon"}),
        ("Adafactor", {"name": "adafactor"}),
        ("Adam", {"name": "adam", "use_ema": True, "gradient_accumulation_steps": 2}),
        ("SGD", {"name": "sgd", "learning_rate": schedules.ExponentialDecay(1, 2, 3)}),
    ],
)
def test_variables_order_and_names_match_keras(
    name: str, kwargs: dict, keras_oracle: Any
) -> None:
    keras = keras_oracle
    ours = _layout(
        getattr(optimizers, name)(**kwargs),
        lambda x, n: cornu.Variable(x, name=n),
    )
    if "learning_rate" in kwargs:
        kwargs = {
            **kwargs,
            "learning_rate": keras.optimizers.schedules.ExponentialDecay(1, 2, 3),
        }
    theirs = _layout(
        getattr(keras.optimizers, name)(**kwargs),
        lambda x, n: keras.Variable(x, name=n),
    )
    if name == "Adafactor":
        # Keras leaves its placeholder variables for vectors unscoped.
        theirs = [(p if "/" in p else f"adafactor/{p}", s, d) for p, s, d in theirs]
    assert ours == theirs


@pytest.mark.parametrize("name", NAMES)
def test_variable_shapes_match_keras(name: str, keras_oracle: Any) -> None:
    keras = keras_oracle
    ours = _layout(_make(name), lambda x, n: cornu.Variable(x, name=n))
    theirs = _layout(
        getattr(keras.optimizers, name)(), lambda x, n: keras.Variable(x, name=n)
    )
    assert [v[1:] for v in ours] == [v[1:] for v in theirs]


def test_slot_names_follow_the_variable_path() -> None:
    w = cornu.Variable(np.ones(2), name="kernel")
    w._path = "dense/kernel"
    opt = optimizers.Adam(name="opt")
    opt.build([w])
    assert [v.path for v in opt.variables][2:] == [
        "opt/dense_kernel_momentum",
        "opt/dense_kernel_velocity",
    ]
    assert [v.name for v in opt.variables][2] == "dense_kernel_momentum"


def test_state_loads_into_keras_and_back(keras_oracle: Any) -> None:
    keras = keras_oracle
    rng = np.random.default_rng(0)
    init = rng.normal(size=(3, 2)).astype("float32")
    grads = [torch.tensor(rng.normal(size=(3, 2)).astype("float32")) for _ in range(4)]
    ours_w = cornu.Variable(init, name="w")
    ours = optimizers.Adam(learning_rate=0.1)
    for g in grads[:2]:
        ours.apply([g], [ours_w])
    store: dict[str, np.ndarray] = {}
    ours.save_own_variables(store)

    theirs_w = keras.Variable(ours_w.numpy(), name="w")
    theirs = keras.optimizers.Adam(learning_rate=0.1)
    theirs.build([theirs_w])
    theirs.load_own_variables(store)
    for g in grads[2:]:
        theirs.apply([g.to(theirs_w.value.device)], [theirs_w])
        ours.apply([g], [ours_w])
    np.testing.assert_allclose(
        ours_w.numpy(), theirs_w.value.detach().cpu().numpy(), rtol=1e-5, atol=1e-6
    )
    assert int(ours.iterations) == 4

    reloaded = optimizers.Adam(learning_rate=0.1)
    reloaded.build([cornu.Variable(init, name="w")])
    reloaded.load_own_variables(store)
    assert int(reloaded.iterations) == 2
    np.testing.assert_array_equal(reloaded.variables[2].numpy(), store["2"])
