"""A fully sharded `fit` resumed by `BackupAndRestore` ends like an
uninterrupted one, on 2 ranks over gloo (see `sharded_script`'s `resume`).

After the restart the optimizer is built on the whole weights by the
restore, before its first sharded step; so it is for a model loaded from a
`.keras` file with its optimizer state (`loaded`), before the model is
sharded. At that step each slot keeps its rank's part."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dist_launch import TORCHRUN, Run, check, env, load, weights

SCRIPT = Path(__file__).with_name("sharded_script.py")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("sharded_resume")
    single, multi = root / "single", root / "multi"
    single.mkdir()
    multi.mkdir()
    runs = [
        Run([sys.executable, str(SCRIPT), str(single), "resume"], env()),
        Run(
            [
                TORCHRUN,
                "--standalone",
                "--nproc-per-node=2",
                "--max-restarts=1",
                str(SCRIPT),
                str(multi),
                "resume",
            ],
            env(),
        ),
    ]
    try:
        for run in runs:
            check(run)
    finally:
        for run in runs:
            run.stop()
    return {
        "dir": multi,
        "single": load(single / "resume_rank0.npz"),
        "ranks": [load(multi / f"resume_rank{r}.npz") for r in (0, 1)],
    }


def test_killed_rank_restarts_from_the_backup(results: dict) -> None:
    out = results["dir"]
    for rank in (0, 1):
        first = (out / f"epochs_attempt0_rank{rank}.txt").read_text().split()
        assert first == ["0", "1", "2"]  # rank 1 died in epoch 2
        second = (out / f"epochs_attempt1_rank{rank}.txt").read_text().split()
        assert second == ["2"]  # both resumed from the epoch-2 backup
    for result in results["ranks"]:
        # The weights stayed sharded: dim 0 of each weight split in two.
        np.testing.assert_array_equal(result["shard_rows"], [2, 4, 4, 1])


@pytest.mark.parametrize("prefix", ["killed", "stopped"])
def test_resumed_sharded_run_equals_the_uninterrupted_one(
    results: dict, prefix: str
) -> None:
    # One process too: `fit` skips the batches of the epoch the backup had
    # already trained on.
    for result in (results["single"], *results["ranks"]):
        resumed = weights(result, prefix)
        uninterrupted = weights(result, "w")
        assert len(resumed) == len(uninterrupted) == 4
        for a, b in zip(uninterrupted, resumed):
            np.testing.assert_array_equal(b, a)  # bit for bit


def test_stopped_run_resumed_mid_epoch(results: dict) -> None:
    for result in (results["single"], *results["ranks"]):
        assert int(result["stopped_at"]) == 5  # epoch 0 (3 steps) + 2 steps
        assert int(result["stopped_epochs"]) == 2  # epochs 1 and 2


@pytest.mark.parametrize("prefix", ["w", "killed", "stopped", "slots", "loaded"])
def test_sharded_runs_equal_one_process(results: dict, prefix: str) -> None:
    expected = weights(results["single"], prefix)
    # `slots`: Adam's iterations, learning rate, then 2 slots per weight.
    assert len(expected) == (10 if prefix == "slots" else 4)
    for result in results["ranks"]:
        got = weights(result, prefix)
        assert len(got) == len(expected)
        for a, b in zip(expected, got):
            # Uneven local batches (4 + 3): gradients weighted by samples.
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
