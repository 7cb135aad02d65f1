"""Attention layers' weight files interchange with real Keras."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu.layers.attention.additive_attention import AdditiveAttention
from cornu.layers.attention.attention import Attention
from cornu.layers.attention.grouped_query_attention import GroupQueryAttention
from cornu.layers.attention.multi_head_attention import MultiHeadAttention

# Keras's own weight saving trips a NumPy 2 deprecation on its torch backend.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation:DeprecationWarning"
)

OURS = {
    "MultiHeadAttention": MultiHeadAttention,
    "GroupQueryAttention": GroupQueryAttention,
    "AdditiveAttention": AdditiveAttention,
    "Attention": Attention,
}


def _model(api: Any, layers: Any, scalars: bool = False) -> Any:
    q, v = api.Input((3, 4)), api.Input((5, 4))
    outputs = [
        layers["MultiHeadAttention"](2, 3, value_dim=2, use_gate=True)(q, v),
        layers["GroupQueryAttention"](2, 4, 2)(q, v),
        layers["AdditiveAttention"]()([q, v]),
        layers["Attention"](
            use_scale=scalars, score_mode="concat" if scalars else "dot"
        )([q, v]),
    ]
    return api.Model([q, v], outputs)


def _round_trip(keras_oracle: Any, tmp_path: Path, scalars: bool) -> None:
    ours = _model(cornu, OURS, scalars)
    theirs = _model(
        keras_oracle, {n: getattr(keras_oracle.layers, n) for n in OURS}, scalars
    )
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s).astype("float32") for s in [(2, 3, 4), (2, 5, 4)]]

    def check() -> None:
        for got, want in zip(ours(data), theirs(data)):
            np.testing.assert_allclose(
                got.detach().numpy(), want.detach().numpy(), atol=1e-5, rtol=1e-5
            )

    with torch.no_grad():
        for w in ours.weights:
            w.copy_(torch.randn_like(w) * 0.5)
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.load_weights(tmp_path / "ours.weights.h5")
    check()
    theirs.set_weights([w.value.detach().numpy() * 0.5 for w in theirs.weights])
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.load_weights(tmp_path / "theirs.weights.h5")
    check()


def test_weights_cornu_to_keras_and_back(keras_oracle: Any, tmp_path: Path) -> None:
    _round_trip(keras_oracle, tmp_path, scalars=False)


def test_scalar_weights_round_trip(keras_oracle: Any, tmp_path: Path) -> None:
    _round_trip(keras_oracle, tmp_path, scalars=True)
