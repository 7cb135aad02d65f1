"""A `GradientTape` loop and an overridden `train_step` across 2 processes.

Both end in `optimizer.apply`, which averages the gradients once per step:
the replicas stay equal and equal a single process on the global batch.
"""

from __future__ import annotations

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
    }


@pytest.mark.parametrize("prefix", ["tape", "step"])
def test_replicas_stay_identical(runs: dict, prefix: str) -> None:
    rank0, rank1 = weights(runs["rank0"], prefix), weights(runs["rank1"], prefix)
    assert len(rank0) == 4
    for a, b in zip(rank0, rank1, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("prefix", ["tape", "step"])
def test_equals_single_process_on_global_batch(runs: dict, prefix: str) -> None:
    single, multi = weights(runs["single"], prefix), weights(runs["rank0"], prefix)
    assert len(single) == len(multi) == 4
    for a, b in zip(single, multi):
        # Unreduced gradients would split the replicas; summed ones would
        # double each step: both far outside this tolerance.
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
