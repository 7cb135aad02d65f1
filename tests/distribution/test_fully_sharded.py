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
    # The sharded runs train with Adam (slots sharded like the weights).
    single = weights(runs["single"], "fsdp_w")
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


# -- gathering for get_weights and saving; sharding on load ---------------------
def _xv() -> np.ndarray:
    """The validation inputs of ddp_script's `data()`."""
    rng = np.random.default_rng(0)
    rng.normal(size=(21, 4))
    rng.normal(size=(4, 1))
    return rng.normal(size=(10, 4)).astype("float32")


def _h5_layout(path: Any) -> dict[str, Any]:
    """Every group's attributes and every dataset's shape and dtype, by name."""
    import h5py

    out: dict[str, Any] = {}

    def visit(name: str, node: Any) -> None:
        if isinstance(node, h5py.Dataset):
            out[name] = (node.shape, str(node.dtype))
        else:
            out[name] = dict(node.attrs)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def _h5_values(path: Any) -> dict[str, np.ndarray]:
    import h5py

    out: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, node: (
                out.__setitem__(name, np.asarray(node[()]))
                if isinstance(node, h5py.Dataset)
                else None
            )
        )
    return out


@pytest.fixture(scope="module")
def dirs(launches: dict[str, Any]) -> dict[str, Any]:
    return launches["dirs"]


def test_get_weights_gathers_the_full_weights(runs: dict) -> None:
    single = weights(runs["single"], "fsdp_get")
    rank0 = weights(runs["rank0"], "fsdp_get")
    rank1 = weights(runs["rank1"], "fsdp_get")
    assert [w.shape for w in rank0] == [(4, 8), (8,), (8, 1), (1,)]
    for a, b, full in zip(rank0, rank1, weights(runs["rank0"], "fsdp_w"), strict=True):
        np.testing.assert_array_equal(b, a)  # the same on every rank
        np.testing.assert_array_equal(a, full)  # DTensor.full_tensor()
    for a, b in zip(single, rank0, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_files_saved_by_sharded_ranks_load_in_one_process(
    runs: dict, dirs: dict
) -> None:
    nodes = dirs["nodes"]
    expected = weights(runs["rank0"], "fsdp_get")
    model = keras.saving.load_model(nodes / "fsdp_model_rank0.keras")
    for a, b in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(a, b)
    predictions = model.predict(_xv(), batch_size=4, verbose=0)
    np.testing.assert_allclose(
        predictions, runs["rank0"]["fsdp_predictions"], rtol=1e-6, atol=1e-6
    )
    assert model.optimizer.iterations.numpy() == 9  # 3 epochs x 3 batches
    # The checkpoint of the last epoch holds the final weights.
    for name in ("fsdp_rank0.weights.h5", "fsdp_ckpt_rank0.weights.h5"):
        model.set_weights([np.zeros_like(w) for w in expected])
        model.load_weights(nodes / name)
        for a, b in zip(model.get_weights(), expected, strict=True):
            np.testing.assert_array_equal(a, b)
    # Rank 1 took part in each save (gathering) but wrote nothing.
    for name in (
        "fsdp_model_rank1.keras",
        "fsdp_rank1.weights.h5",
        "fsdp_ckpt_rank1.weights.h5",
    ):
        assert not (nodes / name).exists()


def test_sharded_saves_write_what_one_process_writes(dirs: dict) -> None:
    import zipfile

    for name in ("fsdp_rank0.weights.h5", "fsdp_ckpt_rank0.weights.h5"):
        one, two = dirs["single"] / name, dirs["nodes"] / name
        # The same groups (layer names, not FSDP's generated classes),
        # datasets, shapes and dtypes; values equal up to float rounding.
        assert _h5_layout(two) == _h5_layout(one)
        single_values = _h5_values(one)
        for key, value in _h5_values(two).items():
            np.testing.assert_allclose(
                value, single_values[key], rtol=1e-5, atol=1e-6, err_msg=key
            )
    configs = []
    for d in (dirs["single"], dirs["nodes"]):
        with zipfile.ZipFile(d / "fsdp_model_rank0.keras") as z:
            configs.append(json.loads(z.read("config.json")))
    assert configs[1] == configs[0]
    assert "FSDP" not in json.dumps(configs[1])


def test_files_load_into_sharded_models(runs: dict, launches: dict) -> None:
    expected = weights(runs["rank0"], "fsdp_get")
    seed = keras.saving.load_model(launches["seed_model"])
    xv = _xv()
    seed_predictions = seed.predict(xv, batch_size=4, verbose=0)
    seed.set_weights([2 * w for w in seed.get_weights()])
    doubled = seed.predict(xv, batch_size=4, verbose=0)
    for rank in ("rank0", "rank1"):
        # The 2-rank `.weights.h5`, loaded into another sharded model.
        for a, b in zip(weights(runs[rank], "fsdp_reloaded"), expected, strict=True):
            np.testing.assert_array_equal(a, b)
        # A 1-process `.keras` file: sharded after loading, then loaded
        # again into the sharded model (after `set_weights` with zeros).
        for key in ("fsdp_seed_predictions", "fsdp_seed_loaded_predictions"):
            np.testing.assert_allclose(
                runs[rank][key], seed_predictions, rtol=1e-6, atol=1e-6
            )
        np.testing.assert_allclose(
            runs[rank]["fsdp_seed_doubled_predictions"], doubled, rtol=1e-6, atol=1e-6
        )


def test_sharded_weights_keep_their_paths(runs: dict) -> None:
    expected = list(runs["single"]["fsdp_paths"])
    assert [p.rsplit("/", 1)[-1] for p in expected] == ["kernel", "bias"] * 2
    for rank in ("rank0", "rank1"):
        assert list(runs[rank]["fsdp_paths"]) == expected


def test_sharded_checkpoint_loads_on_two_ranks_and_in_one_process(
    runs: dict, dirs: dict
) -> None:
    expected = weights(runs["rank0"], "fsdp_get")
    for rank in ("rank0", "rank1"):
        for a, b in zip(weights(runs[rank], "fsdp_distcp"), expected, strict=True):
            np.testing.assert_array_equal(a, b)
    # Each rank wrote its own shards; one process reads them all back.
    written = sorted(p.name for p in (dirs["nodes"] / "fsdp.distcp").iterdir())
    assert written == [".metadata", "__0_0.distcp", "__1_0.distcp"]
    model = keras.saving.load_model(dirs["nodes"] / "fsdp_model_rank0.keras")
    model.set_weights([np.zeros_like(w) for w in expected])
    model.optimizer.iterations.assign(0)
    keras.distribution.load_checkpoint(model, dirs["nodes"] / "fsdp.distcp")
    for a, b in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations.numpy() == 9


def test_checkpoint_errors(tmp_path: Any) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(FileNotFoundError, match=r"No checkpoint in .*empty"):
        keras.distribution.load_checkpoint(model, tmp_path / "empty")
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(
        ValueError, match=r'Cannot save a checkpoint: model ".*" is not'
    ):
        keras.distribution.save_checkpoint(unbuilt, tmp_path / "x.distcp")
