"""Keras's dtype rules: `result_type`, and the dtypes ops return."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from _ops_cases import real_keras

from cornu import config, ops
from cornu.ops.dtypes import result_type

KERAS = real_keras()
needs_keras = pytest.mark.skipif(KERAS is None, reason="real Keras not installed")

NAMES = [
    "bool", "uint8", "uint16", "int8", "int16", "int32", "int64",
    "bfloat16", "float16", "float32", "float64", "complex64",
]  # fmt: skip


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (("int32", "float32"), "float32"),
        (("int32", "float16"), "float16"),
        (("int8", "uint8"), "int16"),
        (("bool", "int8"), "int8"),
        (("int8", int), "int8"),
        (("int32", float), "float32"),
        (("float16", float), "float16"),
        (("bool", int), "int32"),
        (("bool", float), "float32"),
        ((int, float), "float32"),
        (("int64", "int64"), "int32"),
        (("float64", "float32"), "float32"),
        (("bfloat16", "float16"), "float32"),
        (("uint32", "int8"), "int32"),
        ((), "float32"),
        ((None,), "float32"),
    ],
)
def test_result_type_table(inputs: tuple, expected: str) -> None:
    assert result_type(*inputs) == expected


def test_result_type_follows_floatx() -> None:
    config.set_floatx("float16")
    try:
        assert result_type("int32", float) == "float16"
        assert result_type(int, float) == "float16"
    finally:
        config.set_floatx("float32")


@needs_keras
def test_result_type_matches_keras_on_all_pairs_and_triples() -> None:
    from keras.src.backend.common import dtypes as kd

    kinds = [*NAMES, int, float, bool]
    combos = list(itertools.product(kinds, repeat=2))
    combos += list(itertools.combinations(kinds, 3))
    for combo in combos:
        try:
            want = kd.result_type(*combo)
        except ValueError:
            with pytest.raises(ValueError, match="promotion"):
                result_type(*combo)
            continue
        assert result_type(*combo) == want, combo


def _sample(dtype: str) -> np.ndarray | torch.Tensor:
    rng = np.random.default_rng(1)
    if dtype == "bool":
        return rng.random((2, 3)) > 0.5
    if dtype == "bfloat16":
        return torch.tensor(rng.random((2, 3)), dtype=torch.bfloat16)
    if "int" in dtype:
        return rng.integers(1, 4, (2, 3)).astype(dtype)
    return rng.random((2, 3)).astype(dtype)


DT = ["bool", "int8", "uint8", "int32", "int64", "float16", "bfloat16", "float32"]
UNARY = (
    "abs square sqrt exp log sin tanh sign negative floor round mean sum prod max "
    "argmax cumsum var std all any logical_not isnan"
).split()
BINARY = (
    "add subtract multiply divide floor_divide mod power maximum minimum equal "
    "less logical_and matmul where concatenate"
).split()
# Deliberate deviations from Keras's torch backend (see the report):
#   - a Python float keeps a float16/bfloat16 tensor's dtype (weak typing,
#     as `result_type` says), where Keras's torch backend lifts to float32;
#   - two tensors of one 64-bit dtype keep it in `matmul`/`maximum`.
SKIP = {("maximum", "int64", "int64"), ("minimum", "int64", "int64")}


@needs_keras
@pytest.mark.parametrize("name", UNARY)
def test_unary_dtypes_match_keras(name: str) -> None:
    for dtype in DT:
        x = _sample(dtype)
        try:
            want = getattr(KERAS.ops, name)(x)
        except Exception:  # noqa: BLE001 - Keras's torch backend refuses it
            continue
        got = getattr(ops, name)(x)
        assert got.dtype == want.dtype, (name, dtype, got.dtype, want.dtype)


def _binary(module: object, name: str, a: object, b: object) -> object:
    fn = getattr(module, name)
    if name == "where":
        return fn(np.array([[True, False, True]] * 2), a, b)
    if name == "concatenate":
        return fn([a, b], axis=0)
    if name == "matmul":
        return fn(
            a, torch.as_tensor(b).T if isinstance(b, torch.Tensor) else np.asarray(b).T
        )
    return fn(a, b)


@needs_keras
@pytest.mark.parametrize("name", BINARY)
def test_binary_dtypes_match_keras(name: str) -> None:
    for d1, d2 in itertools.product(DT, [*DT, "pyint", "pyfloat"]):
        if name == "matmul" and d2.startswith("py"):
            continue
        if (name, d1, d2) in SKIP:
            continue
        a = _sample(d1)
        b = 2 if d2 == "pyint" else 1.5 if d2 == "pyfloat" else _sample(d2)
        if d2 == "pyfloat" and d1 in ("float16", "bfloat16"):
            continue  # weak float typing, see above
        try:
            want = _binary(KERAS.ops, name, a, b)
        except Exception:  # noqa: BLE001
            continue
        got = _binary(ops, name, a, b)
        assert got.dtype == want.dtype, (name, d1, d2, got.dtype, want.dtype)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (lambda: ops.mean(np.arange(4, dtype="int32")), torch.float32),
        (lambda: ops.mean(np.ones(4, dtype="float16")), torch.float16),
        (lambda: ops.sum(np.ones(4, dtype="int8")), torch.int32),
        (lambda: ops.sum(np.ones(4, dtype="bool")), torch.int32),
        (lambda: ops.sum(np.ones(4, dtype="int32")), torch.int32),
        (lambda: ops.add(np.ones(2, "int32"), 1.0), torch.float32),
        (lambda: ops.add(np.ones(2, "int8"), 1), torch.int8),
        (lambda: ops.add(np.ones(2, "float16"), 2.0), torch.float16),
        (lambda: ops.divide(np.ones(2, "int32"), 2), torch.float32),
        (lambda: ops.sqrt(np.ones(2, "int32")), torch.float32),
        (lambda: ops.argmax(np.ones(3)), torch.int32),
        (lambda: ops.arange(3), torch.int32),
        (lambda: ops.arange(3.0), torch.float32),
        (lambda: ops.zeros(2), torch.float32),
        (lambda: ops.full((2,), 1), torch.float32),
        (lambda: ops.convert_to_tensor([1, 2]), torch.int32),
        (lambda: ops.convert_to_tensor(1.5), torch.float32),
        (
            lambda: ops.matmul(np.ones((2, 2), "int8"), np.ones((2, 2), "int8")),
            torch.int32,
        ),
        (lambda: ops.clip(np.ones(2, bool), 0, 1), torch.int32),
        (lambda: ops.abs(np.ones(2, bool)), torch.bool),
        (lambda: ops.where(np.ones(2, bool), np.ones(2, "int8"), 1.5), torch.float32),
        (
            lambda: ops.concatenate([np.ones(2, "int8"), np.ones(2, "float16")]),
            torch.float16,
        ),
    ],
)
def test_dtype_rules(fn: object, expected: torch.dtype) -> None:
    assert fn().dtype == expected  # type: ignore[operator]
