"""MultiHeadAttention and GroupQueryAttention: the harness, weights and
numerics against real Keras (masks, causal, scores, attention axes), the
fused and einsum paths equal, and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.attention.grouped_query_attention import GroupQueryAttention
from cornu.layers.attention.multi_head_attention import MultiHeadAttention

TOL = {"atol": 1e-5, "rtol": 1e-5}
RNG = np.random.default_rng(0)
QUERY = RNG.standard_normal((2, 3, 5)).astype("float32")
VALUE = RNG.standard_normal((2, 4, 5)).astype("float32")
ATTENTION_MASK = torch.tensor(RNG.random((2, 3, 4)) > 0.3)
Q_MASK = torch.tensor([[True, True, False], [True, True, True]])
V_MASK = torch.tensor([[True, True, True, False], [True, False, False, False]])


def _copy_to_keras(keras_oracle: Any, ours: Any, kcls: str, init: dict) -> Any:
    theirs = getattr(keras_oracle.layers, kcls)(**init)
    ours(QUERY, VALUE)
    theirs(QUERY, VALUE)
    rng = np.random.default_rng(1)
    weights = [
        rng.standard_normal(w.shape).astype("float32") * 0.5 for w in ours.get_weights()
    ]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return theirs


def _assert_same(got: Any, want: Any) -> None:
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), **TOL)


@pytest.mark.parametrize(
    ("cls", "init", "n_weights"),
    [
        (MultiHeadAttention, {"num_heads": 2, "key_dim": 3}, 8),
        (
            MultiHeadAttention,
            {"num_heads": 2, "key_dim": 3, "use_bias": False, "output_shape": 7},
            4,
        ),
        (
            GroupQueryAttention,
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
            8,
        ),
    ],
)
def test_harness(layer_test: Any, cls: type, init: dict, n_weights: int) -> None:
    out_dim = init.get("output_shape", 5)
    layer_test(
        cls,
        init,
        input_shape=(2, 3, 5),
        call_kwargs={"value": torch.tensor(VALUE)},
        expected_output_shape=(2, 3, out_dim),
        expected_num_trainable_weights=n_weights,
        supports_masking=True,
    )


def test_weight_names_and_shapes_follow_keras(keras_oracle: Any) -> None:
    for ours, kcls, init in [
        (
            MultiHeadAttention(2, 3, value_dim=4),
            "MultiHeadAttention",
            {"num_heads": 2, "key_dim": 3, "value_dim": 4},
        ),
        (
            GroupQueryAttention(3, 4, 2),
            "GroupQueryAttention",
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
        ),
    ]:
        theirs = _copy_to_keras(keras_oracle, ours, kcls, init)
        assert [tuple(w.shape) for w in ours.weights] == [
            tuple(w.shape) for w in theirs.weights
        ]
        # Paths nest under the layer's own name, as Keras's do (the names
        # themselves differ by their uniquifying suffix).
        assert [w.path.split("/", 1)[1] for w in theirs.weights] == [
            w.path.split("/", 1)[1] for w in ours.weights
        ]
        assert {w.path.split("/")[0] for w in ours.weights} == {ours.name}
    assert ours.get_build_config() == {
        "shapes_dict": {"query_shape": (2, 3, 5), "value_shape": (2, 4, 5)}
    }


MHA_CASES = [
    {"num_heads": 2, "key_dim": 3},
    {
        "num_heads": 2,
        "key_dim": 3,
        "value_dim": 4,
        "output_shape": (7,),
        "use_gate": True,
    },
    {"num_heads": 2, "key_dim": 3, "sliding_window": 2},
]
CALLS = [
    {},
    {"use_causal_mask": True},
    {"return_attention_scores": True},
    {"attention_mask": ATTENTION_MASK},
    {"attention_mask": ATTENTION_MASK, "return_attention_scores": True},
    {"use_causal_mask": True, "return_attention_scores": True},
]


@pytest.mark.parametrize("init", MHA_CASES)
@pytest.mark.parametrize("call", CALLS)
def test_mha_matches_keras(keras_oracle: Any, init: dict, call: dict) -> None:
    ours = MultiHeadAttention(**init)
    theirs = _copy_to_keras(keras_oracle, ours, "MultiHeadAttention", init)
    _assert_same(ours(QUERY, VALUE, **call), theirs(QUERY, VALUE, **call))


@pytest.mark.parametrize("call", CALLS)
def test_gqa_matches_keras(keras_oracle: Any, call: dict) -> None:
    init = {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}
    ours = GroupQueryAttention(**init)
    theirs = _copy_to_keras(keras_oracle, ours, "GroupQueryAttention", init)
    _assert_same(ours(QUERY, VALUE, **call), theirs(QUERY, VALUE, **call))


# Keras's GQA warns that its projections drop the query's mask.
@pytest.mark.filterwarnings("ignore:.*does not support masking:UserWarning")
@pytest.mark.parametrize("cls", [MultiHeadAttention, GroupQueryAttention])
@pytest.mark.parametrize("scores", [False, True])
def test_masks_from_the_inputs_match_keras(
    keras_oracle: Any, cls: type, scores: bool
) -> None:
    init = (
        {"num_heads": 2, "key_dim": 3}
        if cls is MultiHeadAttention
        else {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 1}
    )
    ours = cls(**init)
    kcls = "MultiHeadAttention" if cls is MultiHeadAttention else "GroupQueryAttention"
    theirs = _copy_to_keras(keras_oracle, ours, kcls, init)

    def masked() -> tuple[torch.Tensor, torch.Tensor]:
        q, v = torch.tensor(QUERY), torch.tensor(VALUE)
        q._keras_mask, v._keras_mask = Q_MASK, V_MASK
        return q, v

    got = ours(*masked(), return_attention_scores=scores)
    _assert_same(got, theirs(*masked(), return_attention_scores=scores))
    out = got[0] if scores else got
    assert torch.equal(out._keras_mask, Q_MASK)


def test_attention_axes_match_keras(keras_oracle: Any) -> None:
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5)).astype("float32")
    for axes in [(1, 2), (2,), -2]:
        ours = MultiHeadAttention(2, 3, attention_axes=axes)
        theirs = keras_oracle.layers.MultiHeadAttention(2, 3, attention_axes=axes)
        ours(x, x)
        theirs(x, x)
        theirs.set_weights(ours.get_weights())
        _assert_same(
            ours(x, x, return_attention_scores=True),
            theirs(x, x, return_attention_scores=True),
        )


@pytest.mark.parametrize("cls", [MultiHeadAttention, GroupQueryAttention])
def test_fused_and_einsum_paths_agree(cls: type) -> None:
    layer = cls(2, 3, 1) if cls is GroupQueryAttention else cls(2, 3)
    q = torch.tensor(QUERY, requires_grad=True)
    v = torch.tensor(VALUE, requires_grad=True)
    for kwargs in [{}, {"use_causal_mask": True}, {"attention_mask": ATTENTION_MASK}]:
        fused = layer(q, v, **kwargs)
        explicit, _ = layer(q, v, return_attention_scores=True, **kwargs)
        torch.testing.assert_close(fused, explicit, **TOL)
        g = torch.randn_like(fused)
        a = torch.autograd.grad(fused, [q, v, *layer.trainable_weights], g)
        b = torch.autograd.grad(explicit, [q, v, *layer.trainable_weights], g)
        for x, y in zip(a, b):
            torch.testing.assert_close(x, y, **TOL)


def test_functional_model_and_scores_spec() -> None:
    q, v = keras.Input((3, 5)), keras.Input((4, 6))
    mha = MultiHeadAttention(2, 3)
    out, scores = mha(q, v, return_attention_scores=True)
    assert out.shape == (None, 3, 5) and scores.shape == (None, 2, 3, 4)
    assert len(mha.weights) == 8  # built from the symbolic call
    model = keras.Model([q, v], out)
    got = model([QUERY, np.ones((2, 4, 6), "float32")])
    assert tuple(got.shape) == (2, 3, 5)


def test_dropout_only_in_training() -> None:
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=1)
    a = layer(QUERY, VALUE)
    torch.testing.assert_close(layer(QUERY, VALUE, training=False), a)
    assert not torch.allclose(layer(QUERY, VALUE, training=True), a)


def test_errors() -> None:
    with pytest.raises(ValueError, match="`num_heads` must be a positive integer"):
        MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="`key_dim` must be a positive integer"):
        MultiHeadAttention(2, -1)
    with pytest.raises(
        ValueError, match="`attention_axes` must be an int, a tuple or a list"
    ):
        MultiHeadAttention(2, 3, attention_axes="time")
    with pytest.raises(
        ValueError, match="cannot combine flash_attention=True with dropout"
    ):
        MultiHeadAttention(2, 3, dropout=0.1, flash_attention=True)
    with pytest.raises(
        ValueError, match="value and key shapes equal except in the last"
    ):
        MultiHeadAttention(2, 3)(QUERY, VALUE, key=np.ones((2, 5, 5), "float32"))
    with pytest.raises(ValueError, match="must be divisible by `num_key_value_heads`"):
        GroupQueryAttention(3, 4, 3)
    with pytest.raises(ValueError, match="`sliding_window` must be a positive integer"):
        GroupQueryAttention(3, 4, 2, sliding_window=0)
