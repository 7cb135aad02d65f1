"""`.keras` files with the core layers interchange with real Keras 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu import saving
from cornu.layers.activations.prelu import PReLU
from cornu.layers.activations.softmax import Softmax
from cornu.layers.core.dense import Dense
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.core.embedding import Embedding
from cornu.layers.merging.add import Add
from cornu.layers.merging.concatenate import Concatenate
from cornu.layers.normalization.batch_normalization import BatchNormalization
from cornu.layers.normalization.layer_normalization import LayerNormalization
from cornu.layers.regularization.dropout import Dropout
from cornu.layers.reshaping.flatten import Flatten


def _model() -> Any:
    tokens = cornu.Input((6,), dtype="int32")
    feats = cornu.Input((6, 4))
    x = Add()([Embedding(20, 4)(tokens), feats])
    x = EinsumDense("abc,cd->abd", (None, 5), bias_axes="d")(x)
    x = BatchNormalization()(x)
    x = LayerNormalization(gamma_initializer="random_uniform")(x)
    x = PReLU(alpha_initializer="random_uniform")(x)
    x = Dropout(0.3)(x)
    x = Flatten()(Concatenate()([x, feats]))
    return cornu.Model([tokens, feats], Softmax()(Dense(3)(x)))


# Keras's own saving code trips numpy's `__array__` deprecation on torch.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
def test_round_trip_through_keras(keras_oracle: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 20, (4, 6)).astype("int32")
    feats = rng.standard_normal((4, 6, 4)).astype("float32")
    inputs = [torch.from_numpy(tokens), torch.from_numpy(feats)]
    model = _model()
    model(inputs, training=True)  # moves the batch-norm statistics
    expected = model(inputs).detach().numpy()
    saving.save_model(model, tmp_path / "cornu.keras")

    ref = keras_oracle.saving.load_model(tmp_path / "cornu.keras")
    got = np.asarray(ref([tokens, feats]).detach().cpu())
    np.testing.assert_allclose(got, expected, atol=1e-6)
    ref.save(tmp_path / "keras.keras")

    back = saving.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(back(inputs).detach().numpy(), expected, atol=1e-6)
    bn = next(layer for layer in back.layers if isinstance(layer, BatchNormalization))
    original = next(
        layer for layer in model.layers if isinstance(layer, BatchNormalization)
    )
    torch.testing.assert_close(bn.moving_variance, original.moving_variance)
