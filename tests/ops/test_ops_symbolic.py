"""Ops on KerasTensors: recorded as graph nodes, shapes inferred (None batch)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _ops_cases import real_keras

from cornu import ops
from cornu.core.keras_tensor import KerasTensor

KERAS = real_keras()

# (op, input specs, kwargs): an input spec is a (shape, dtype) pair that
# becomes a KerasTensor, anything else is passed as is.
N = None
CASES: list[tuple[str, tuple, dict]] = [
    ("add", (((N, 4), "float32"), ((N, 4), "float32")), {}),
    ("add", (((N, 4), "int32"), 1.5), {}),
    ("multiply", (((N, 1, 4), "float32"), ((3, 1), "float32")), {}),
    ("divide", (((N, 4), "int32"), 2), {}),
    ("greater", (((N, 4), "float32"), 0.0), {}),
    ("mean", (((N, 3, 4), "int32"),), {"axis": -1}),
    ("sum", (((N, 3, 4), "float32"),), {"axis": (1, 2), "keepdims": True}),
    ("max", (((N, 3), "float32"),), {"axis": 0}),
    ("argmax", (((N, 5), "float32"),), {"axis": -1}),
    ("var", (((N, 5), "float32"),), {}),
    ("sqrt", (((N, 2), "int32"),), {}),
    ("clip", (((N, 2), "float32"), 0.0, 1.0), {}),
    ("where", (((N, 4), "bool"), ((N, 4), "float32"), 0.0), {}),
    ("reshape", (((N, 3, 4), "float32"), (-1, 12)), {}),
    ("transpose", (((N, 3, 4), "float32"),), {"axes": (0, 2, 1)}),
    ("expand_dims", (((N, 3), "float32"), 1), {}),
    ("squeeze", (((N, 1, 3), "float32"),), {"axis": 1}),
    ("concatenate", ([((N, 3), "float32"), ((N, 2), "float32")],), {"axis": -1}),
    ("stack", ([((N, 3), "float32"), ((N, 3), "float32")],), {"axis": 1}),
    ("split", (((N, 6), "float32"), 3), {"axis": 1}),
    ("tile", (((N, 2), "float32"), (1, 3)), {}),
    ("repeat", (((N, 2), "float32"), 2), {"axis": 1}),
    ("take", (((5, 3), "float32"), ((N, 7), "int32")), {"axis": 0}),
    ("take_along_axis", (((N, 5), "float32"), ((N, 2), "int32")), {"axis": 1}),
    ("matmul", (((N, 3, 4), "float32"), ((4, 5), "float32")), {}),
    ("einsum", ("bij,jk->bik", ((N, 3, 4), "float32"), ((4, 5), "float32")), {}),
    ("tensordot", (((N, 3, 4), "float32"), ((4, 5), "float32")), {"axes": 1}),
    ("cumsum", (((N, 4), "float32"),), {"axis": 1}),
    ("sort", (((N, 4), "float32"),), {}),
    ("pad", (((N, 4), "float32"), ((0, 0), (1, 2))), {}),
    ("one_hot", (((N,), "int32"), 5), {}),
    ("relu", (((N, 4), "float32"),), {}),
    ("softmax", (((N, 4), "float32"),), {}),
    ("gelu", (((N, 4), "float32"),), {}),
    (
        "conv",
        (((N, 8, 8, 3), "float32"), ((3, 3, 3, 4), "float32")),
        {"strides": 2, "padding": "same"},
    ),
    (
        "conv_transpose",
        (((N, 4, 4, 3), "float32"), ((3, 3, 5, 3), "float32")),
        {"strides": 2, "padding": "same"},
    ),
    ("depthwise_conv", (((N, 8, 3), "float32"), ((3, 3, 2), "float32")), {}),
    ("max_pool", (((N, 8, 8, 3), "float32"), 2), {}),
    ("average_pool", (((N, 7, 3), "float32"), 3), {"strides": 2, "padding": "same"}),
    ("sparse_categorical_crossentropy", (((N,), "int32"), ((N, 5), "float32")), {}),
    ("binary_crossentropy", (((N, 2), "float32"), ((N, 2), "float32")), {}),
    ("moments", (((N, 4, 3), "float32"), (0, 1)), {}),
    ("layer_normalization", (((N, 4), "float32"),), {}),
    (
        "dot_product_attention",
        (
            ((N, 5, 2, 8), "float32"),
            ((N, 6, 2, 8), "float32"),
            ((N, 6, 2, 8), "float32"),
        ),
        {},
    ),
    ("top_k", (((N, 6), "float32"), 2), {}),
    ("logsumexp", (((N, 6), "float32"),), {"axis": -1}),
    ("segment_sum", (((N, 3), "float32"), ((N,), "int32")), {"num_segments": 4}),
    ("stft", (((N, 64), "float32"), 8, 4, 8), {}),
    ("norm", (((N, 6), "float32"),), {"axis": -1}),
    ("inv", (((N, 3, 3), "float32"),), {}),
    ("cast", (((N, 3), "float32"), "int32"), {}),
    ("saturate_cast", (((N, 3), "float32"), "uint8"), {}),
    ("slice", (((N, 5), "float32"), (0, 1), (2, 3)), {}),
    ("rearrange", (((N, 6, 4), "float32"), "b h w -> b w h"), {}),
]


def _make(spec: Any, batch: int | None) -> Any:
    """A KerasTensor (batch None) or a numpy array (batch given) for a spec."""
    if isinstance(spec, list):
        return [_make(s, batch) for s in spec]
    if (
        isinstance(spec, tuple)
        and len(spec) == 2
        and isinstance(spec[1], str)
        and (isinstance(spec[0], tuple))
    ):
        shape, dtype = spec
        if batch is None:
            return KerasTensor(shape, dtype=dtype)
        concrete = tuple(batch if d is None else d for d in shape)
        if dtype == "bool":
            return np.ones(concrete, bool)
        if "int" in dtype:
            return np.ones(concrete, dtype)  # valid indices/labels/segment ids
        return np.random.default_rng(0).random(concrete).astype(dtype)
    return spec


def _flat(x: Any) -> list:
    return [y for v in x for y in _flat(v)] if isinstance(x, (list, tuple)) else [x]


@pytest.mark.parametrize(("name", "specs", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_symbolic_shapes_match_eager(name: str, specs: tuple, kwargs: dict) -> None:
    fn = getattr(ops, name)
    sym = _flat(fn(*[_make(s, None) for s in specs], **kwargs))
    eager = _flat(fn(*[_make(s, 3) for s in specs], **kwargs))
    assert len(sym) == len(eager)
    for s, e in zip(sym, eager):
        assert isinstance(s, KerasTensor)
        assert s._keras_history is not None  # recorded as a graph node
        assert s.dtype == str(e.dtype).replace("torch.", "")
        # The batch-dependent sizes are None, the others match.
        assert len(s.shape) == e.ndim
        for ds, de in zip(s.shape, e.shape):
            assert ds is None or ds == de, (s.shape, tuple(e.shape))
    if KERAS is not None and name not in {"slice", "rearrange", "saturate_cast"}:
        kspecs = [_keras_make(s) for s in specs]
        want = _flat(getattr(KERAS.ops, name)(*kspecs, **kwargs))
        for s, w in zip(sym, want):
            assert tuple(s.shape) == tuple(w.shape), (s.shape, w.shape)


def _keras_make(spec: Any) -> Any:
    if isinstance(spec, list):
        return [_keras_make(s) for s in spec]
    if (
        isinstance(spec, tuple)
        and len(spec) == 2
        and isinstance(spec[1], str)
        and (isinstance(spec[0], tuple))
    ):
        return KERAS.KerasTensor(spec[0], dtype=spec[1])
    return spec


def test_operation_is_named_like_keras() -> None:
    x = KerasTensor((None, 4))
    y = ops.mean(x + 1.0, axis=1)
    op = y._keras_history[0]
    assert op.class_name == "Mean"
    assert op.get_config()["axis"] == 1
    assert ops.relu(x)._keras_history[0].class_name == "Relu"
    assert ops.concatenate([x, x])._keras_history[0].class_name == "Concatenate"
    assert ops.nn.conv.__keras_op__ == "Conv"  # type: ignore[attr-defined]
    # The recorded operation recomputes on real tensors.
    out = op(np.ones((2, 4), "float32") + 1.0)
    assert tuple(out.shape) == (2,)


def test_keras_tensor_operators() -> None:
    x = KerasTensor((None, 3), dtype="float32")
    for y in (
        x + 1,
        2 * x,
        x - x,
        x / 2,
        x // 2,
        x % 2,
        x**2,
        -x,
        abs(x),
        x @ ops.ones((3, 2)),
        x < 0,
        x >= 1,
        (x > 0) & (x < 1),
        ~(x > 0),
        x.reshape((-1,)),
        x[:, 1],
    ):
        assert isinstance(y, KerasTensor)
