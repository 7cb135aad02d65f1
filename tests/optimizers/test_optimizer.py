"""The `Optimizer` base: options, step bookkeeping, errors, state."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu import optimizers
from cornu.optimizers import schedules


def _var(value: Any, name: str = "w") -> cornu.Variable:
    return cornu.Variable(np.asarray(value, dtype="float32"), name=name)


def _t(value: Any) -> torch.Tensor:
    return torch.tensor(np.asarray(value, dtype="float32"))


# -- learning rate and iterations ----------------------------------------------


def test_iterations_count_steps_and_are_a_variable() -> None:
    w = _var([1.0])
    opt = optimizers.SGD()
    assert int(opt.iterations) == 0
    for _ in range(3):
        opt.apply_gradients([(_t([1.0]), w)])
    assert isinstance(opt.iterations, cornu.Variable)
    assert opt.iterations.dtype == torch.int32
    assert int(opt.iterations) == 3
    assert opt.iterations.numpy() == 3


def test_assigned_iterations_drive_bias_correction() -> None:
    # Setting `iterations` (as loading a checkpoint does) must change the
    # step the next update uses.
    w1, w2 = _var([1.0]), _var([1.0])
    fresh, resumed = optimizers.Adam(learning_rate=0.1), optimizers.Adam(0.1)
    resumed.build([w2])
    resumed.iterations.assign(1000)
    fresh.apply([_t([1.0])], [w1])
    resumed.apply([_t([1.0])], [w2])
    # Step 1: alpha = lr * sqrt(1 - b2) / (1 - b1) -> update of lr.
    # Step 1001: both corrections ~1 -> lr * m / sqrt(v) = lr * 0.1 / sqrt(1e-3).
    np.testing.assert_allclose(w1.numpy(), [0.9], atol=1e-5)
    expected = 1 - 0.1 * 0.1 / math.sqrt(1e-3) * math.sqrt(1 - 0.999**1001) / (
        1 - 0.9**1001
    )
    np.testing.assert_allclose(w2.numpy(), [expected], rtol=1e-5)
    assert int(resumed.iterations) == 1001


def test_learning_rate_is_a_settable_variable() -> None:
    opt = optimizers.SGD(learning_rate=0.5)
    assert isinstance(opt.learning_rate, cornu.Variable)
    assert float(opt.learning_rate) == 0.5
    w = _var([1.0])
    opt.learning_rate = 0.25
    opt.apply([_t([1.0])], [w])
    np.testing.assert_allclose(w.numpy(), [0.75])
    opt.learning_rate.assign(0.5)
    opt.apply([_t([1.0])], [w])
    np.testing.assert_allclose(w.numpy(), [0.25])
    assert opt.get_config()["learning_rate"] == 0.5


def test_schedule_learning_rate_follows_the_step() -> None:
    schedule = schedules.PiecewiseConstantDecay([1], [1.0, 0.1])
    opt = optimizers.SGD(learning_rate=schedule)
    w = _var([0.0])
    for _ in range(3):
        opt.apply([_t([1.0])], [w])
    # Steps 0 and 1 at 1.0, step 2 at 0.1.
    np.testing.assert_allclose(w.numpy(), [-2.1], rtol=1e-6)
    assert float(opt.learning_rate) == pytest.approx(0.1)
    assert isinstance(opt.learning_rate, torch.Tensor)
    assert "learning_rate" not in [v.name for v in opt.variables]


def test_user_schedule_gets_the_step_as_a_tensor() -> None:
    seen = []

    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step: Any) -> Any:
            seen.append(step)
            return 1.0 / (2.0 ** step.to(torch.float32))

        def get_config(self) -> dict:
            return {}

    opt = optimizers.SGD(learning_rate=Halving())
    w = _var([0.0])
    opt.apply([_t([1.0])], [w])
    opt.apply([_t([1.0])], [w])
    np.testing.assert_allclose(w.numpy(), [-1.5])
    assert all(isinstance(s, torch.Tensor) for s in seen)


def test_callable_learning_rate() -> None:
    rates = iter([1.0, 0.5])
    opt = optimizers.SGD(learning_rate=lambda: next(rates))
    w = _var([0.0])
    opt.apply([_t([1.0])], [w])
    opt.apply([_t([1.0])], [w])
    np.testing.assert_allclose(w.numpy(), [-1.5])


def test_replacing_a_constant_rate_with_a_schedule_untracks_it() -> None:
    opt = optimizers.SGD(learning_rate=0.1)
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate"]
    opt.learning_rate = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert [v.name for v in opt.variables] == ["iteration"]
    with pytest.raises(TypeError, match="`LearningRateSchedule`.*not settable"):
        opt.learning_rate = 0.1


@pytest.mark.parametrize("value", ["0.1", None, True, [0.1]])
def test_invalid_learning_rate_raises(value: Any) -> None:
    with pytest.raises(ValueError, match="`learning_rate` should be float"):
        optimizers.SGD(learning_rate=value)


# -- gradient processing ---------------------------------------------------------


def test_weight_decay_is_applied_before_the_update() -> None:
    w = _var([2.0, -4.0])
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.apply([_t([1.0, 1.0])], [w])
    # w * (1 - 0.5 * 0.1), then w -= 0.1 * g.
    np.testing.assert_allclose(w.numpy(), [2.0 * 0.95 - 0.1, -4.0 * 0.95 - 0.1])


def test_weight_decay_uses_the_scheduled_rate() -> None:
    w = _var([1.0])
    schedule = schedules.PiecewiseConstantDecay([0], [1.0, 0.1])
    opt = optimizers.SGD(learning_rate=schedule, weight_decay=0.5)
    opt.apply([_t([0.0])], [w])
    opt.apply([_t([0.0])], [w])
    np.testing.assert_allclose(w.numpy(), [0.5 * 0.95], rtol=1e-6)


def test_exclude_from_weight_decay() -> None:
    kernel, bias, other = _var([1.0], "kernel"), _var([1.0], "bias"), _var([1.0], "x")
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=1.0)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    zero = _t([0.0])
    opt.apply([zero, zero, zero], [kernel, bias, other])
    np.testing.assert_allclose(
        [kernel.numpy()[0], bias.numpy()[0], other.numpy()[0]], [0.9, 1.0, 1.0]
    )
    # Changing the exclusions later takes effect, as in Keras.
    opt.exclude_from_weight_decay()
    opt.apply([zero, zero, zero], [kernel, bias, other])
    np.testing.assert_allclose(
        [kernel.numpy()[0], bias.numpy()[0], other.numpy()[0]], [0.81, 0.9, 0.9]
    )


def test_clipnorm_clips_each_gradient() -> None:
    a, b = _var([0.0, 0.0]), _var([0.0])
    opt = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    g_a, g_b = _t([3.0, 4.0]), _t([0.5])
    opt.apply([g_a, g_b], [a, b])
    np.testing.assert_allclose(a.numpy(), [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [-0.5], rtol=1e-6)
    # The caller's gradients are left alone.
    np.testing.assert_array_equal(g_a.numpy(), [3.0, 4.0])


def test_global_clipnorm_scales_all_gradients_together() -> None:
    a, b = _var([0.0, 0.0]), _var([0.0])
    opt = optimizers.SGD(learning_rate=1.0, global_clipnorm=2.5)
    opt.apply([_t([3.0, 0.0]), _t([4.0])], [a, b])  # global norm 5
    np.testing.assert_allclose(a.numpy(), [-1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [-2.0], rtol=1e-6)


def test_global_clipnorm_of_infinite_gradients_is_nan() -> None:
    w = _var([0.0, 0.0])
    opt = optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0)
    opt.apply([_t([np.inf, 1.0])], [w])
    assert np.isnan(w.numpy()).all()


def test_clipvalue_clips_elements() -> None:
    w = _var([0.0, 0.0, 0.0])
    opt = optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    opt.apply([_t([3.0, -4.0, 0.25])], [w])
    np.testing.assert_allclose(w.numpy(), [-0.5, 0.5, -0.25])


def test_loss_scale_factor_scales_loss_and_unscales_gradients() -> None:
    w = _var([0.0])
    opt = optimizers.SGD(learning_rate=1.0, loss_scale_factor=8.0)
    assert float(opt.scale_loss(torch.tensor(2.0))) == 16.0
    opt.apply([_t([8.0])], [w])
    np.testing.assert_allclose(w.numpy(), [-1.0])
    assert optimizers.SGD().scale_loss(3.0) == 3.0


# -- moving average ------------------------------------------------------------------


def test_ema_tracks_the_variables_and_finalize_overwrites() -> None:
    w = _var([0.0])
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    averages = []
    for _ in range(3):
        opt.apply([_t([-1.0])], [w])  # w: 1, 2, 3
        averages.append(float(opt._model_variables_moving_average[0][0]))
    # Keras starts the average at the variable (momentum 0 at step 0).
    assert averages == [1.0, 1.5, 2.25]
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [2.25])


def test_ema_overwrite_frequency() -> None:
    w = _var([0.0])
    opt = optimizers.SGD(
        learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2
    )
    opt.apply([_t([-1.0])], [w])  # w = 1, average 1
    np.testing.assert_allclose(w.numpy(), [1.0])
    opt.apply([_t([-1.0])], [w])  # w = 2, average 1.5, overwritten
    np.testing.assert_allclose(w.numpy(), [1.5])


# -- gradient accumulation -----------------------------------------------------------


def test_gradient_accumulation_updates_with_the_mean_every_n_steps() -> None:
    w = _var([0.0])
    opt = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    for g in [1.0, 2.0]:
        opt.apply([_t([g])], [w])
        np.testing.assert_allclose(w.numpy(), [0.0])
    assert int(opt.iterations) == 0
    assert int(opt._iterations) == 2
    opt.apply([_t([6.0])], [w])
    np.testing.assert_allclose(w.numpy(), [-3.0])
    assert int(opt.iterations) == 1
    np.testing.assert_array_equal(opt._accumulated_gradients[0].numpy(), [0.0])


def test_gradient_accumulation_schedule_sees_real_steps() -> None:
    # Keras: schedules see `apply` calls; bias corrections see updates.
    seen = []

    class Recorder(schedules.LearningRateSchedule):
        def __call__(self, step: Any) -> Any:
            seen.append(int(step))
            return 0.1

        def get_config(self) -> dict:
            return {}

    w = _var([0.0])
    opt = optimizers.Adam(learning_rate=Recorder(), gradient_accumulation_steps=2)
    for _ in range(4):
        opt.apply([_t([1.0])], [w])
    assert seen == [0, 1, 2, 3]


# -- None gradients, subsets, constraints ------------------------------------------


def test_none_gradients_are_skipped_with_a_warning() -> None:
    a, b = _var([1.0], "a"), _var([1.0], "b")
    opt = optimizers.Adam(learning_rate=0.1)
    with pytest.warns(
        UserWarning, match=r"Gradients do not exist for variables \['b'\]"
    ):
        opt.apply([_t([1.0]), None], [a, b])
    np.testing.assert_allclose(a.numpy(), [0.9], atol=1e-5)
    np.testing.assert_array_equal(b.numpy(), [1.0])
    slots = {v.name: v.numpy() for v in opt.variables}
    np.testing.assert_array_equal(slots["b_momentum"], [0.0])
    assert slots["a_momentum"][0] != 0.0
    assert int(opt.iterations) == 1


def test_all_none_gradients_raise() -> None:
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply([None], [_var([1.0])])


@pytest.mark.parametrize("foreach", [True, False])
def test_subset_and_reordered_variables_use_their_own_slots(foreach: bool) -> None:
    a, b = _var([1.0], "a"), _var([2.0], "b")
    opt = optimizers.SGD(learning_rate=1.0, momentum=0.5)
    opt.foreach = foreach
    opt.build([a, b])
    opt.apply([_t([1.0]), _t([10.0])], [b, a])
    np.testing.assert_allclose([a.numpy()[0], b.numpy()[0]], [-9.0, 1.0])
    opt.apply([_t([1.0])], [b])
    momentums = [m.numpy()[0] for m in opt.momentums]
    assert momentums == [-10.0, -1.5]


def test_apply_without_variables_after_build() -> None:
    a = _var([1.0])
    opt = optimizers.SGD(learning_rate=1.0)
    opt.build([a])
    opt.apply([_t([0.5])])
    np.testing.assert_allclose(a.numpy(), [0.5])


def test_apply_errors() -> None:
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([_t([1.0])])
    opt.build([_var([1.0])])
    with pytest.raises(ValueError, match="Received a list of 2 gradients.*tracking 1"):
        opt.apply([_t([1.0]), _t([1.0])])
    with pytest.raises(ValueError, match="Unknown variable: other"):
        opt.apply([_t([1.0])], [_var([1.0], "other")])
    opt.apply([], [])  # nothing to do
    assert int(opt.iterations) == 0


def test_constraints_are_applied_after_the_update() -> None:
    w = _var([1.0, -1.0])
    w.constraint = lambda x: torch.clamp(x, min=0.0)
    opt = optimizers.SGD(learning_rate=1.0)
    opt.apply([_t([-1.0, -0.5])], [w])
    np.testing.assert_allclose(w.numpy(), [2.0, 0.0])


def test_overwrite_with_gradient_variables_take_the_gradient() -> None:
    w, scale = _var([1.0]), _var([5.0], "scale")
    scale.overwrite_with_gradient = True
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply([_t([1.0]), _t([7.0])], [w, scale])
    np.testing.assert_allclose(scale.numpy(), [7.0])
    np.testing.assert_allclose(w.numpy(), [0.9], atol=1e-5)
    assert [v.name for v in opt.variables] == [
        "iteration",
        "learning_rate",
        "w_momentum",
        "w_velocity",
    ]


def test_overwrite_with_gradient_accumulates_the_maximum() -> None:
    scale = _var([0.0], "scale")
    scale.overwrite_with_gradient = True
    opt = optimizers.SGD(gradient_accumulation_steps=2)
    opt.apply([_t([3.0])], [scale])
    np.testing.assert_allclose(scale.numpy(), [0.0])
    opt.apply([_t([2.0])], [scale])
    np.testing.assert_allclose(scale.numpy(), [3.0])


def test_variables_on_another_dtype() -> None:
    w = cornu.Variable(np.ones(3), dtype="float64", name="w")
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply([torch.ones(3, dtype=torch.float64)], [w])
    assert opt.variables[2].dtype == torch.float64
    np.testing.assert_allclose(w.numpy(), 0.9, atol=1e-6)


def test_gradients_do_not_flow_through_the_update() -> None:
    w = _var([1.0])
    opt = optimizers.Adam()
    opt.apply([_t([1.0])], [w])
    assert w.grad is None and w.requires_grad
    assert torch.is_grad_enabled()


# -- subclassing -------------------------------------------------------------------


def test_custom_optimizer_with_only_update_step() -> None:
    class SignSGD(optimizers.Optimizer):
        def __init__(self, learning_rate: float = 0.1, **kwargs: Any) -> None:
            super().__init__(learning_rate=learning_rate, **kwargs)

        def build(self, variables: Any) -> None:
            super().build(variables)
            self.counts = self.add_optimizer_variables(variables, "count")

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            self.assign_add(self.counts[self._get_variable_index(variable)], 1.0)
            self.assign_sub(variable, learning_rate * torch.sign(gradient))

    w = _var([0.0, 0.0])
    opt = SignSGD()
    opt.apply([_t([5.0, -0.1])], [w])
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1])
    assert opt.variables[-1].name == "w_count"
    np.testing.assert_array_equal(opt.counts[0].numpy(), [1.0, 1.0])


def test_subclass_overriding_update_step_is_not_bypassed() -> None:
    class Frozen(optimizers.Adam):
        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            pass

    w = _var([1.0])
    Frozen().apply([_t([1.0])], [w])
    np.testing.assert_array_equal(w.numpy(), [1.0])


# -- state -------------------------------------------------------------------------


def test_set_weights_and_save_load_own_variables() -> None:
    w = _var([1.0, 2.0])
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply([_t([1.0, 1.0])], [w])
    store: dict[str, np.ndarray] = {}
    opt.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3"]

    other = optimizers.Adam(learning_rate=0.5)
    other.build([_var([0.0, 0.0])])
    other.load_own_variables(store)
    for mine, theirs in zip(opt.variables, other.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert float(other.learning_rate) == pytest.approx(0.1)

    other.set_weights([np.array(5), np.array(0.2), np.ones(2), np.ones(2)])
    assert int(other.iterations) == 5
    with pytest.raises(ValueError, match=r"has shape \(2,\) not compatible.*\(3,\)"):
        other.set_weights([np.array(5), np.array(0.2), np.ones(3), np.ones(2)])
    with pytest.raises(ValueError, match="has not yet been built"):
        optimizers.Adam().set_weights([])
    with pytest.warns(UserWarning, match="Skipping variable loading.*has 2 variables"):
        optimizers.Adam().load_own_variables(store)


def test_deepcopy_with_a_schedule_reads_its_own_step() -> None:
    schedule = schedules.PiecewiseConstantDecay([0], [1.0, 0.1])
    opt = optimizers.SGD(learning_rate=schedule)
    opt.apply([_t([1.0])], [_var([0.0])])
    clone = copy.deepcopy(opt)
    clone.iterations.assign(0)
    w = clone._trainable_variables[0]
    clone.apply([_t([1.0])], [w])  # step 0 of the clone: rate 1.0
    np.testing.assert_allclose(w.numpy(), [-2.0])


def test_deepcopy_keeps_its_own_state() -> None:
    w = _var([1.0])
    opt = optimizers.SGD(learning_rate=1.0, momentum=0.5)
    opt.apply([_t([1.0])], [w])
    clone = copy.deepcopy(opt)
    w2 = clone._trainable_variables[0]
    clone.apply([_t([1.0])], [w2])
    clone.learning_rate = 0.5
    assert float(opt.learning_rate) == 1.0
    assert int(opt.iterations) == 1 and int(clone.iterations) == 2
    np.testing.assert_allclose(opt.momentums[0].numpy(), [-1.0])
    np.testing.assert_allclose(clone.momentums[0].numpy(), [-1.5])
    np.testing.assert_allclose(w.numpy(), [0.0])


# -- constructor checks --------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, kwargs, match",
    [
        (optimizers.SGD, {"foo": 1}, r"Argument\(s\) not recognized: \{'foo': 1\}"),
        (optimizers.SGD, {"clipnorm": 1.0, "clipvalue": 1.0}, "Only one of `clipnorm`"),
        (optimizers.SGD, {"use_ema": True, "ema_momentum": 1.5}, "`ema_momentum`"),
        (
            optimizers.SGD,
            {"use_ema": True, "ema_overwrite_frequency": 0.5},
            "`ema_overwrite_frequency` must be an integer",
        ),
        (optimizers.SGD, {"gradient_accumulation_steps": 1}, ">= 2"),
        (
            optimizers.SGD,
            {"momentum": 1.5},
            r"`momentum` must be a float between \[0, 1\]",
        ),
        (optimizers.AdamW, {"weight_decay": None}, "`weight_decay` must be a float"),
        (optimizers.Lion, {"beta_1": 0.0}, "`beta_1` must be in the"),
        (optimizers.Ftrl, {"learning_rate_power": 0.5}, "`learning_rate_power`"),
        (optimizers.Ftrl, {"initial_accumulator_value": -1.0}, "`initial_accumulator"),
        (
            optimizers.Ftrl,
            {"l2_shrinkage_regularization_strength": -1.0},
            "`l2_shrinkage_regularization_strength` needs to be positive",
        ),
    ],
)
def test_constructor_errors(cls: type, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_decay_argument_warns() -> None:
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.SGD(decay=0.1)


def test_default_names_are_unique_snake_case() -> None:
    first, second = optimizers.RMSprop(), optimizers.RMSprop()
    assert first.name.startswith("rm_sprop")
    assert first.name != second.name
    assert optimizers.AdamW().name.startswith("adam_w")


# -- Muon's split between Muon and AdamW steps ---------------------------------------


def test_muon_uses_adamw_for_excluded_variables() -> None:
    matrix, vector = _var(np.ones((3, 3))), _var(np.ones(3), "b")
    embedding, head = _var(np.ones((3, 3)), "e"), _var(np.ones((3, 3)), "h")
    embedding._path = "token_embedding/embeddings"
    head._path = "output_dense/kernel"
    opt = optimizers.Muon(exclude_layers=["output_dense"])
    opt.build([matrix, vector, embedding, head])
    uses_adam = [v is not None for v in opt.adam_velocities]
    assert uses_adam == [False, True, True, True]


def test_muon_direction_is_orthogonal() -> None:
    opt = optimizers.Muon(ns_steps=10)
    g = torch.randn(4, 6)
    x = opt.zeropower_via_newtonschulz5(g, opt.ns_steps)
    singular_values = torch.linalg.svdvals(x)
    # The quintic iteration trades exactness for speed: values near 1.
    assert torch.all((singular_values > 0.6) & (singular_values < 1.25))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        opt.zeropower_via_newtonschulz5(torch.ones(3), 5)
