"""Learning rate schedules against Keras's formulas."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch

from cornu.optimizers import schedules

STEPS = [0, 1, 2, 5, 9, 10, 11, 20, 29, 30, 31, 69, 70, 71, 150, 1000]

CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9},
    ),
    (
        "ExponentialDecay",
        {
            "initial_learning_rate": 0.1,
            "decay_steps": 7,
            "decay_rate": 0.5,
            "staircase": True,
        },
    ),
    (
        "InverseTimeDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    ),
    (
        "InverseTimeDecay",
        {
            "initial_learning_rate": 0.1,
            "decay_steps": 3,
            "decay_rate": 2.0,
            "staircase": True,
        },
    ),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10}),
    (
        "PolynomialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "power": 2.0, "cycle": True},
    ),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "alpha": 0.1}),
    (
        "CosineDecay",
        {
            "initial_learning_rate": 0.0,
            "decay_steps": 30,
            "warmup_target": 0.2,
            "warmup_steps": 10,
        },
    ),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10}),
    (
        "CosineDecayRestarts",
        {
            "initial_learning_rate": 0.1,
            "first_decay_steps": 10,
            "t_mul": 1.0,
            "m_mul": 0.5,
            "alpha": 0.1,
        },
    ),
    (
        "CosineDecayRestarts",
        {
            "initial_learning_rate": 0.1,
            "first_decay_steps": 3,
            "t_mul": 3.0,
            "m_mul": 0.9,
        },
    ),
    ("PiecewiseConstantDecay", {"boundaries": [10, 30], "values": [0.1, 0.05, 0.01]}),
    ("PiecewiseConstantDecay", {"boundaries": [10.5], "values": [1.0, 0.5]}),
]


def _case_id(case: tuple[str, dict]) -> str:
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras(case: tuple[str, dict], keras_oracle: Any) -> None:
    name, kwargs = case
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras_oracle.optimizers.schedules, name)(**kwargs)
    for step in STEPS:
        # Keras computes in float32; cornu in Python floats.
        expected = float(theirs(torch.tensor(step, dtype=torch.int32)))
        assert ours(step) == pytest.approx(expected, rel=1e-6, abs=1e-8), step


# Keras's formulas written out, for the same steps.
def _cosine(lr: float, step: float, decay_steps: float, alpha: float = 0.0) -> float:
    fraction = min(step, decay_steps) / decay_steps
    return lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)


FORMULAS = [
    (
        schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True),
        lambda s: 0.1 * 0.9 ** math.floor(s / 10),
    ),
    (schedules.InverseTimeDecay(0.1, 10, 0.5), lambda s: 0.1 / (1 + 0.5 * s / 10)),
    (
        schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=0.5),
        lambda s: 0.09 * (1 - min(s, 10) / 10) ** 0.5 + 0.01,
    ),
    (schedules.CosineDecay(0.1, 30, alpha=0.2), lambda s: _cosine(0.1, s, 30, 0.2)),
    (
        schedules.CosineDecay(0.05, 30, warmup_target=0.2, warmup_steps=10),
        lambda s: 0.05 + 0.15 * s / 10 if s < 10 else _cosine(0.2, min(s - 10, 30), 30),
    ),
    (
        schedules.CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.5),
        lambda s: 0.5 ** (s // 10) * _cosine(0.1, s % 10, 10),
    ),
    (
        schedules.PiecewiseConstantDecay([10, 30], [0.1, 0.05, 0.01]),
        lambda s: 0.1 if s <= 10 else 0.05 if s <= 30 else 0.01,
    ),
]


@pytest.mark.parametrize("schedule, formula", FORMULAS, ids=lambda x: type(x).__name__)
def test_formula(schedule: Any, formula: Any) -> None:
    for step in STEPS:
        assert schedule(step) == pytest.approx(formula(step), rel=1e-12), step


def test_python_and_tensor_steps() -> None:
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert isinstance(schedule(10), float)
    value = schedule(torch.tensor(10))
    assert isinstance(value, torch.Tensor) and value.dtype == torch.float32
    assert float(value) == pytest.approx(0.05)
    ints = schedules.PiecewiseConstantDecay([5], [1, 2])
    assert ints(torch.tensor(6)).dtype == torch.int32
    assert ints(6) == 2


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_config_round_trip(case: tuple[str, dict]) -> None:
    name, kwargs = case
    schedule = getattr(schedules, name)(**kwargs)
    config = schedule.get_config()
    assert type(schedule).from_config(config).get_config() == config
    serialized = json.loads(json.dumps(schedules.serialize(schedule)))
    assert serialized["module"] == "keras.optimizers.schedules"
    assert serialized["class_name"] == name
    restored = schedules.deserialize(serialized)
    assert type(restored) is type(schedule)
    assert restored.get_config() == config
    short = schedules.deserialize({"class_name": name, "config": config})
    assert short.get_config() == config


def test_config_matches_keras(keras_oracle: Any) -> None:
    for name, kwargs in CASES:
        ours = schedules.serialize(getattr(schedules, name)(**kwargs))
        theirs = keras_oracle.optimizers.schedules.serialize(
            getattr(keras_oracle.optimizers.schedules, name)(**kwargs)
        )
        assert ours == theirs


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: schedules.ExponentialDecay(0.1, 0, 0.9), "`decay_steps` must be > 0"),
        (lambda: schedules.InverseTimeDecay(0.1, -1, 0.9), "`decay_steps` must be > 0"),
        (lambda: schedules.PolynomialDecay(0.1, 0), "`decay_steps` must be > 0"),
        (lambda: schedules.CosineDecay(0.1, 0), "`decay_steps` must be > 0"),
        (
            lambda: schedules.CosineDecayRestarts(0.1, 0),
            "`first_decay_steps` must be > 0",
        ),
        (
            lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2]),
            "length of boundaries should be 1 less than the length of values",
        ),
    ],
)
def test_errors(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_base_class_requires_call_and_config() -> None:
    schedule = schedules.LearningRateSchedule()
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedule(1)
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        schedule.get_config()
