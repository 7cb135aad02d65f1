"""Data-parallel fit/evaluate/predict under torchrun (2 CPU processes, gloo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("ddp_script.py")
TORCHRUN = Path(sys.executable).with_name("torchrun")


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", CORNU_DEVICE="cpu")
    env["CORNU_DIST_TIMEOUT"] = "60"
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _load(path: Path) -> dict:
    data = np.load(path)
    out = {k: data[k] for k in data.files if k.startswith("w")}
    out["predictions"] = data["predictions"]
    out["history"] = json.loads(str(data["history"]))
    out["evaluation"] = json.loads(str(data["evaluation"]))
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    single = tmp_path_factory.mktemp("single")
    multi = tmp_path_factory.mktemp("multi")
    _run([sys.executable, str(SCRIPT), str(single)])
    _run([str(TORCHRUN), "--nproc-per-node=2", "--standalone", str(SCRIPT), str(multi)])
    return {
        "single": _load(single / "rank0.npz"),
        "rank0": _load(multi / "rank0.npz"),
        "rank1": _load(multi / "rank1.npz"),
        "multi_dir": multi,
    }


def _weights(run: dict) -> list[np.ndarray]:
    return [run[f"w{i}"] for i in range(sum(k.startswith("w") for k in run))]


def test_ranks_end_with_identical_weights(runs: dict) -> None:
    for a, b in zip(_weights(runs["rank0"]), _weights(runs["rank1"])):
        np.testing.assert_array_equal(a, b)


def test_weights_equal_single_process_training(runs: dict) -> None:
    single, multi = _weights(runs["single"]), _weights(runs["rank0"])
    assert len(single) == len(multi) == 4
    for a, b in zip(single, multi):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_history_and_evaluate_equal_single_process(runs: dict) -> None:
    single = runs["single"]
    for rank in ("rank0", "rank1"):
        assert runs[rank]["history"].keys() == single["history"].keys()
        for key, values in single["history"].items():
            np.testing.assert_allclose(runs[rank]["history"][key], values, rtol=1e-5)
        for key, value in single["evaluation"].items():
            np.testing.assert_allclose(runs[rank]["evaluation"][key], value, rtol=1e-5)


def test_predict_gathers_all_outputs_in_order(runs: dict) -> None:
    expected = runs["single"]["predictions"]
    for rank in ("rank0", "rank1"):
        got = runs[rank]["predictions"]
        assert got.shape == expected.shape == (10, 1)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_only_rank_zero_writes_checkpoints(runs: dict) -> None:
    assert (runs["multi_dir"] / "ckpt_rank0.weights.h5").exists()
    assert not (runs["multi_dir"] / "ckpt_rank1.weights.h5").exists()
