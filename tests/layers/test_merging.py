"""Elementwise merges and Concatenate: harness, NumPy references, masks
against Keras, shape errors, functional forms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.merging.add import Add, add
from cornu.layers.merging.average import Average, average
from cornu.layers.merging.concatenate import Concatenate, concatenate
from cornu.layers.merging.maximum import Maximum, maximum
from cornu.layers.merging.minimum import Minimum, minimum
from cornu.layers.merging.multiply import Multiply, multiply
from cornu.layers.merging.subtract import Subtract, subtract

ELEMENTWISE = [
    (Add, add, lambda xs: sum(xs)),
    (Subtract, subtract, lambda xs: xs[0] - xs[1]),
    (Multiply, multiply, lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0)),
    (Average, average, lambda xs: sum(xs) / len(xs)),
    (Maximum, maximum, lambda xs: np.maximum(*xs)),
    (Minimum, minimum, lambda xs: np.minimum(*xs)),
]


@pytest.mark.parametrize(("cls", "fn", "ref"), ELEMENTWISE)
def test_harness(layer_test: Any, cls: type, fn: Any, ref: Any) -> None:
    layer_test(
        cls,
        {},
        input_shape=[(2, 3, 4), (2, 3, 4)],
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )


def test_concatenate_harness(layer_test: Any) -> None:
    layer_test(
        Concatenate,
        {"axis": 1},
        input_shape=[(2, 3, 4), (2, 5, 4)],
        expected_output_shape=(2, 8, 4),
        supports_masking=True,
    )


@pytest.mark.parametrize(("cls", "fn", "ref"), ELEMENTWISE)
def test_against_numpy_with_broadcasting(cls: type, fn: Any, ref: Any) -> None:
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype("float32") for s in [(2, 3, 4), (2, 1, 4)]]
    ts = [torch.from_numpy(x).requires_grad_(True) for x in xs]
    y = cls()(ts)
    np.testing.assert_allclose(y.detach().numpy(), ref(xs), atol=1e-6, rtol=1e-6)
    y.sum().backward()
    assert all(t.grad is not None and t.grad.shape == t.shape for t in ts)
    # The functional form computes the same.
    np.testing.assert_allclose(fn(ts).detach().numpy(), ref(xs), atol=1e-6, rtol=1e-6)


def test_lower_rank_inputs_get_axes_after_batch() -> None:
    # As Keras: a (B, 4) input is treated as (B, 1, 4) next to a (B, 3, 4) one.
    a, b = torch.randn(2, 4), torch.randn(2, 3, 4)
    torch.testing.assert_close(Add()([a, b]), a[:, None, :] + b)
    assert Add()([keras.Input((4,)), keras.Input((3, 4))]).shape == (None, 3, 4)


def test_concatenate_against_numpy_and_keras_shapes(keras_oracle: Any) -> None:
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype("float32") for s in [(2, 3, 4), (2, 3, 1)]]
    y = Concatenate()([torch.from_numpy(x) for x in xs])
    np.testing.assert_array_equal(y.numpy(), np.concatenate(xs, axis=-1))
    ins = [keras.Input((None, 4)), keras.Input((3, 2))]
    assert Concatenate()(ins).shape == (None, 3, 6)
    ref = keras_oracle.layers.Concatenate()(
        [keras_oracle.Input((None, 4)), keras_oracle.Input((3, 2))]
    )
    assert ref.shape[2] == 6
    assert concatenate([torch.ones(1, 2), torch.ones(3, 2)], axis=0).shape == (4, 2)


def _masked(x: np.ndarray, mask: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(x)
    t._keras_mask = torch.from_numpy(mask)
    return t


@pytest.mark.parametrize("name", ["Add", "Multiply", "Maximum", "Minimum", "Average"])
def test_masks_match_keras(keras_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(4)
    xs = [rng.standard_normal((2, 5, 3)).astype("float32") for _ in range(3)]
    masks = [rng.random((2, 5)) > 0.4 for _ in range(3)]
    ours = {
        "Add": Add,
        "Multiply": Multiply,
        "Maximum": Maximum,
        "Minimum": Minimum,
        "Average": Average,
    }[name]
    y = ours()([_masked(x, m) for x, m in zip(xs, masks)])
    y_ref = getattr(keras_oracle.layers, name)()(
        [_masked(x, m) for x, m in zip(xs, masks)]
    )
    np.testing.assert_allclose(y.numpy(), y_ref.numpy(), atol=1e-6)
    np.testing.assert_array_equal(y._keras_mask.numpy(), np.logical_or.reduce(masks))


def test_output_mask_needs_every_input_masked() -> None:
    a = _masked(np.ones((1, 2, 3), "float32"), np.array([[True, False]]))
    b = torch.ones(1, 2, 3)
    assert getattr(Add()([a, b]), "_keras_mask", None) is None


def test_concatenate_mask_matches_keras(keras_oracle: Any) -> None:
    rng = np.random.default_rng(5)
    a = _masked(
        rng.standard_normal((2, 4, 3)).astype("float32"), rng.random((2, 4)) > 0.5
    )
    b = torch.from_numpy(rng.standard_normal((2, 4, 2)).astype("float32"))
    y = Concatenate()([a, b])
    ref = keras_oracle.layers.Concatenate()([a, b])
    np.testing.assert_array_equal(y._keras_mask.numpy(), ref._keras_mask.numpy())
    y1 = Concatenate(axis=1)(
        [a, _masked(b.numpy()[..., :1].repeat(3, -1), np.ones((2, 4), bool))]
    )
    ref1 = keras_oracle.layers.Concatenate(axis=1)(
        [a, _masked(b.numpy()[..., :1].repeat(3, -1), np.ones((2, 4), bool))]
    )
    np.testing.assert_array_equal(y1._keras_mask.numpy(), ref1._keras_mask.numpy())


def test_functional_forms_build_graphs() -> None:
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], [add([a, b]), subtract([a, b]), maximum([a, b])])
    x1, x2 = torch.randn(2, 3), torch.randn(2, 3)
    s, d, m = model([x1, x2])
    torch.testing.assert_close(s, x1 + x2)
    torch.testing.assert_close(d, x1 - x2)
    torch.testing.assert_close(m, torch.maximum(x1, x2))
    assert add([a, b], name="my_add")._keras_history[0].name == "my_add"


def test_incompatible_shapes() -> None:
    with pytest.raises(
        ValueError,
        match=r'Layer "add_bad" \(Add\) expects inputs with equal or broadcastable '
        r"shapes, received shapes \(3, 4\) and \(3, 5\)",
    ):
        Add(name="add_bad")([torch.zeros(2, 3, 4), torch.zeros(2, 3, 5)])
    with pytest.raises(ValueError, match=r"received shapes \(4,\) and \(5,\)"):
        Multiply()([keras.Input((4,)), keras.Input((5,))])


def test_not_a_list_and_input_counts() -> None:
    with pytest.raises(
        ValueError,
        match=r'Layer "add_one" \(Add\) expects a list of input tensors, received',
    ):
        Add(name="add_one")(torch.zeros(2, 3))
    with pytest.raises(
        ValueError, match=r"\(Subtract\) expects exactly 2 input\(s\), received 3"
    ):
        Subtract()([torch.zeros(1, 2)] * 3)
    with pytest.raises(ValueError, match=r"expects inputs with the same batch size"):
        Add()([torch.zeros(2, 3), torch.zeros(3, 3)])


def test_concatenate_mismatch() -> None:
    with pytest.raises(
        ValueError,
        match=r'Layer "cat" \(Concatenate\) expects inputs of the same rank with matching '
        r"sizes except on the concatenation axis -1, received shapes "
        r"\[\(2, 3, 4\), \(2, 5, 4\)\]",
    ):
        Concatenate(name="cat")([torch.zeros(2, 3, 4), torch.zeros(2, 5, 4)])
    with pytest.raises(ValueError, match=r"same rank"):
        Concatenate()([keras.Input((3, 4)), keras.Input((4,))])
    with pytest.raises(ValueError, match=r"Concatenate `axis` must be an int"):
        Concatenate(axis="last")  # type: ignore[arg-type]
