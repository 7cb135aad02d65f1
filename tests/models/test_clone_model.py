"""`clone_model` against real Keras 3 (torch backend) on the same models.

Each case builds one model definition with both libraries (the builder
takes the library module), clones it the same way, and compares what the
clone is made of (layer classes, names, configs) and what it computes.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import cornu
from cornu.models import clone_model


@pytest.fixture(scope="module")
def real_keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    return keras


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- model definitions, written once for both libraries ---------------------
def sequential(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((6,), name="seq_in"),
            k.layers.Dense(5, activation="relu", name="seq_d1"),
            k.layers.Dropout(0.3, name="seq_drop"),
            k.layers.Dense(3, name="seq_d2"),
        ],
        name="seq_model",
    )


def functional(k: Any) -> Any:
    x = k.Input((6,), name="fn_in")
    a = k.layers.Dense(4, activation="tanh", name="fn_a")(x)
    b = k.layers.Dense(4, name="fn_b")(a)
    c = k.layers.Dense(4, name="fn_c")(x)
    y = k.layers.Add(name="fn_add")([b, c])
    return k.Model(x, y, name="fn_model")


def multi_io(k: Any) -> Any:
    x1 = k.Input((3,), name="mi_x1")
    x2 = k.Input((5,), name="mi_x2")
    h = k.layers.Concatenate(name="mi_cat")([x1, x2])
    shared = k.layers.Dense(2, name="mi_shared")
    y1 = shared(h)
    y2 = k.layers.Dense(4, name="mi_out2")(h)
    return k.Model([x1, x2], [y1, y2], name="mi_model")


def nested(k: Any) -> Any:
    inner = k.Sequential(
        [k.Input((4,), name="in_in"), k.layers.Dense(3, name="in_d")], name="inner"
    )
    x = k.Input((4,), name="nest_in")
    y = k.layers.Dense(2, name="nest_out")(inner(x))
    return k.Model(x, y, name="outer")


BUILDERS: dict[str, Callable[[Any], Any]] = {
    "sequential": sequential,
    "functional": functional,
    "multi_io": multi_io,
    "nested": nested,
}


def _inputs(name: str) -> Any:
    rng = np.random.default_rng(0)
    if name == "multi_io":
        return [
            rng.standard_normal((2, 3)).astype("float32"),
            rng.standard_normal((2, 5)).astype("float32"),
        ]
    width = 4 if name == "nested" else 6
    return rng.standard_normal((2, width)).astype("float32")


def _numpy(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_numpy(v) for v in x]
    return np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)


def _describe(model: Any) -> list[tuple[str, str]]:
    return [(type(layer).__name__, layer.name) for layer in model.layers]


def _dense_configs(model: Any) -> list[dict[str, Any]]:
    keys = ("units", "activation", "use_bias", "name")
    return [
        {k: layer.get_config()[k] for k in keys}
        for layer in model.layers
        if type(layer).__name__ == "Dense"
    ]


# -- structure and weights ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_clone_matches_keras_structure(name: str, real_keras: Any) -> None:
    model = BUILDERS[name](cornu)
    clone = clone_model(model)
    reference = real_keras.models.clone_model(BUILDERS[name](real_keras))

    assert type(clone).__name__ == type(reference).__name__
    assert clone.name == reference.name == model.name
    assert _describe(clone) == _describe(reference)
    assert _describe(clone) == _describe(model)
    assert _dense_configs(clone) == _dense_configs(reference)
    assert [tuple(w.shape) for w in clone.weights] == [
        tuple(w.shape) for w in reference.weights
    ]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_clone_has_new_independent_weights(name: str) -> None:
    model = BUILDERS[name](cornu)
    clone = clone_model(model)
    originals = {id(w) for w in model.weights}
    assert not any(id(w) in originals for w in clone.weights)
    assert all(a is not b for a, b in zip(clone.layers[1:], model.layers[1:]))

    # Same function once the weights are copied; then changing one model's
    # weights leaves the other alone.
    clone.set_weights(model.get_weights())
    x = _inputs(name)
    ours, theirs = _numpy(model(x)), _numpy(clone(x))
    if not isinstance(ours, list):
        ours, theirs = [ours], [theirs]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    before = [np.array(w) for w in clone.get_weights()]
    model.set_weights([np.zeros_like(w) + 7.0 for w in model.get_weights()])
    for a, b in zip(before, clone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_sequential_clone_keeps_input_layer(real_keras: Any) -> None:
    clone = clone_model(sequential(cornu))
    reference = real_keras.models.clone_model(sequential(real_keras))
    assert clone.input_shape == tuple(reference.input_shape)
    assert clone.inputs[0].name == reference.inputs[0].name == "seq_in"
    ours = clone.get_config()["layers"][0]["config"]
    theirs = reference.get_config()["layers"][0]["config"]
    assert tuple(ours["batch_shape"]) == tuple(theirs["batch_shape"])
    assert (ours["dtype"], ours["name"]) == (theirs["dtype"], theirs["name"])


def test_sequential_built_from_shape_is_cloned_built() -> None:
    model = cornu.Sequential([cornu.layers.Dense(3, name="late_d")])
    model.build((None, 5))
    clone = clone_model(model)
    assert clone.built
    assert [tuple(w.shape) for w in clone.weights] == [(5, 3), (3,)]


# -- clone_function ----------------------------------------------------------------
def _sigmoid_dense(library: Any) -> Callable[[Any], Any]:
    def clone_function(layer: Any) -> Any:
        config = layer.get_config()
        if isinstance(layer, library.layers.Dense):
            config["activation"] = "sigmoid"
        return type(layer).from_config(config)

    return clone_function


@pytest.mark.parametrize("name", ["sequential", "functional"])
def test_clone_function_rewrites_layers_as_keras(name: str, real_keras: Any) -> None:
    clone = clone_model(BUILDERS[name](cornu), clone_function=_sigmoid_dense(cornu))
    reference = real_keras.models.clone_model(
        BUILDERS[name](real_keras), clone_function=_sigmoid_dense(real_keras)
    )
    configs = _dense_configs(clone)
    assert configs == _dense_configs(reference)
    assert {c["activation"] for c in configs} == {"sigmoid"}
    x = _inputs(name)
    out = _numpy(clone(x))
    upper = 1.0 if name == "sequential" else 2.0  # functional adds two Dense
    assert np.all((out > 0) & (out < upper))


def test_clone_function_sees_each_layer_once(real_keras: Any) -> None:
    def record(library: Any, seen: list[str]) -> Callable[[Any], Any]:
        def fn(layer: Any) -> Any:
            seen.append(layer.name)
            return type(layer).from_config(layer.get_config())

        return fn

    ours: list[str] = []
    theirs: list[str] = []
    clone = clone_model(multi_io(cornu), clone_function=record(cornu, ours))
    real_keras.models.clone_model(
        multi_io(real_keras), clone_function=record(real_keras, theirs)
    )
    assert sorted(ours) == sorted(theirs)
    assert "mi_x1" not in ours  # input layers are never passed
    # The shared layer is cloned once and still shared in the clone.
    assert ours.count("mi_shared") == 1
    assert len(clone.weights) == 4


def test_identity_clone_function_shares_layers() -> None:
    model = functional(cornu)
    clone = clone_model(model, clone_function=lambda layer: layer)
    assert clone.get_layer("fn_a") is model.get_layer("fn_a")
    assert clone is not model


# -- call_function -------------------------------------------------------------------
def _dropout_after_dense(library: Any) -> Callable[..., Any]:
    def call_function(layer: Any, *args: Any, **kwargs: Any) -> Any:
        out = layer(*args, **kwargs)
        if isinstance(layer, library.layers.Dense):
            out = library.layers.Dropout(0.5)(out)
        return out

    return call_function


def test_call_function_inserts_layers_as_keras(real_keras: Any) -> None:
    model = functional(cornu)
    clone = clone_model(
        model,
        clone_function=lambda layer: layer,
        call_function=_dropout_after_dense(cornu),
    )
    reference = real_keras.models.clone_model(
        functional(real_keras),
        clone_function=lambda layer: layer,
        call_function=_dropout_after_dense(real_keras),
    )
    kinds = [type(layer).__name__ for layer in clone.layers]
    assert kinds == [type(layer).__name__ for layer in reference.layers]
    assert kinds.count("Dropout") == 3
    x = _inputs("functional")
    # The layers are shared and Dropout is off at inference: same outputs.
    np.testing.assert_allclose(
        _numpy(clone(x, training=False)), _numpy(model(x)), rtol=1e-6
    )


def test_call_function_refused_for_sequential(real_keras: Any) -> None:
    with pytest.raises(ValueError, match="`call_function` is not supported"):
        clone_model(sequential(cornu), call_function=lambda layer, x: layer(x))
    with pytest.raises(ValueError):
        real_keras.models.clone_model(
            sequential(real_keras), call_function=lambda layer, x: layer(x)
        )


# -- input_tensors ------------------------------------------------------------------
def test_input_tensors_functional() -> None:
    model = multi_io(cornu)
    new_inputs = [cornu.Input((3,), name="new_a"), cornu.Input((5,), name="new_b")]
    clone = clone_model(model, input_tensors=new_inputs)
    assert clone.inputs[0] is new_inputs[0]
    assert clone.inputs[1] is new_inputs[1]
    assert [t.shape for t in clone.outputs] == [(None, 2), (None, 4)]


def test_input_tensors_sequential(real_keras: Any) -> None:
    tensor = cornu.Input(batch_shape=(8, 6))
    clone = clone_model(sequential(cornu), input_tensors=tensor)
    reference = real_keras.models.clone_model(
        sequential(real_keras), input_tensors=real_keras.Input(batch_shape=(8, 6))
    )
    assert clone.input_shape == tuple(reference.input_shape) == (8, 6)
    assert _describe(clone) == _describe(reference)


def test_input_tensors_errors() -> None:
    with pytest.raises(ValueError, match="same structure as model.input"):
        clone_model(multi_io(cornu), input_tensors=[cornu.Input((3,))])
    with pytest.raises(ValueError, match="must be KerasTensors"):
        clone_model(functional(cornu), input_tensors=np.ones((2, 6)))
    with pytest.raises(ValueError, match="must hold a single tensor"):
        clone_model(
            sequential(cornu), input_tensors=[cornu.Input((6,)), cornu.Input((6,))]
        )
    with pytest.raises(ValueError, match="must be a KerasTensor"):
        clone_model(sequential(cornu), input_tensors=np.ones((2, 6)))


# -- recursive ---------------------------------------------------------------------
@pytest.mark.parametrize("recursive", [False, True])
def test_recursive_as_keras(recursive: bool, real_keras: Any) -> None:
    def record(seen: list[str]) -> Callable[[Any], Any]:
        def fn(layer: Any) -> Any:
            seen.append(layer.name)
            return type(layer).from_config(layer.get_config())

        return fn

    ours: list[str] = []
    theirs: list[str] = []
    model = nested(cornu)
    clone = clone_model(model, clone_function=record(ours), recursive=recursive)
    real_keras.models.clone_model(
        nested(real_keras), clone_function=record(theirs), recursive=recursive
    )
    assert sorted(ours) == sorted(theirs)
    assert ("in_d" in ours) is recursive
    inner = clone.get_layer("inner")
    assert inner is not model.get_layer("inner")
    assert type(inner).__name__ == "Sequential"
    assert all(id(w) not in {id(v) for v in model.weights} for w in inner.weights)


# -- compiled and subclassed models ------------------------------------------------
def test_compiled_model_clone_is_compiled() -> None:
    model = functional(cornu)
    model.compile(optimizer="sgd", loss="mse")
    clone = clone_model(model)
    assert clone.compiled
    assert clone.optimizer is not model.optimizer
    assert type(clone.optimizer).__name__ == "SGD"


@cornu.saving.register_keras_serializable(package="clone_tests")
class Mlp(cornu.Model):
    def __init__(self, units: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.hidden = cornu.layers.Dense(units)
        self.out = cornu.layers.Dense(1)

    def call(self, x: Any) -> Any:
        return self.out(self.hidden(x))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_is_cloned_from_its_config() -> None:
    model = Mlp(units=5, name="mlp")
    model(np.ones((2, 4), "float32"))
    clone = clone_model(model)
    assert type(clone) is Mlp
    assert clone is not model
    assert clone.units == 5 and clone.name == "mlp"
    clone(np.ones((2, 4), "float32"))
    assert not {id(w) for w in clone.weights} & {id(w) for w in model.weights}


def test_subclassed_model_refuses_clone_arguments() -> None:
    model = Mlp()
    with pytest.raises(ValueError, match="only supported for Sequential and"):
        clone_model(model, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="only supported for functional models"):
        clone_model(model, call_function=lambda layer, x: layer(x))


def test_unexpected_keyword_argument() -> None:
    with pytest.raises(
        ValueError, match=r"unexpected keyword argument\(s\): \('foo',\)"
    ):
        clone_model(functional(cornu), foo=1)
