"""`ScheduleFreeAdamW`, `MultiOptimizer` and `OptimizerMap`.

ScheduleFreeAdamW runs a few steps on three variables and is compared with
its own per-variable path, with a float64 NumPy reference of Keras's
formula, and with real Keras 3 (torch backend) on the same values.
MultiOptimizer is compared with real Keras and with its sub-optimizers run
alone.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu import optimizers
from cornu.optimizers import MultiOptimizer, OptimizerMap, ScheduleFreeAdamW

SHAPES = [(3, 4), (4,), (2, 3, 5)]
STEPS = 6


def _data(seed: int = 1) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    rng = np.random.default_rng(seed)
    inits = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [
        [rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(STEPS)
    ]
    return inits, grads


def _run(opt: Any, inits: list[np.ndarray], grads: list[list[np.ndarray]]) -> Any:
    # Copies in and out: a Variable may share the memory of its NumPy value.
    variables = [cornu.Variable(x.copy(), name=f"v{i}") for i, x in enumerate(inits)]
    for step_grads in grads:
        opt.apply([torch.tensor(g) for g in step_grads], variables)
    return [v.numpy().copy() for v in variables]


# -- ScheduleFreeAdamW -------------------------------------------------------------
SF_CASES: list[dict[str, Any]] = [
    {},
    {"warmup_steps": 3},
    {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
    {"weight_decay": 0.1},
    {"clipnorm": 0.5},
    {"gradient_accumulation_steps": 2},
]


def _sf_reference(
    inits: list[np.ndarray],
    grads: list[list[np.ndarray]],
    lr: float,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    warmup_steps: int = 0,
    weight_decay: float | None = None,
) -> list[np.ndarray]:
    """Keras's update, in float64, with `z` read before its own update."""
    out = []
    for i, init in enumerate(inits):
        y = init.astype(np.float64)
        z = y.copy()
        v = np.zeros_like(y)
        for t, step_grads in enumerate(grads, start=1):
            g = step_grads[i].astype(np.float64)
            if weight_decay:
                y = y - y * weight_decay * lr
            rate = lr * min(t / warmup_steps, 1.0) if warmup_steps else lr
            x = (y - (1 - beta_1) * z) / beta_1
            v = v + (g * g - v) * (1 - beta_2)
            z = z - rate * g / (np.sqrt(v / (1 - beta_2**t)) + epsilon)
            x = (1 - 1 / t) * x + z / t
            y = (1 - beta_1) * z + beta_1 * x
        out.append(y)
    return out


def _sf(kwargs: dict[str, Any], foreach: bool = True) -> list[np.ndarray]:
    opt = ScheduleFreeAdamW(**{"learning_rate": 0.05, **kwargs})
    opt.foreach = foreach
    inits, grads = _data()
    return _run(opt, inits, grads)


