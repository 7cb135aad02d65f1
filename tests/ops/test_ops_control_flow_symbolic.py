"""Control flow and data-dependent shapes on KerasTensors, checked against Keras.

Each case builds the same call on cornu and on real Keras KerasTensors and
compares the output specs (structure, shapes with None, dtypes). Functional
models with the control-flow operations run against a NumPy reference and
save/load through `.keras` where Keras can save them.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _ops_cases import real_keras

import cornu
from cornu import ops
from cornu.core.keras_tensor import KerasTensor
from cornu.saving.errors import InvalidFileError

KERAS = real_keras()
N = None


def _spec(x: Any) -> Any:
    """A comparable (shape, dtype) view of a structure of tensors."""
    if isinstance(x, dict):
        return {k: _spec(v) for k, v in sorted(x.items())}
    if isinstance(x, (list, tuple)):
        return type(x)(_spec(v) for v in x)
    if x is None:
        return None
    return (tuple(x.shape), str(x.dtype))


# name -> builder(ops module, KerasTensor class): both libraries run it.
CASES: dict[str, Callable[[Any, Any], Any]] = {
    "cond": lambda o, K: o.cond(
        K((), "bool"), lambda: o.ones((2,)), lambda: o.zeros((2,))
    ),
    "cond_closure": lambda o, K: (
        lambda x: o.cond(o.sum(x) > 0, lambda: x + 1, lambda: x * 2)
    )(K((N, 4))),
    "cond_tuple": lambda o, K: (
        lambda x: o.cond(K((), "bool"), lambda: (x, x[:, 0]), lambda: (x, x[:, 1]))
    )(K((N, 4))),
    "cond_none": lambda o, K: o.cond(K((), "bool"), lambda: None, lambda: None),
    "switch": lambda o, K: o.switch(
        K((), "int32"), [lambda a: a + 1, lambda a: a * 2], K((N, 4))
    ),
    "switch_first_branch": lambda o, K: o.switch(
        1, [lambda a: a + 1, lambda a: o.sum(a)], K((N, 4))
    ),
    "while_loop": lambda o, K: o.while_loop(
        lambda v: o.sum(v) < 10, lambda v: v + 1, K((N, 4))
    ),
    "while_loop_tuple": lambda o, K: o.while_loop(
        lambda a, b: a < 10, lambda a, b: (a + 1, b * 2), (K((), "int32"), K((N, 4)))
    ),
    "while_loop_list": lambda o, K: o.while_loop(
        lambda a, b: a < 10, lambda a, b: [a + 1, b * 2], [K((), "int32"), K((N, 4))]
    ),
    "fori_loop": lambda o, K: o.fori_loop(0, 3, lambda i, v: v + 1, K((N, 4))),
    "fori_loop_symbolic_bound": lambda o, K: o.fori_loop(
        0, K((), "int32"), lambda i, v: v + 1, K((N, 4))
    ),
    "scan": lambda o, K: o.scan(
        lambda c, a: (c + a, c * 2), K((N, 3)), K((5, N, 3), "float32")
    ),
    "scan_unknown_length": lambda o, K: o.scan(
        lambda c, a: (c + a, o.sum(a, axis=-1)), K((3,)), K((N, 3))
    ),
    "scan_length": lambda o, K: o.scan(
        lambda c, a: (c + 1, c), K((3,), "int32"), None, length=4
    ),
    "scan_reverse": lambda o, K: o.scan(
        lambda c, a: (c + a, a), K((3,)), K((6, 3)), reverse=True
    ),
    "associative_scan": lambda o, K: o.associative_scan(lambda a, b: a + b, K((N, 4))),
    "associative_scan_axis": lambda o, K: o.associative_scan(
        lambda a, b: a * b, K((N, 4), "int32"), axis=1
    ),
    "associative_scan_list": lambda o, K: o.associative_scan(
        lambda a, b: [a[0] + b[0], a[1] * b[1]], [K((N, 4)), K((N, 4), "int32")]
    ),
    "map": lambda o, K: o.map(lambda a: a * 2, K((N, 4))),
    "map_reduce": lambda o, K: o.map(lambda a: o.sum(a), K((N, 4))),
    "map_dict": lambda o, K: o.map(
        lambda a: {"y1": a, "y2": o.sum(a)}, K((N, 4), "int32")
    ),
    "map_tuple_input": lambda o, K: o.map(lambda a: a[0] + a[1], (K((N, 4)),) * 2),
    "vectorized_map": lambda o, K: o.vectorized_map(lambda a: a * 2, K((N, 4))),
    "vectorized_map_reduce": lambda o, K: o.vectorized_map(
        lambda a: o.sum(a), K((N, 3, 4))
    ),
    "vectorized_map_list": lambda o, K: o.vectorized_map(
        lambda a: a[0] + a[1], [K((N, 4)), K((N, 4))]
    ),
    "nonzero": lambda o, K: o.nonzero(K((N, 4))),
    "nonzero_1d": lambda o, K: o.nonzero(K((5,), "int32")),
    "unique": lambda o, K: o.unique(K((N, 4))),
    "unique_all": lambda o, K: o.unique(
        K((N, 4)), return_index=True, return_inverse=True, return_counts=True
    ),
    "unique_size": lambda o, K: o.unique(K((N, 4)), size=3),
    "unique_axis": lambda o, K: o.unique(K((N, 4)), axis=0),
    "count_nonzero": lambda o, K: o.count_nonzero(K((N, 4))),
}


def _cornu_kt(shape: tuple, dtype: str = "float32") -> KerasTensor:
    return KerasTensor(shape, dtype=dtype)


@pytest.mark.parametrize("name", sorted(CASES))
def test_symbolic_spec_matches_keras(name: str) -> None:
    got = CASES[name](ops, _cornu_kt)
    for t in cornu.tree.flatten(got):
        assert t is None or isinstance(t, (KerasTensor, float))
    if KERAS is None:
        pytest.skip("real Keras is not installed")
    want = CASES[name](KERAS.ops, KERAS.KerasTensor)
    assert _spec(got) == _spec(want)


def test_symbolic_outputs_are_graph_nodes_with_keras_names() -> None:
    x = KerasTensor((None, 4))
    carry, ys = ops.scan(lambda c, a: (c + a, c), ops.zeros((4,)), x)
    assert carry._keras_history[0].class_name == "Scan"
    assert ys._keras_history[0] is carry._keras_history[0]
    assert ops.map(lambda a: a, x)._keras_history[0].class_name == "Map"
    y = ops.associative_scan(lambda a, b: a + b, x, reverse=True, axis=1)
    op = y._keras_history[0]
    assert op.class_name == "AssociativeScan"
    assert op.get_config() == {"name": op.name, "reverse": True, "axis": 1}
    # Tracing the step functions records no nodes of their own.
    assert x._keras_history is None


# Cases where Keras raises on KerasTensors: cornu raises the same kind.
@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (
            lambda x: ops.cond(
                KerasTensor((), "bool"), lambda: x + 1, lambda: ops.sum(x)
            ),
            ValueError,
            "same kind",
        ),
        (
            lambda x: ops.cond(
                KerasTensor((), "bool"), lambda: x, lambda: ops.cast(x, "int32")
            ),
            ValueError,
            "same kind",
        ),
        (
            lambda x: ops.associative_scan(
                lambda a, b: [a[0] + b[0], a[1] + b[1]],
                [KerasTensor((5, 4)), KerasTensor((6, 4))],
            ),
            ValueError,
            r"same size along axis 0, received shapes \[\(5, 4\), \(6, 4\)\]",
        ),
        (lambda x: x[x > 0], ValueError, "symbolic key"),
        (lambda x: x[KerasTensor((), "int32")], ValueError, "symbolic key"),
        (
            lambda x: ops.switch(KerasTensor((), "int32"), [lambda: 1, lambda: 2]),
            ValueError,
            "no operand is",
        ),
    ],
)
def test_symbolic_errors(build: Callable[[Any], Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        build(KerasTensor((None, 4)))


def test_keras_raises_where_cornu_raises() -> None:
    if KERAS is None:
        pytest.skip("real Keras is not installed")
    kx = KERAS.KerasTensor((None, 4))
    with pytest.raises(ValueError, match="same kind"):
        KERAS.ops.cond(KERAS.KerasTensor((), "bool"), lambda: kx, lambda: kx[:, 0])
    with pytest.raises(ValueError):
        kx[kx > 0]


X = np.arange(8, dtype="float32").reshape(2, 4) - 3.0


def _prefix_sums(x: np.ndarray) -> np.ndarray:
    return np.cumsum(x, axis=0) - x  # carry before each step


MODELS: dict[str, tuple[Callable[[Any], Any], Callable[[np.ndarray], Any], bool]] = {
    # name: (graph builder, NumPy reference, whether Keras can save it)
    "scan": (
        lambda x: ops.scan(lambda c, a: (c + a, c * 2.0), ops.zeros((4,)), x)[1],
        lambda x: 2.0 * _prefix_sums(x),
        True,
    ),
    "map": (lambda x: ops.map(lambda a: a * 2.0, x), lambda x: x * 2.0, True),
    "vectorized_map": (
        lambda x: ops.vectorized_map(lambda a: a - 1.0, x),
        lambda x: x - 1.0,
        True,
    ),
    "associative_scan": (
        lambda x: ops.associative_scan(lambda a, b: a + b, x, axis=1),
        lambda x: np.cumsum(x, axis=1),
        True,
    ),
    "switch": (
        lambda x: ops.switch(
            ops.cast(ops.sum(x) > 0, "int32"), [lambda a: a + 1.0, lambda a: a * 2.0], x
        ),
        lambda x: x * 2.0 if x.sum() > 0 else x + 1.0,
        True,
    ),
    "fori_loop": (
        lambda x: ops.fori_loop(0, 3, lambda i, v: v * 2.0 + 1.0, x),
        lambda x: ((x * 2 + 1) * 2 + 1) * 2 + 1,
        False,
    ),
    "while_loop": (
        lambda x: ops.while_loop(
            lambda v: ops.max(v) < 20.0, lambda v: v + 4.0, x, maximum_iterations=3
        ),
        lambda x: x + 4.0 * 3 if x.max() + 8.0 < 20.0 else x + 8.0,
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_functional_model_runs_and_saves(name: str, tmp_path: Path) -> None:
    build, reference, saveable = MODELS[name]
    inp = cornu.Input((4,))
    model = cornu.Model(inp, build(inp))
    np.testing.assert_allclose(
        np.asarray(model.predict(X, verbose=0)), reference(X), rtol=1e-6, atol=1e-6
    )
    path = str(tmp_path / "model.keras")
    if not saveable:
        with pytest.raises(NotImplementedError, match="cannot be serialized"):
            model.save(path)
        return
    model.save(path)
    # The step functions are lambdas: Keras's `__lambda__` form, refused in
    # safe mode, rebuilt with safe_mode=False.
    with pytest.raises(InvalidFileError, match="Python lambda"):
        cornu.saving.load_model(path)
    loaded = cornu.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(
        np.asarray(loaded.predict(X, verbose=0)), reference(X), rtol=1e-6, atol=1e-6
    )
    if KERAS is not None and name != "switch":
        config = json.loads(zipfile.ZipFile(path).read("config.json"))
        op = config["config"]["layers"][-1]
        assert op["module"] == "keras.src.ops.core"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the oracle's own warnings
            keras_model = KERAS.saving.load_model(path, safe_mode=False)
            keras_out = np.asarray(keras_model.predict(X, verbose=0))
        np.testing.assert_allclose(
            keras_out,
            reference(X),
            rtol=1e-6,
            atol=1e-6,
        )


def test_loads_control_flow_model_written_by_keras(tmp_path: Path) -> None:
    if KERAS is None:
        pytest.skip("real Keras is not installed")
    kinp = KERAS.Input((4,))
    kout = KERAS.ops.scan(lambda c, a: (c + a, c * 2.0), KERAS.ops.zeros((4,)), kinp)[1]
    path = str(tmp_path / "keras_scan.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns when it saves a lambda
        KERAS.Model(kinp, kout).save(path)
    loaded = cornu.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(
        np.asarray(loaded.predict(X, verbose=0)), 2.0 * _prefix_sums(X), rtol=1e-6
    )


def test_cond_branch_closing_over_symbolic_tensor_fails_clearly() -> None:
    inp = cornu.Input((4,))
    out = ops.cond(ops.sum(inp) > 0, lambda: inp * 2.0, lambda: inp - 1.0)
    model = cornu.Model(inp, out)
    with pytest.raises(ValueError, match="cannot close over symbolic tensors"):
        model.predict(X, verbose=0)


def test_eager_control_flow_unchanged() -> None:
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.switch(5, [lambda v: v + 1, lambda v: v * 3], 2) == 6
    assert int(ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0)) == 10
    out = ops.while_loop(lambda a, b: a < 3, lambda a, b: [a + 1, b * 2], [0, 1])
    assert isinstance(out, tuple) and [int(v) for v in out] == [3, 8]
    assert ops.fori_loop(0, 4, lambda i, s: s + i, 0) == 6
    carry, ys = ops.scan(lambda c, a: (c + a, c + a), 0, np.array([1, 2, 3]))
    assert int(carry) == 6 and ys.tolist() == [1, 3, 6]
