"""`ModelParallel(layout_map=...)` on 2 ranks over gloo, against one process.

`sharded_script`'s `model_parallel` mode trains a 2-layer model whose
kernels are split by columns and whose first bias is split over a 1-D
`"model"` mesh: once with every rank reading whole batches
(`batch_dim_name="batch"`, no mesh axis; `replicated`), once with Keras's
default batch axis (the mesh's first, which also splits the weights;
`split`); then over a `("batch", "model")` mesh of shape (2, 1), which
splits the batches only (`mesh2d`).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from dist_launch import TORCHRUN, Run, check, env, load, weights

import cornu as keras
from cornu.distribution import layouts

SCRIPT = Path(__file__).with_name("sharded_script.py")
RUNS = ("replicated", "split", "mesh2d")
# dense/kernel (4, 8) and dense_1/kernel (8, 2) by columns, dense/bias (8,)
# in two; dense_1/bias replicated. Over the (2, 1) mesh: whole weights.
HALVES = ["(4, 4)", "(4,)", "(8, 1)", "(2,)"]
WHOLE = ["(4, 8)", "(8,)", "(8, 2)", "(2,)"]
LOCAL_SHAPES = {"replicated": HALVES, "split": HALVES, "mesh2d": WHOLE}
# Whole batches on each rank, or each batch split 4 + 3.
DATA_WORLD = {"replicated": 1, "split": 2, "mesh2d": 2}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("model_parallel")
    single, multi = root / "single", root / "multi"
    single.mkdir()
    multi.mkdir()
    runs = [
        Run([sys.executable, str(SCRIPT), str(single), "model_parallel"], env()),
        Run(
            [
                TORCHRUN,
                "--standalone",
                "--nproc-per-node=2",
                str(SCRIPT),
                str(multi),
                "model_parallel",
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
        "dirs": (single, multi),
        "single": load(single / "model_parallel_rank0.npz"),
        "ranks": [load(multi / f"model_parallel_rank{r}.npz") for r in (0, 1)],
    }


@pytest.mark.parametrize("name", RUNS)
def test_each_rank_holds_its_part_of_the_laid_out_weights(
    results: dict, name: str
) -> None:
    local = LOCAL_SHAPES[name]
    for result in results["ranks"]:
        assert list(result[f"{name}_local_shapes"]) == local
        # Adam's momentum and velocity hold the same parts.
        slots = [shape for shape in local for _ in range(2)]
        assert list(result[f"{name}_slot_shapes"]) == slots
        assert list(result[f"{name}_paths"]) == list(results["single"][f"{name}_paths"])
        assert int(result[f"{name}_data_world"]) == DATA_WORLD[name]


@pytest.mark.parametrize("name", RUNS)
def test_training_equals_one_process(results: dict, name: str) -> None:
    expected = weights(results["single"], f"{name}_w")
    assert [w.shape for w in expected] == [(4, 8), (8,), (8, 2), (2,)]
    for result in results["ranks"]:
        got = weights(result, f"{name}_w")  # gathered by get_weights()
        assert len(got) == len(expected)
        for a, b in zip(expected, got):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", RUNS)
def test_history_evaluate_predict_equal_one_process(results: dict, name: str) -> None:
    single = results["single"]
    for result in results["ranks"]:
        for key in ("history", "evaluation"):
            expected = json.loads(str(single[f"{name}_{key}"]))
            got = json.loads(str(result[f"{name}_{key}"]))
            assert got.keys() == expected.keys()
            for metric, value in expected.items():
                np.testing.assert_allclose(got[metric], value, rtol=1e-5)
        predictions = result[f"{name}_predictions"]
        assert predictions.shape == (10, 2)
        np.testing.assert_allclose(
            predictions, single[f"{name}_predictions"], rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("name", RUNS)
def test_files_saved_by_two_ranks_load_in_one_process(results: dict, name: str) -> None:
    single_dir, multi_dir = results["dirs"]
    expected = weights(results["ranks"][0], f"{name}_w")
    model = keras.saving.load_model(multi_dir / f"{name}_rank0.keras")
    for a, b in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations.numpy() == 9  # 3 epochs x 3 batches
    # `save_weights`, and `ModelCheckpoint` at the last epoch.
    for path in (f"{name}_rank0.weights.h5", f"{name}_ckpt_rank0.weights.h5"):
        model.set_weights([np.zeros_like(w) for w in expected])
        model.load_weights(multi_dir / path)
        for a, b in zip(model.get_weights(), expected, strict=True):
            np.testing.assert_array_equal(a, b)
    # Rank 1 took part in each save (gathering) but wrote nothing.
    for path in (f"{name}_rank1.keras", f"{name}_ckpt_rank1.weights.h5"):
        assert not (multi_dir / path).exists()


def test_resumed_run_equals_the_uninterrupted_one(results: dict) -> None:
    # Stopped mid-epoch 1, resumed from the backup by a new model (laid out,
    # then restored before its optimizer's first step).
    expected = weights(results["single"], "split_w")
    for result in results["ranks"]:
        resumed = weights(result, "resumed_w")
        assert len(resumed) == 4
        for a, b in zip(weights(result, "split_w"), resumed):
            np.testing.assert_array_equal(b, a)  # bit for bit
        for a, b in zip(expected, resumed):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


# -- bad layout maps ------------------------------------------------------------
_ERRORS = {
    "unknown_key": r"The LayoutMap key '\.\*conv\.\*kernel' matches no variable of "
    r"the model\. Variable paths are: \['sequential\w*/dense/kernel'",
    "indivisible": r"variable 'sequential\w*/dense_1/bias' of shape \(3,\) cannot be split "
    r"along dimension 0 over mesh axis 'model': 3 is not divisible by the axis "
    r"size 2",
    "rank": r"the layout \('model',\) of variable 'sequential\w*/dense/kernel' names 1 "
    r"dimension\(s\), but the variable has shape \(4, 8\)",
    "big_mesh": r"A DeviceMesh of shape \(4,\) spans 4 devices, but this job has "
    r"2 process\(es\)",
}


@pytest.mark.parametrize("kind", sorted(_ERRORS))
def test_bad_layout_maps_are_refused_at_fit_across_processes(
    results: dict, kind: str
) -> None:
    for result in results["ranks"]:
        # The `ValueError` message each rank's `fit` raised ("" if none).
        message = str(result[f"error_{kind}"])
        assert re.search(_ERRORS[kind], message), message


def _mesh() -> keras.distribution.DeviceMesh:
    return keras.distribution.DeviceMesh((2,), ["model"], ["cpu:0", "cpu:1"])


def _dense_model(units: int = 3, **kwargs: Any) -> keras.Model:
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(units, name="dense", **kwargs)]
    )


def test_layout_checks_in_one_process() -> None:
    kernel = _dense_model().weights[0]
    layout = keras.distribution.TensorLayout((None, "model"), _mesh())
    with pytest.raises(
        ValueError,
        match=r"variable 'dense/kernel' of shape \(4, 3\) cannot be split along "
        r"dimension 1 over mesh axis 'model': 3 is not divisible by the axis size 2",
    ):
        layouts.check_layout(kernel, "dense/kernel", layout, _mesh())
    with pytest.raises(ValueError, match=r"names 3 dimension\(s\), but the variable"):
        layouts.check_layout(
            kernel,
            "dense/kernel",
            keras.distribution.TensorLayout((None, "model", None), _mesh()),
            _mesh(),
        )
    layout_map = keras.distribution.LayoutMap(_mesh())
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map["nothing.*"] = ("model",)
    strategy = keras.distribution.ModelParallel(layout_map=layout_map)
    with pytest.raises(ValueError, match=r"The LayoutMap key 'nothing\.\*' matches"):
        strategy.check_layout_map(_dense_model())


def test_regularized_weights_are_refused() -> None:
    layout_map = keras.distribution.LayoutMap(_mesh())
    layout_map[".*dense/kernel"] = (None, "model")
    strategy = keras.distribution.ModelParallel(layout_map=layout_map)
    model = _dense_model(4, kernel_regularizer="l2")
    with pytest.raises(
        ValueError,
        match=r"ModelParallel: variable 'sequential\w*/dense/kernel' has a "
        r"regularizer",
    ):
        layouts.placements(model.weights[0], strategy, 1)


def test_model_parallel_in_one_process_is_plain_training() -> None:
    layout_map = keras.distribution.LayoutMap(_mesh())
    layout_map[".*dense/kernel"] = (None, "model")
    model = _dense_model(4)
    model.compile(optimizer="sgd", loss="mse")
    with keras.distribution.set_distribution(
        keras.distribution.ModelParallel(layout_map=layout_map)
    ):
        model.fit(torch.ones(4, 4), torch.ones(4, 4), verbose=0)
    assert type(model.weights[0]).__name__ == "Variable"  # no DTensors
