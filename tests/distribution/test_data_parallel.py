"""Data-parallel fit/evaluate/predict under torchrun (2 CPU processes, gloo)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from dist_launch import check, load, weights


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
    }


def test_ranks_end_with_identical_weights(runs: dict) -> None:
    for a, b in zip(weights(runs["rank0"]), weights(runs["rank1"]), strict=True):
        np.testing.assert_array_equal(a, b)


def test_weights_equal_single_process_training(runs: dict) -> None:
    single, multi = weights(runs["single"]), weights(runs["rank0"])
    assert len(single) == len(multi) == 4
    for a, b in zip(single, multi):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_history_and_evaluate_equal_single_process(runs: dict) -> None:
    single_history = json.loads(str(runs["single"]["history"]))
    single_eval = json.loads(str(runs["single"]["evaluation"]))
    for rank in ("rank0", "rank1"):
        history = json.loads(str(runs[rank]["history"]))
        evaluation = json.loads(str(runs[rank]["evaluation"]))
        assert history.keys() == single_history.keys()
        for key, values in single_history.items():
            np.testing.assert_allclose(history[key], values, rtol=1e-5)
        for key, value in single_eval.items():
            np.testing.assert_allclose(evaluation[key], value, rtol=1e-5)


def test_predict_gathers_all_outputs_in_order(runs: dict) -> None:
    expected = runs["single"]["predictions"]
    for rank in ("rank0", "rank1"):
        got = runs[rank]["predictions"]
        assert got.shape == expected.shape == (10, 1)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_only_rank_zero_writes_files(runs: dict) -> None:
    out = runs["multi_dir"]
    written = (
        "ckpt_rank{}.weights.h5",  # ModelCheckpoint
        "log_rank{}.csv",  # CSVLogger
        "backup_rank{}/latest.backup.npz",  # BackupAndRestore
        "model_rank{}.keras",  # model.save
        "saved_rank{}.weights.h5",  # model.save_weights
    )
    for name in written:
        assert (out / name.format(0)).exists(), name
        assert not (out / name.format(1)).exists(), name
    assert not (out / "backup_rank1").exists()