@pytest.mark.parametrize("kwargs", SF_CASES, ids=str)
def test_schedule_free_foreach_equals_per_variable(kwargs: dict[str, Any]) -> None:
    for a, b in zip(_sf(kwargs, foreach=True), _sf(kwargs, foreach=False)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs", SF_CASES[:4], ids=str)
def test_schedule_free_matches_numpy_reference(kwargs: dict[str, Any]) -> None:
    inits, grads = _data()
    expected = _sf_reference(inits, grads, lr=0.05, **kwargs)
    for actual, wanted in zip(_sf(kwargs), expected):
        np.testing.assert_allclose(actual, wanted, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("kwargs", SF_CASES, ids=str)
def test_schedule_free_matches_keras(kwargs: dict[str, Any], keras_oracle: Any) -> None:
    keras = keras_oracle
    inits, grads = _data()
    variables = [keras.Variable(x.copy(), name=f"v{i}") for i, x in enumerate(inits)]
    opt = keras.optimizers.ScheduleFreeAdamW(**{"learning_rate": 0.05, **kwargs})
    # On its torch backend Keras updates `momentum` in place, so the value it
    # saved as "momentum before the update" changes with it; on its other
    # backends a variable's value is immutable. The oracle is run with
    # assignment by rebinding, which gives Keras's formula as written.

    def assign_sub(variable: Any, value: Any) -> None:
        new = (variable._value - value).detach()
        variable._value = torch.nn.Parameter(new, requires_grad=False)

    opt.assign_sub = assign_sub
    device = variables[0].value.device
    for step_grads in grads:
        opt.apply([torch.tensor(g, device=device) for g in step_grads], variables)
    expected = [v.value.detach().cpu().numpy() for v in variables]
    for actual, wanted in zip(_sf(kwargs), expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=2e-6)
    assert int(np.asarray(opt.iterations)) == STEPS // (
        kwargs.get("gradient_accumulation_steps") or 1
    )


def test_schedule_free_slots_and_config(keras_oracle: Any) -> None:
    inits, grads = _data()
    ours = ScheduleFreeAdamW(learning_rate=0.01, warmup_steps=5)
    variables = [cornu.Variable(x, name=f"v{i}") for i, x in enumerate(inits)]
    ours.build(variables)
    # `momentum` starts at the variables' values, `velocity` at zero.
    np.testing.assert_array_equal(ours._momentums[0].numpy(), inits[0])
    np.testing.assert_array_equal(ours._velocities[2].numpy(), np.zeros(SHAPES[2]))

    theirs = keras_oracle.optimizers.ScheduleFreeAdamW(
        learning_rate=0.01, warmup_steps=5
    )
    theirs.build([keras_oracle.Variable(x, name=f"v{i}") for i, x in enumerate(inits)])
    # The same slots in the same order (names past the optimizer's own).
    assert [v.path.split("/", 1)[1] for v in ours.variables] == [
        v.path.split("/", 1)[1] for v in theirs.variables
    ]
    config, expected = ours.get_config(), theirs.get_config()
    expected["learning_rate"] = float(np.float32(0.01))
    config["learning_rate"] = float(np.float32(config["learning_rate"]))
    assert {k: v for k, v in config.items() if k != "name"} == {
        k: v for k, v in expected.items() if k != "name"
    }
    clone = ScheduleFreeAdamW.from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()
    assert type(optimizers.get("schedulefreeadamw")) is ScheduleFreeAdamW


# -- OptimizerMap -------------------------------------------------------------------
def test_optimizer_map_lookup_as_keras(keras_oracle: Any) -> None:
    def make(lib: Any) -> Any:
        table = lib.optimizers.OptimizerMap(
            default_optimizer=lib.optimizers.RMSprop(name="rms")
        )
        table["encoder/layer_0/dense"] = lib.optimizers.Adam(name="adam")
        table["encoder/.*"] = lib.optimizers.SGD(name="sgd")
        table["decoder"] = lib.optimizers.Adam(name="adam2")
        return table

    keys = [
        "decoder",
        "encoder/layer_0/dense",
        "encoder/layer_0/attention/query",
        "decoder/layer_0/dense",
        "encoder",
    ]
    ours, theirs = make(cornu), make(keras_oracle)
    assert [ours[k].name for k in keys] == [theirs[k].name for k in keys]
    assert len(ours) == len(theirs) == 3
    assert list(ours) == list(theirs)
    del ours["decoder"]
    assert ours["decoder"].name == "rms"


def test_optimizer_map_errors() -> None:
    with pytest.raises(TypeError, match="expects `default_optimizer`"):
        OptimizerMap("sgd")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expects `optimizer_map` to be a dict"):
        OptimizerMap(optimizers.SGD(), [optimizers.Adam()])  # type: ignore[arg-type]
    table = OptimizerMap(optimizers.SGD(), {"a/.*": optimizers.Adam()})
    with pytest.raises(ValueError, match="'a/.\\*' already exists"):
        table["a/.*"] = optimizers.SGD()
    with pytest.raises(ValueError, match="keys must be strings"):
        table[3] = optimizers.SGD()  # type: ignore[index]
    with pytest.raises(ValueError, match="must be Optimizer instances"):
        table["b"] = "adam"  # type: ignore[assignment]
    with pytest.raises(ValueError, match="cannot be LossScaleOptimizer"):
        table["b"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(ValueError, match="cannot be MultiOptimizer"):
        table["b"] = MultiOptimizer(OptimizerMap(optimizers.SGD()))
    table[".*/kernel"] = optimizers.SGD()
    with pytest.raises(ValueError, match="Multiple optimizers assigned to variable"):
        table["a/kernel"]


# -- MultiOptimizer -------------------------------------------------------------------
def _multi(lib: Any) -> Any:
    table = lib.optimizers.OptimizerMap(
        lib.optimizers.SGD(learning_rate=0.1, momentum=0.9),
        {"v0": lib.optimizers.Adam(0.05), "v[1]": lib.optimizers.RMSprop(0.01)},
    )
    return lib.optimizers.MultiOptimizer(table)


def test_multi_optimizer_matches_keras(keras_oracle: Any) -> None:
    keras = keras_oracle
    inits, grads = _data()
    theirs = _multi(keras)
    variables = [keras.Variable(x.copy(), name=f"v{i}") for i, x in enumerate(inits)]
    device = variables[0].value.device
    for step_grads in grads:
        theirs.apply([torch.tensor(g, device=device) for g in step_grads], variables)
    expected = [v.value.detach().cpu().numpy() for v in variables]

    ours = _multi(cornu)
    actual = _run(ours, inits, grads)
    for a, b in zip(actual, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)
    assert int(ours.iterations) == int(theirs.iterations.value.cpu()) == STEPS
    assert [type(o).__name__ for o in ours.optimizers] == [
        type(o).__name__ for o in theirs.optimizers
    ]
    assert [int(o.iterations) for o in ours.optimizers] == [STEPS] * 3
    assert [tuple(v.shape) for v in ours.variables] == [
        tuple(v.shape) for v in theirs.variables
    ]


def test_multi_optimizer_equals_its_sub_optimizers_alone() -> None:
    inits, grads = _data()
    combined = _run(_multi(cornu), inits, grads)
    alone_adam = _run(optimizers.Adam(0.05), inits[:1], [g[:1] for g in grads])
    alone_rms = _run(optimizers.RMSprop(0.01), inits[1:2], [g[1:2] for g in grads])
    alone_sgd = _run(
        optimizers.SGD(0.1, momentum=0.9), inits[2:], [g[2:] for g in grads]
    )
    for a, b in zip(combined, alone_adam + alone_rms + alone_sgd):
        np.testing.assert_array_equal(a, b)


def test_multi_optimizer_with_a_callable() -> None:
    sgd, adam = optimizers.SGD(0.5), optimizers.Adam(0.1)
    opt = MultiOptimizer(lambda v: adam if v.path == "v1" else sgd)
    inits, grads = _data()
    actual = _run(opt, inits[:2], [g[:2] for g in grads[:1]])
    np.testing.assert_allclose(actual[0], inits[0] - 0.5 * grads[0][0], rtol=1e-6)
    assert [o.name for o in opt.optimizers] == [sgd.name, adam.name]


def test_multi_optimizer_has_no_learning_rate() -> None:
    opt = _multi(cornu)
    with pytest.raises(AttributeError, match="cannot be accessed on a MultiOptimizer"):
        opt.learning_rate  # noqa: B018
    with pytest.raises(AttributeError, match="cannot be set on a MultiOptimizer"):
        opt.learning_rate = 0.1


def test_multi_optimizer_errors() -> None:
    inits, _ = _data()
    variables = [cornu.Variable(x, name=f"v{i}") for i, x in enumerate(inits)]
    bad = MultiOptimizer(lambda v: "sgd")
    with pytest.raises(ValueError, match="for variable v0 is not an Optimizer"):
        bad.build(variables)
    lso = MultiOptimizer(lambda v: optimizers.LossScaleOptimizer(optimizers.SGD()))
    with pytest.raises(ValueError, match="LossScaleOptimizer cannot be used inside"):
        lso.build(variables)
    opt = _multi(cornu)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([torch.zeros(3, 4)])
    opt.build(variables)
    with pytest.raises(ValueError, match="Received 1 gradients and 3 variables"):
        opt.apply([torch.zeros(3, 4)], variables[:1])


def test_multi_optimizer_loss_scale_factor() -> None:
    opt = MultiOptimizer(
        OptimizerMap(optimizers.SGD(1.0), {"v1": optimizers.SGD(1.0)}),
        loss_scale_factor=4.0,
    )
    assert [o.loss_scale_factor for o in opt.optimizers] == [4.0, 4.0]
    w = [cornu.Variable(np.ones(2, "float32"), name=f"v{i}") for i in range(2)]
    opt.apply([torch.full((2,), 4.0), torch.full((2,), 8.0)], w)
    np.testing.assert_allclose(w[0].numpy(), [0.0, 0.0])
    np.testing.assert_allclose(w[1].numpy(), [-1.0, -1.0])
    assert float(opt.scale_loss(torch.tensor(1.5))) == 6.0
    opt.loss_scale_factor = None
    assert [o.loss_scale_factor for o in opt.optimizers] == [None, None]


def test_multi_optimizer_serialization_interchanges(keras_oracle: Any) -> None:
    keras = keras_oracle
    theirs = json.loads(json.dumps(keras.saving.serialize_keras_object(_multi(keras))))
    ours = cornu.saving.serialize_keras_object(_multi(cornu))
    assert ours["class_name"] == theirs["class_name"] == "MultiOptimizer"
    assert ours["module"] == theirs["module"] == "keras.optimizers"
    assert set(ours["config"]) == set(theirs["config"])
    table = ours["config"]["optimizer_map"]
    assert table["class_name"] == "OptimizerMap"
    assert set(table["config"]) == set(theirs["config"]["optimizer_map"]["config"])

    # Keras's file loads in cornu, and cornu's round-trips.
    for config in (theirs, ours):
        rebuilt = optimizers.deserialize(config)
        assert isinstance(rebuilt, MultiOptimizer)
        names = [type(o).__name__ for o in rebuilt.optimizers]
        assert names == ["Adam", "RMSprop", "SGD"]
        assert rebuilt._optimizer_map["v0"].get_config()["learning_rate"] == (
            pytest.approx(0.05)
        )


def test_multi_optimizer_set_weights() -> None:
    inits, grads = _data()
    first = _multi(cornu)
    _run(first, inits, grads)
    second = _multi(cornu)
    second.build([cornu.Variable(x, name=f"v{i}") for i, x in enumerate(inits)])
    second.set_weights([v.numpy() for v in first.variables])
    for a, b in zip(second.variables, first.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="has not yet been built"):
        _multi(cornu).set_weights([])


def test_multi_optimizer_in_fit() -> None:
    model = cornu.Sequential(
        [
            cornu.Input((4,)),
            cornu.layers.Dense(3, name="frozen_by_lr"),
            cornu.layers.Dense(1, name="head"),
        ]
    )
    table = OptimizerMap(
        optimizers.Adam(0.01), {"sequential.*/frozen_by_lr/.*": optimizers.SGD(0.0)}
    )
    model.compile(optimizer=MultiOptimizer(table), loss="mse")
    before = [w.numpy().copy() for w in model.weights]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    after = [w.numpy() for w in model.weights]
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    assert not np.array_equal(before[2], after[2])
    assert int(model.optimizer.iterations) == 4


def _compiled_pair(lib: Any) -> Any:
    model = lib.Sequential(
        [lib.Input((4,)), lib.layers.Dense(3, name="a"), lib.layers.Dense(1, name="b")]
    )
    # ".*a/.*" routes the same variables whatever prefix a library's paths have.
    table = lib.optimizers.OptimizerMap(
        lib.optimizers.Adam(0.01), {".*a/.*": lib.optimizers.SGD(0.1, momentum=0.9)}
    )
    model.compile(optimizer=lib.optimizers.MultiOptimizer(table), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    return model


def _optimizer_layout(path: Any) -> dict[str, tuple[int, ...]]:
    import io
    import zipfile

    import h5py

    out: dict[str, tuple[int, ...]] = {}
    with (
        zipfile.ZipFile(path) as zf,
        h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as f,
    ):
        f["optimizer"].visititems(
            lambda name, obj: (
                out.__setitem__(name, tuple(obj.shape))
                if isinstance(obj, h5py.Dataset)
                else None
            )
        )
    return out


def test_multi_optimizer_archives_interchange(keras_oracle: Any, tmp_path: Any) -> None:
    import warnings

    keras = keras_oracle
    theirs, ours = _compiled_pair(keras), _compiled_pair(cornu)
    keras_file, cornu_file = tmp_path / "k.keras", tmp_path / "c.keras"
    theirs.save(keras_file)
    ours.save(cornu_file)
    assert _optimizer_layout(cornu_file) == _optimizer_layout(keras_file)

    loaded = cornu.saving.load_model(keras_file)
    assert isinstance(loaded.optimizer, MultiOptimizer)
    for a, b in zip(loaded.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), np.asarray(b.numpy()))

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        back = keras.saving.load_model(cornu_file)
    for a, b in zip(back.optimizer.variables, ours.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a.numpy()), b.numpy())
