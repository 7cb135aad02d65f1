"""Flatten, Reshape, Permute, RepeatVector: harness, NumPy references, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.reshaping.flatten import Flatten
from cornu.layers.reshaping.permute import Permute
from cornu.layers.reshaping.repeat_vector import RepeatVector
from cornu.layers.reshaping.reshape import Reshape

X = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape", "expected"),
    [
        (Flatten, {}, (2, 3, 4), (2, 12)),
        (Flatten, {"data_format": "channels_first"}, (2, 3, 4, 5), (2, 60)),
        (Reshape, {"target_shape": (4, 3)}, (2, 12), (2, 4, 3)),
        (Reshape, {"target_shape": (-1, 2)}, (2, 3, 4), (2, 6, 2)),
        (Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
        (RepeatVector, {"n": 3}, (2, 4), (2, 3, 4)),
    ],
)
def test_harness(
    layer_test: Any, cls: type, kwargs: dict[str, Any], shape: tuple, expected: tuple
) -> None:
    layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=expected,
        expected_num_trainable_weights=0,
    )


def test_flatten_against_numpy() -> None:
    x = torch.from_numpy(X)
    np.testing.assert_array_equal(Flatten()(x).numpy(), X.reshape(2, -1))
    channels_first = Flatten(data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(
        channels_first, X.transpose(0, 2, 3, 1).reshape(2, -1)
    )
    assert Flatten()(torch.ones(3)).shape == (3, 1)
    assert Flatten()(torch.ones(0, 3, 4)).shape == (0, 12)


def test_flatten_matches_keras_channels_first(keras_oracle: Any) -> None:
    ref = keras_oracle.layers.Flatten(data_format="channels_first")(X)
    ours = Flatten(data_format="channels_first")(torch.from_numpy(X))
    np.testing.assert_array_equal(ours.numpy(), np.asarray(ref.cpu()))


def test_symbolic_shapes_keep_unknown_sizes_and_dtype() -> None:
    x = keras.Input((None, 4), dtype="int32")
    assert Flatten()(x).shape == (None, None)
    out = Reshape((-1, 2))(x)
    assert out.shape == (None, None, 2) and out.dtype == "int32"
    assert Permute((2, 1))(x).shape == (None, 4, None)
    assert Permute((2, 1))(x).dtype == "int32"
    assert RepeatVector(3)(keras.Input((4,), dtype="int32")).dtype == "int32"
    assert Flatten()(keras.Input((3, 4), dtype="int32")).dtype == "int32"


def test_reshape_and_permute_against_numpy() -> None:
    x = torch.from_numpy(X)
    np.testing.assert_array_equal(Reshape((-1, 10))(x).numpy(), X.reshape(2, -1, 10))
    np.testing.assert_array_equal(
        Permute((3, 1, 2))(x).numpy(), X.transpose(0, 3, 1, 2)
    )
    np.testing.assert_array_equal(
        RepeatVector(2)(torch.from_numpy(X[:, :, 0, 0])).numpy(),
        np.repeat(X[:, None, :, 0, 0], 2, axis=1),
    )


def test_reshape_incompatible_sizes() -> None:
    layer = Reshape((5, 5), name="rs")
    with pytest.raises(
        ValueError,
        match=r'Layer "rs" \(Reshape\) cannot reshape inputs of shape \(2, 12\) '
        r"\(12 elements per sample\) to target_shape=\(5, 5\)",
    ):
        layer(torch.zeros(2, 12))
    with pytest.raises(ValueError, match=r"cannot reshape inputs of shape \(None, 7\)"):
        Reshape((-1, 2))(keras.Input((7,)))


@pytest.mark.parametrize("target", [(0, 3), (-1, -1), (2.0, 3), (-2, 3)])
def test_reshape_bad_target(target: tuple) -> None:
    with pytest.raises(ValueError, match=r"Reshape `target_shape` must hold positive"):
        Reshape(target)


@pytest.mark.parametrize("dims", [(0, 1), (1, 3), (1, 1)])
def test_permute_bad_dims(dims: tuple) -> None:
    with pytest.raises(
        ValueError, match=r"Permute `dims` must be a permutation of 1..n"
    ):
        Permute(dims)


def test_permute_wrong_rank() -> None:
    with pytest.raises(
        ValueError, match=r'Layer "pm" \(Permute\) expects inputs with ndim=3'
    ):
        Permute((2, 1), name="pm")(torch.zeros(2, 3))


@pytest.mark.parametrize("n", [0, -2, 1.5, True])
def test_repeat_vector_bad_n(n: Any) -> None:
    with pytest.raises(ValueError, match=r"RepeatVector `n` must be a positive int"):
        RepeatVector(n)


def test_repeat_vector_wrong_rank() -> None:
    with pytest.raises(
        ValueError, match=r"\(RepeatVector\) expects inputs with ndim=2"
    ):
        RepeatVector(2)(torch.zeros(2, 3, 4))


def test_flatten_bad_data_format() -> None:
    with pytest.raises(ValueError, match=r"`data_format` must be 'channels_first'"):
        Flatten(data_format="nchw")
