"""`FullyShardedDataParallel` (FSDP2 `fully_shard`) on 2 ranks over gloo.

The run is the 2-node launch of `test_multi_node` (2 launchers x 1 process):
after its data-parallel `fit`, each process trains the same model again
with every weight sharded across the two ranks.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch
from dist_launch import check, load, weights

import cornu as keras
from cornu.distribution import runtime


@pytest.fixture(scope="module")
def runs(launches: dict[str, Any]) -> dict[str, Any]:
    for run in (*launches["runs"]["nodes"], launches["runs"]["single_fit"]):
        check(run)
    dirs = launches["dirs"]
    return {
        "single": load(dirs["single"] / "fit_rank0.npz"),
        "rank0": load(dirs["nodes"] / "fit_rank0.npz"),
        "rank1": load(dirs["nodes"] / "fit_rank1.npz"),
    }


def test_each_rank_holds_part_of_each_weight(runs: dict) -> None:
    # kernel (4, 8), bias (8,), kernel (8, 1), bias (1,): dim 0 split in two.
    np.testing.assert_array_equal(runs["single"]["fsdp_shard_rows"], [4, 8, 8, 1])
    np.testing.assert_array_equal(runs["rank0"]["fsdp_shard_rows"], [2, 4, 4, 1])
    np.testing.assert_array_equal(runs["rank1"]["fsdp_shard_rows"], [2, 4, 4, 0])


def test_weights_equal_single_process_training(runs: dict) -> None:
    single = weights(runs["single"], "fsdp_w")
    # The same model and data as the plain `fit`: also equal to it.
    for a, b in zip(weights(runs["single"]), single, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    for rank in ("rank0", "rank1"):
        sharded = weights(runs[rank], "fsdp_w")
        assert len(sharded) == len(single) == 4
        for a, b in zip(single, sharded):
            # Uneven local batches (4 + 3): gradients weighted by samples.
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_history_evaluate_predict_equal_single_process(runs: dict) -> None:
    single = runs["single"]
    for rank in ("rank0", "rank1"):
        for key in ("fsdp_history", "fsdp_evaluation"):
            expected = json.loads(str(single[key]))
            got = json.loads(str(runs[rank][key]))
            assert got.keys() == expected.keys()
            for name, value in expected.items():
                np.testing.assert_allclose(got[name], value, rtol=1e-5)
        np.testing.assert_allclose(
            runs[rank]["fsdp_predictions"], single["fsdp_predictions"], atol=1e-5
        )


def test_model_on_another_device_is_refused() -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.to("meta")
    with pytest.raises(
        ValueError,
        match=r'FullyShardedDataParallel: model "sequential.*" has weight '
        r"'.*kernel' on meta, but this process \(rank 0\) trains on cpu",
    ):
        runtime._check_devices(model)
    runtime._check_devices(model.to_empty(device=torch.device("cpu")))
