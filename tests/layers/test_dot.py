"""Dot: harness, NumPy and Keras references, cosine similarity, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.merging.dot import Dot, dot

CASES = [
    # axes, shape1, shape2, expected output shape
    (1, (2, 3), (2, 3), (2, 1)),
    (-1, (2, 4, 3), (2, 5, 3), (2, 4, 5)),
    ((1, 2), (2, 3, 5), (2, 10, 3), (2, 5, 10)),
    ((2, 1), (2, 4, 3), (2, 3), (2, 4)),
    ((1, 1), (2, 3), (2, 3, 6, 2), (2, 6, 2)),
]


@pytest.mark.parametrize(("axes", "s1", "s2", "expected"), CASES)
def test_harness(
    layer_test: Any, axes: Any, s1: tuple, s2: tuple, expected: tuple
) -> None:
    layer_test(
        Dot,
        {"axes": axes},
        input_shape=[s1, s2],
        expected_output_shape=expected,
        expected_num_trainable_weights=0,
    )


@pytest.mark.parametrize(("axes", "s1", "s2", "expected"), CASES)
@pytest.mark.parametrize("normalize", [False, True])
def test_matches_keras(
    keras_oracle: Any,
    axes: Any,
    s1: tuple,
    s2: tuple,
    expected: tuple,
    normalize: bool,
) -> None:
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal(s).astype("float32") for s in (s1, s2))
    ours = Dot(axes, normalize=normalize)([torch.from_numpy(x), torch.from_numpy(y)])
    ref = keras_oracle.layers.Dot(axes, normalize=normalize)([x, y])
    assert tuple(ours.shape) == tuple(ref.shape) == expected
    np.testing.assert_allclose(
        ours.numpy(), np.asarray(ref.cpu()), atol=1e-5, rtol=1e-5
    )
    symbolic = Dot(axes, normalize=normalize)(
        [keras.Input(s1[1:]), keras.Input(s2[1:])]
    )
    assert symbolic.shape == (None, *expected[1:])


def test_against_numpy_and_gradients() -> None:
    x = torch.randn(2, 3, 5, requires_grad=True)
    y = torch.randn(2, 10, 3, requires_grad=True)
    out = Dot(axes=(1, 2))([x, y])
    expected = np.einsum("bzi,bjz->bij", x.detach().numpy(), y.detach().numpy())
    np.testing.assert_allclose(out.detach().numpy(), expected, atol=1e-5, rtol=1e-5)
    out.sum().backward()
    x_ref = x.detach().clone().requires_grad_(True)
    y_ref = y.detach().clone().requires_grad_(True)
    torch.einsum("bzi,bjz->bij", x_ref, y_ref).sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(y.grad, y_ref.grad, atol=1e-5, rtol=1e-5)


def test_normalize_is_cosine_similarity() -> None:
    a, b = torch.randn(4, 6), torch.randn(4, 6)
    out = dot([a, b], axes=1, normalize=True)
    torch.testing.assert_close(out[:, 0], torch.nn.functional.cosine_similarity(a, b))


def test_no_output_mask() -> None:
    a = torch.ones(1, 2, 3)
    a._keras_mask = torch.tensor([[True, False]])
    assert getattr(Dot(axes=-1)([a, a]), "_keras_mask", None) is None


def test_errors() -> None:
    with pytest.raises(
        ValueError,
        match=r'Layer "dt" \(Dot\) with axes=1 expects equal sizes on axes \(1, 1\) '
        r"\(here 3 != 4\), received shapes \(2, 3\) and \(2, 4\)",
    ):
        Dot(axes=1, name="dt")([torch.zeros(2, 3), torch.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"expects axes other than the batch axis 0"):
        Dot(axes=0)([keras.Input((3,)), keras.Input((3,))])
    with pytest.raises(ValueError, match=r"expects inputs of rank >= 2"):
        Dot(axes=-1)([torch.zeros(3), torch.zeros(3)])
    with pytest.raises(ValueError, match=r"\(Dot\) expects exactly 2 input\(s\)"):
        Dot(axes=1)([torch.zeros(2, 3)] * 3)
    for bad in ["1", (1, 2, 3), (1.0, 2)]:
        with pytest.raises(
            ValueError, match=r"Dot `axes` must be an int or a pair of ints"
        ):
            Dot(axes=bad)  # type: ignore[arg-type]
