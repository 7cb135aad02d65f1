"""Files saved by 2 ranks load in 1 process, and the other way round."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from dist_launch import check, load, weights

import cornu as keras


@pytest.fixture(scope="module")
def runs(launches: dict[str, Any]) -> dict[str, Any]:
    check(launches["runs"]["single"])
    check(launches["runs"]["multi"])
    dirs = launches["dirs"]
    return {
        "single": load(dirs["single"] / "main_rank0.npz"),
        "rank0": load(dirs["multi"] / "main_rank0.npz"),
        "rank1": load(dirs["multi"] / "main_rank1.npz"),
        "multi_dir": dirs["multi"],
        "seed_model": launches["seed_model"],
    }


def _xv() -> np.ndarray:
    rng = np.random.default_rng(0)
    rng.normal(size=(21, 4))
    rng.normal(size=(4, 1))
    return rng.normal(size=(10, 4)).astype("float32")


def test_model_saved_by_two_ranks_loads_in_one_process(runs: dict) -> None:
    model = keras.saving.load_model(runs["multi_dir"] / "model_rank0.keras")
    for a, b in zip(model.get_weights(), weights(runs["rank0"]), strict=True):
        np.testing.assert_array_equal(a, b)
    predictions = model.predict(_xv(), batch_size=4, verbose=0)
    np.testing.assert_allclose(predictions, runs["rank0"]["predictions"], atol=1e-6)
    assert model.optimizer.iterations.numpy() == 9  # 3 epochs x 3 global batches


def test_weights_saved_by_two_ranks_load_in_one_process(runs: dict) -> None:
    model = keras.saving.load_model(runs["multi_dir"] / "model_rank0.keras")
    model.load_weights(runs["multi_dir"] / "saved_rank0.weights.h5")
    for a, b in zip(model.get_weights(), weights(runs["rank0"]), strict=True):
        np.testing.assert_array_equal(a, b)


def test_model_saved_in_one_process_loads_under_two_ranks(runs: dict) -> None:
    seed = keras.saving.load_model(runs["seed_model"])
    expected = seed.predict(_xv(), batch_size=4, verbose=0)
    for rank in ("rank0", "rank1"):
        got = runs[rank]["loaded_predictions"]
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
        # Trained one more epoch under 2 ranks: equal to 1 process doing so.
        for a, b in zip(
            weights(runs["single"], "loaded"),
            weights(runs[rank], "loaded"),
            strict=True,
        ):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert len(weights(runs["rank0"], "loaded")) == 4
