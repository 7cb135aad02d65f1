"""Attention and AdditiveAttention: the harness, numerics against real Keras
(masks, causal, scores, concat scores), dropout and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.attention.additive_attention import AdditiveAttention
from cornu.layers.attention.attention import Attention
from cornu.layers.core.embedding import Embedding

TOL = {"atol": 1e-5, "rtol": 1e-5}
Q_MASK = torch.tensor([[True, True, False], [True, True, True]])
V_MASK = torch.tensor(
    [[True, True, True, False, False], [True, False, False, False, False]]
)


def _qv(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((2, 3, 4)).astype("float32"),
        rng.standard_normal((2, 5, 4)).astype("float32"),
    ]


@pytest.mark.parametrize(
    ("cls", "kwargs", "n_weights"),
    [
        (Attention, {}, 0),
        (Attention, {"use_scale": True, "score_mode": "concat"}, 2),
        (AdditiveAttention, {}, 1),
        (AdditiveAttention, {"use_scale": False, "dropout": 0.1}, 0),
    ],
)
def test_harness(layer_test: Any, cls: type, kwargs: dict, n_weights: int) -> None:
    layer_test(
        cls,
        kwargs,
        input_shape=[(2, 3, 4), (2, 5, 4)],
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=n_weights,
        supports_masking=True,
        run_training_check=n_weights > 0,
    )


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (Attention, {}),
        (Attention, {"use_scale": True}),
        (Attention, {"use_scale": True, "score_mode": "concat"}),
        (AdditiveAttention, {}),
    ],
)
@pytest.mark.parametrize(
    "call",
    [{}, {"use_causal_mask": True}, {"return_attention_scores": True}],
)
@pytest.mark.parametrize("masked", [False, True])
def test_matches_keras(
    keras_oracle: Any, cls: type, kwargs: dict, call: dict, masked: bool
) -> None:
    ours = cls(**kwargs)
    theirs = getattr(keras_oracle.layers, cls.__name__)(**kwargs)
    inputs = _qv()
    ours(inputs)
    theirs(inputs)
    rng = np.random.default_rng(1)
    weights = [
        rng.standard_normal(w.shape).astype("float32") for w in ours.get_weights()
    ]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    if masked:
        call = {**call, "mask": [Q_MASK, V_MASK]}
    got, want = ours(inputs, **call), theirs(inputs, **call)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), **TOL)


def test_key_input_and_gradients() -> None:
    # The fused path (SDPA) and the explicit one (scores returned) agree,
    # forward and backward, with a separate key.
    q, v = (torch.tensor(a, requires_grad=True) for a in _qv())
    k = torch.randn(2, 5, 4, requires_grad=True)
    layer = Attention(use_scale=True)
    fused = layer([q, v, k], mask=[Q_MASK, V_MASK])
    explicit, weights = layer(
        [q, v, k], mask=[Q_MASK, V_MASK], return_attention_scores=True
    )
    torch.testing.assert_close(fused, explicit, **TOL)
    assert tuple(weights.shape) == (2, 3, 5) and weights[1, :, 1:].abs().sum() == 0
    g = torch.randn_like(fused)
    grads = torch.autograd.grad(fused, [q, v, k, layer.scale], g)
    expected = torch.autograd.grad(explicit, [q, v, k, layer.scale], g)
    for a, b in zip(grads, expected):
        torch.testing.assert_close(a, b, **TOL)


def test_masks_from_the_inputs_in_a_model() -> None:
    ids_q, ids_v = (
        keras.Input((None,), dtype="int64"),
        keras.Input((None,), dtype="int64"),
    )
    emb = Embedding(10, 4, mask_zero=True)
    out = Attention()([emb(ids_q), emb(ids_v)])
    model = keras.Model([ids_q, ids_v], out)
    q = torch.tensor([[1, 2, 0], [3, 4, 5]])
    v = torch.tensor([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0]])
    got = model([q, v])
    want = Attention()([emb(q), emb(v)], mask=[q != 0, v != 0])
    torch.testing.assert_close(got, want)
    assert got[0, 2].abs().sum() == 0  # a masked query step outputs zeros


def test_dropout_only_in_training() -> None:
    layer = Attention(dropout=0.5, seed=1)
    inputs = _qv()
    torch.testing.assert_close(layer(inputs), Attention()(inputs))
    _, weights = layer(inputs, training=True, return_attention_scores=True)
    assert bool((weights == 0).any())


def test_symbolic_scores_shape() -> None:
    q, v = keras.Input((3, 4)), keras.Input((5, 4))
    out, scores = AdditiveAttention()([q, v], return_attention_scores=True)
    assert out.shape == (None, 3, 4) and scores.shape == (None, 3, 5)


def test_errors() -> None:
    with pytest.raises(ValueError, match="`score_mode` must be 'dot' or 'concat'"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"`dropout` must be a number in \[0, 1\]"):
        Attention(dropout=2)
    with pytest.raises(ValueError, match="expects a list of inputs"):
        Attention()(np.ones((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="expects 2 or 3 inputs"):
        Attention()([np.ones((2, 3, 4), "float32")] * 4)
    with pytest.raises(ValueError, match="expects `mask` as a list"):
        Attention()(_qv(), mask=Q_MASK)
