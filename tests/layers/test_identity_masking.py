"""Identity and Masking: harness, pass-through, masks against NumPy and Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import cornu as keras
from cornu.layers.core.embedding import Embedding
from cornu.layers.core.identity import Identity
from cornu.layers.core.masking import Masking


def test_identity_harness(layer_test: Any) -> None:
    out = layer_test(
        Identity,
        {},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )
    assert out.shape == (2, 3)


def test_identity_keeps_structure_dtype_and_mask() -> None:
    x = torch.tensor([[1, 0, 2]])
    emb = Embedding(3, 2, mask_zero=True)(x)
    y = Identity()(emb)
    assert y is emb and y._keras_mask.tolist() == [[True, False, True]]
    out = Identity()([keras.Input((3,), dtype="int32"), keras.Input((2,))])
    assert [t.shape for t in out] == [(None, 3), (None, 2)]
    assert [t.dtype for t in out] == ["int32", "float32"]


def test_masking_harness(layer_test: Any) -> None:
    layer_test(
        Masking,
        {"mask_value": 0.0},
        input_shape=(2, 4, 3),
        expected_output_shape=(2, 4, 3),
        supports_masking=True,
    )


def test_masking_against_numpy() -> None:
    x = np.random.default_rng(0).standard_normal((3, 5, 2)).astype("float32")
    x[0, 1] = -1.0
    x[2, 4] = -1.0
    x[1, 2, 0] = -1.0  # only one feature equal: kept
    y = Masking(mask_value=-1.0)(torch.from_numpy(x))
    keep = np.any(x != -1.0, axis=-1)
    np.testing.assert_array_equal(y._keras_mask.numpy(), keep)
    np.testing.assert_array_equal(y.numpy(), x * keep[..., None])
    np.testing.assert_array_equal(
        Masking(-1.0).compute_mask(torch.from_numpy(x)).numpy(), keep
    )


def test_masking_mask_reaches_next_layer() -> None:
    seen = {}

    class Probe(keras.Layer):
        def call(self, inputs: Any, mask: Any = None) -> Any:
            seen["mask"] = mask
            return inputs

    x = torch.zeros(1, 3, 2)
    x[0, 0] = 1.0
    Probe()(Masking()(x))
    assert seen["mask"].tolist() == [[True, False, False]]


def test_masking_config_matches_keras(keras_oracle: Any) -> None:
    ours = Masking(mask_value=2.5).get_config()
    ref = keras_oracle.layers.Masking(mask_value=2.5).get_config()
    ours.pop("name")
    ref.pop("name")
    assert ours == ref
