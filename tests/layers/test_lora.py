"""LoRA on Dense, EinsumDense and Embedding: weights, numerics, training, files."""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu import saving
from cornu.layers.core.dense import Dense
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.core.embedding import Embedding
from cornu.layers.core.reversible_embedding import ReversibleEmbedding

# (layer factory, input shape for build, name of the main weight)
CASES = {
    "dense": (lambda **kw: Dense(5, **kw), (None, 3), "kernel"),
    "einsum_dense": (
        lambda **kw: EinsumDense("abc,cde->abde", (None, 2, 5), bias_axes="e", **kw),
        (None, 4, 3),
        "kernel",
    ),
    "embedding": (lambda **kw: Embedding(7, 5, **kw), (None, 4), "embeddings"),
}


def _built(case: str, **kwargs: Any) -> Any:
    factory, shape, _ = CASES[case]
    layer = factory(**kwargs)
    layer.build(shape)
    return layer


def _inputs(case: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if case == "embedding":
        return rng.integers(0, 7, (2, 4)).astype("int32")
    return rng.standard_normal((2, *CASES[case][1][1:])).astype("float32")


def _randomize(layer: Any, seed: int = 0) -> list[np.ndarray]:
    """Random values for every weight (b included, so the update is not zero)."""
    rng = np.random.default_rng(seed)
    values = [
        rng.standard_normal(tuple(w.shape)).astype("float32") for w in layer.weights
    ]
    layer.set_weights(values)
    return values


def _reference(case: str, layer: Any, x: np.ndarray, values: list[np.ndarray]) -> Any:
    """The layer's output, in NumPy, with weight + alpha / rank * (a @ b)."""
    main, *rest = values
    a, b = rest[-2], rest[-1]
    merged = main + (layer.lora_alpha / layer.lora_rank) * (a @ b)
    if case == "dense":
        return x @ merged + rest[0]
    if case == "einsum_dense":
        return np.einsum("abc,cde->abde", x, merged) + rest[0]
    return merged[x]


@pytest.mark.parametrize("case", sorted(CASES))
def test_enable_lora_weights(case: str) -> None:
    layer = _built(case)
    name = CASES[case][2]
    main = getattr(layer, name)
    before = [w.name for w in layer.weights]
    layer.enable_lora(3)
    assert layer.lora_enabled and layer.lora_rank == 3 and layer.lora_alpha == 3
    a, b = getattr(layer, f"lora_{name}_a"), getattr(layer, f"lora_{name}_b")
    assert [w.name for w in layer.weights] == [*before, a.name, b.name]
    assert [w.name for w in layer.trainable_weights] == [
        *(n for n in before if n != name),
        f"lora_{name}_a",
        f"lora_{name}_b",
    ]
    assert not main.trainable and not main.requires_grad
    assert tuple(a.shape) == (*main.shape[:-1], 3) and tuple(b.shape) == (
        3,
        main.shape[-1],
    )
    assert a.dtype is torch.float32 and b.dtype is torch.float32
    # b starts at zero: enabling LoRA does not change the outputs.
    assert not torch.any(b) and torch.any(a)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("alpha", [None, 6.0])
def test_outputs_use_merged_weight(case: str, alpha: float | None) -> None:
    layer = _built(case)
    layer.enable_lora(2, lora_alpha=alpha)
    assert layer.lora_alpha == (2 if alpha is None else 6.0)
    values = _randomize(layer)
    x = _inputs(case)
    got = layer(x).detach().numpy()
    np.testing.assert_allclose(
        got, _reference(case, layer, x, values), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_lora_rank_argument_enables_lora_at_build(case: str, layer_test: Any) -> None:
    layer = _built(case, lora_rank=2, lora_alpha=4.0)
    assert layer.lora_enabled and layer.lora_alpha == 4.0
    config = layer.get_config()
    assert config["lora_rank"] == 2 and config["lora_alpha"] == 4.0
    clone = type(layer).from_config(config)
    clone.build(CASES[case][1])
    assert clone.lora_enabled and clone.lora_rank == 2 and clone.lora_alpha == 4.0
    assert "lora_rank" not in _built(case).get_config()
    factory, shape, _ = CASES[case]
    x = _inputs(case)
    layer_test(
        type(layer),
        {**factory(lora_rank=2).get_config(), "name": None},
        input_data=x,
        input_dtype=str(x.dtype),
        expected_num_trainable_weights=2 if case == "embedding" else 3,
        expected_num_non_trainable_weights=1,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_step_changes_only_lora_and_bias(case: str) -> None:
    layer = _built(case)
    layer.enable_lora(2)
    _randomize(layer)
    x = _inputs(case)
    inputs = cornu.Input(x.shape[1:], dtype=str(x.dtype))
    model = cornu.Model(inputs, layer(inputs))
    model.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse")
    before = {w.name: w.detach().clone() for w in layer.weights}
    target = np.ones(tuple(model(x).shape), "float32")
    model.fit(x, target, batch_size=2, epochs=1, verbose=0)
    main = CASES[case][2]
    for w in layer.weights:
        changed = not torch.equal(before[w.name], w.detach())
        assert changed == (w.name != main), w.name


@pytest.mark.parametrize("case", sorted(CASES))
def test_weights_file_stores_merged_weight(case: str, tmp_path: Path) -> None:
    factory, shape, name = CASES[case]
    x = _inputs(case)
    inputs = cornu.Input(x.shape[1:], dtype=str(x.dtype))
    layer = factory()
    model = cornu.Model(inputs, layer(inputs))
    layer.enable_lora(2, lora_alpha=5.0)
    values = _randomize(layer)
    expected = model(x).detach().numpy()
    model.save_weights(tmp_path / "lora.weights.h5")

    import h5py

    with h5py.File(tmp_path / "lora.weights.h5") as f:
        group = f[f"layers/{case}/vars"]  # the snake-cased class name
        assert sorted(group) == (["0"] if case == "embedding" else ["0", "1"])
        merged = values[0] + 2.5 * (values[-2] @ values[-1])
        np.testing.assert_allclose(group["0"][()], merged, rtol=1e-5, atol=1e-5)

    # Into the same LoRA architecture: merged weight in, factors reset.
    twin_layer = factory()
    twin = cornu.Model(inputs, twin_layer(inputs))
    twin_layer.enable_lora(2, lora_alpha=5.0)
    twin.load_weights(tmp_path / "lora.weights.h5")
    assert not torch.any(getattr(twin_layer, f"lora_{name}_a"))
    assert not torch.any(getattr(twin_layer, f"lora_{name}_b"))
    np.testing.assert_allclose(twin(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    # Into the plain architecture: the merged weight is the weight.
    plain_layer = factory()
    plain = cornu.Model(inputs, plain_layer(inputs))
    plain.load_weights(tmp_path / "lora.weights.h5")
    np.testing.assert_allclose(
        plain(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5
    )


def test_keras_model_file_round_trip(tmp_path: Path) -> None:
    x = _inputs("dense")
    inputs = cornu.Input((3,))
    model = cornu.Model(inputs, Dense(5, lora_rank=2, lora_alpha=4.0)(inputs))
    _randomize(model.layers[-1])
    expected = model(x).detach().numpy()
    model.save(tmp_path / "lora.keras")
    back = saving.load_model(tmp_path / "lora.keras")
    layer = back.layers[-1]
    assert layer.lora_enabled and layer.lora_rank == 2 and layer.lora_alpha == 4.0
    np.testing.assert_allclose(back(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5)


def test_load_refuses_wrong_shapes() -> None:
    layer = _built("dense")
    layer.enable_lora(2)
    with pytest.raises(ValueError, match=r"expects 2 saved weight\(s\), received 1"):
        layer.load_own_variables({"0": np.zeros((3, 5), "float32")})
    with pytest.raises(ValueError, match=r"shape \(3, 5\), received shape \(5, 3\)"):
        layer.load_own_variables(
            {"0": np.zeros((5, 3), "float32"), "1": np.zeros(5, "float32")}
        )


def test_regularizer_applies_to_factors() -> None:
    layer = Dense(4, kernel_regularizer=cornu.regularizers.L2(0.5))
    layer.build((None, 3))
    layer.enable_lora(2)
    _randomize(layer)
    a, b = layer.lora_kernel_a.detach(), layer.lora_kernel_b.detach()
    want = [0.5 * (w.detach() ** 2).sum() for w in (layer.kernel, a, b)]
    got = layer.losses
    assert len(got) == 3
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)


def test_reversible_embedding_reverse_uses_merged_weights() -> None:
    layer = ReversibleEmbedding(6, 4)
    layer.build()
    layer.enable_lora(2, lora_alpha=1.0)
    emb, a, b = _randomize(layer)
    h = np.random.default_rng(4).standard_normal((2, 4)).astype("float32")
    merged = emb + 0.5 * (a @ b)
    np.testing.assert_allclose(
        layer(torch.from_numpy(h), reverse=True).detach().numpy(),
        h @ merged.T,
        rtol=1e-5,
        atol=1e-5,
    )


def test_errors() -> None:
    with pytest.raises(
        ValueError, match=r'"lora_dense" \(Dense\) cannot enable LoRA before'
    ):
        Dense(3, name="lora_dense").enable_lora(2)
    layer = _built("dense")
    layer.enable_lora(2)
    with pytest.raises(ValueError, match=r"already has LoRA enabled \(rank 2\)"):
        layer.enable_lora(2)
    constrained = Dense(3, kernel_constraint="non_neg")
    constrained.build((None, 2))
    with pytest.raises(ValueError, match=r"while it has a `kernel_constraint`"):
        constrained.enable_lora(2)
    emb = Embedding(4, 2, embeddings_constraint="non_neg")
    emb.build()
    with pytest.raises(ValueError, match=r"`embeddings_constraint`"):
        emb.enable_lora(1)
    with pytest.raises(ValueError, match=r"LoRA rank must be a positive integer"):
        Dense(3, lora_rank=0)
    with pytest.raises(ValueError, match=r"LoRA rank must be a positive integer"):
        _built("embedding").enable_lora(1.5)


def test_docstring_example() -> None:
    from cornu.layers.core import lora

    result = doctest.testmod(lora, extraglobs={"np": np, "torch": torch})
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_keras_enable_lora(case: str, keras_oracle: Any) -> None:
    kl = keras_oracle.layers
    refs = {
        "dense": lambda: kl.Dense(5),
        "einsum_dense": lambda: kl.EinsumDense(
            "abc,cde->abde", (None, 2, 5), bias_axes="e"
        ),
        "embedding": lambda: kl.Embedding(7, 5),
    }
    ours = _built(case)
    ref = refs[case]()
    ref.build(CASES[case][1])
    ours.enable_lora(3, lora_alpha=2.0)
    ref.enable_lora(3, lora_alpha=2.0)
    assert [w.path.split("/")[-1] for w in ref.weights] == [
        w.name for w in ours.weights
    ]
    assert [w.trainable for w in ref.weights] == [w.trainable for w in ours.weights]
    ref.set_weights(_randomize(ours))
    x = _inputs(case)
    np.testing.assert_allclose(
        ours(x).detach().numpy(),
        ref(x).detach().cpu().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )
    store: dict[str, Any] = {}
    ref_store: dict[str, Any] = {}
    ours.save_own_variables(store)
    ref.save_own_variables(ref_store)
    assert sorted(store) == sorted(ref_store)
    for key in store:
        np.testing.assert_allclose(
            np.asarray(store[key]),
            getattr(ref_store[key], "value", ref_store[key]).detach().cpu().numpy(),
            rtol=1e-5,
            atol=1e-5,
        )
    config, ref_config = ours.get_config(), ref.get_config()
    assert (config["lora_rank"], config["lora_alpha"]) == (3, 2.0)
    assert (ref_config["lora_rank"], ref_config["lora_alpha"]) == (3, 2.0)


# Keras's own saving code trips numpy's `__array__` deprecation on torch.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
def test_keras_reads_and_writes_lora_files(keras_oracle: Any, tmp_path: Path) -> None:
    tokens = cornu.Input((4,), dtype="int32")
    h = Embedding(7, 5, lora_rank=2)(tokens)
    h = EinsumDense("abc,cd->abd", (None, 3), bias_axes="d", lora_rank=2)(h)
    model = cornu.Model(tokens, Dense(2, lora_rank=1)(h))
    for layer in model.layers[1:]:
        _randomize(layer, seed=len(layer.name))
    x = _inputs("embedding")
    expected = model(x).detach().numpy()
    model.save(tmp_path / "cornu.keras")

    ref = keras_oracle.saving.load_model(tmp_path / "cornu.keras")
    assert all(layer.lora_enabled for layer in ref.layers[1:])
    np.testing.assert_allclose(
        np.asarray(ref(x).detach().cpu()), expected, rtol=1e-5, atol=1e-5
    )
    ref.save(tmp_path / "keras.keras")
    back = saving.load_model(tmp_path / "keras.keras")
    assert all(layer.lora_enabled for layer in back.layers[1:])
    np.testing.assert_allclose(back(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
