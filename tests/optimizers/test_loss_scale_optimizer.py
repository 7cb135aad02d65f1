"""`LossScaleOptimizer`: dynamic loss scaling around an inner optimizer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu import optimizers


def _var(value: Any, name: str = "w") -> cornu.Variable:
    return cornu.Variable(np.asarray(value, dtype="float32"), name=name)


def test_finite_steps_unscale_and_grow_the_scale() -> None:
    w = _var([1.0])
    opt = optimizers.LossScaleOptimizer(
        optimizers.SGD(learning_rate=0.1), initial_scale=4.0, dynamic_growth_steps=2
    )
    assert float(opt.scale_loss(torch.tensor(1.0))) == 4.0
    opt.apply([torch.tensor([4.0])], [w])  # unscaled gradient 1
    np.testing.assert_allclose(w.numpy(), [0.9])
    assert (float(opt.dynamic_scale), int(opt.step_counter)) == (4.0, 1)
    opt.apply([torch.tensor([4.0])], [w])
    assert (float(opt.dynamic_scale), int(opt.step_counter)) == (8.0, 0)
    assert float(opt.scale_loss(torch.tensor(1.0))) == 8.0
    assert int(opt.iterations) == 2


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_steps_are_skipped_and_halve_the_scale(bad: float) -> None:
    w = _var([1.0, 1.0])
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(), initial_scale=8.0)
    opt.apply([torch.tensor([1.0, bad])], [w])
    np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])
    assert float(opt.dynamic_scale) == 4.0
    assert int(opt.iterations) == 0


def test_matches_keras(keras_oracle: Any) -> None:
    keras = keras_oracle
    grads = [[2.0, 4.0], [np.inf, 1.0], [8.0, -2.0], [1.0, 1.0]]
    ours_w = _var([1.0, -1.0])
    ours = optimizers.LossScaleOptimizer(
        optimizers.Adam(learning_rate=0.1), initial_scale=2.0, dynamic_growth_steps=2
    )
    theirs_w = keras.Variable(np.array([1.0, -1.0], "float32"))
    theirs = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.Adam(learning_rate=0.1),
        initial_scale=2.0,
        dynamic_growth_steps=2,
    )
    device = theirs_w.value.device
    for g in grads:
        ours.apply([torch.tensor(g, dtype=torch.float32)], [ours_w])
        theirs.apply([torch.tensor(g, dtype=torch.float32, device=device)], [theirs_w])
    np.testing.assert_allclose(
        ours_w.numpy(), theirs_w.value.detach().cpu().numpy(), rtol=1e-5, atol=1e-6
    )
    ours_state = [v.detach().cpu().numpy() for v in ours.variables]
    theirs_state = [v.value.detach().cpu().numpy() for v in theirs.variables]
    assert len(ours_state) == len(theirs_state)
    for a, b in zip(ours_state, theirs_state):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_learning_rate_and_iterations_are_the_inner_optimizers() -> None:
    inner = optimizers.SGD(learning_rate=0.5)
    opt = optimizers.LossScaleOptimizer(inner)
    assert opt.learning_rate is inner.learning_rate
    opt.learning_rate = 0.25
    assert float(inner.learning_rate) == 0.25
    assert opt.iterations is inner.iterations


def test_config_round_trip() -> None:
    opt = optimizers.LossScaleOptimizer(
        optimizers.SGD(momentum=0.5), initial_scale=16.0, dynamic_growth_steps=10
    )
    config = opt.get_config()
    assert set(config) == {
        "name",
        "inner_optimizer",
        "initial_scale",
        "dynamic_growth_steps",
    }
    clone = optimizers.LossScaleOptimizer.from_config(config)
    assert clone.get_config() == config
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(restored.inner_optimizer, optimizers.SGD)
    assert restored.inner_optimizer.momentum == 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dynamic": False}, "no longer supports `dynamic=False`"),
        ({"clipnorm": 1.0}, "does not support `clipnorm`"),
        ({"foo": 1}, "does not support arguments: `foo`"),
    ],
)
def test_constructor_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        optimizers.LossScaleOptimizer(optimizers.SGD(), **kwargs)
