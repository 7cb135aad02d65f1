"""Starts every multi-process run of tests/distribution once, all at once.

`launches` is a session fixture (registered by this folder's conftest).

The runs are independent, so they overlap in time (the machine has few
cores and each process spends most of its life importing); each test then
reads the files its run wrote.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("ddp_script.py")
TORCHRUN = str(Path(sys.executable).with_name("torchrun"))
LIMIT_S = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ, OMP_NUM_THREADS="1", CORNU_DEVICE="cpu")
    out["CORNU_DIST_TIMEOUT"] = "60"
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        out.pop(name, None)
    out.update(extra)
    return out


class Run:
    """One started process; `wait` returns (returncode, output, seconds)."""

    def __init__(self, cmd: list[str], environ: dict[str, str]) -> None:
        self.cmd = cmd
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.result: tuple[int, str, float] | None = None

    def wait(self) -> tuple[int, str, float]:
        if self.result is None:
            try:
                out, _ = self.proc.communicate(timeout=LIMIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, _ = self.proc.communicate()
            self.result = (
                self.proc.returncode,
                out,
                time.monotonic() - self.start,
            )
        return self.result

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()


def check(run: Run) -> None:
    rc, out, _ = run.wait()
    assert rc == 0, f"{run.cmd} failed:\n{out[-4000:]}"


def load(path: Path) -> dict[str, Any]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def weights(result: dict[str, Any], prefix: str = "w") -> list[np.ndarray]:
    """The arrays `{prefix}0`, `{prefix}1`, ... of a run's results, in order."""
    count = sum(
        1 for k in result if k.startswith(prefix) and k[len(prefix) :].isdigit()
    )
    return [result[f"{prefix}{i}"] for i in range(count)]


def _seed_model(path: Path) -> None:
    """A compiled model saved by this (single) process, for the ranks to load."""
    import cornu as keras

    keras.utils.set_random_seed(5)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    model.save(path)


@pytest.fixture(scope="session")
def launches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("distribution")
    dirs = {
        name: root / name
        for name in ("single", "multi", "nodes", "restart", "kill", "hang")
    }
    for d in dirs.values():
        d.mkdir()
    seed_model = root / "seed_model.keras"
    _seed_model(seed_model)
    script = [sys.executable, str(SCRIPT)]
    runs: dict[str, Any] = {}
    runs["single"] = Run([*script, str(dirs["single"]), "main", str(seed_model)], env())
    runs["single_fit"] = Run(
        [*script, str(dirs["single"]), "fit", str(seed_model)], env()
    )
    runs["multi"] = Run(
        [
            TORCHRUN,
            "--standalone",
            "--nproc-per-node=2",
            str(SCRIPT),
            str(dirs["multi"]),
            "main",
            str(seed_model),
        ],
        env(),
    )
    port = free_port()
    runs["nodes"] = [
        Run(
            [
                TORCHRUN,
                "--nnodes=2",
                f"--node-rank={rank}",
                "--nproc-per-node=1",
                "--rdzv-backend=c10d",
                f"--rdzv-endpoint=127.0.0.1:{port}",
                str(SCRIPT),
                str(dirs["nodes"]),
                "fit",
                str(seed_model),
            ],
            env(),
        )
        for rank in (0, 1)
    ]
    runs["restart"] = Run(
        [
            TORCHRUN,
            "--standalone",
            "--nproc-per-node=2",
            "--max-restarts=1",
            str(SCRIPT),
            str(dirs["restart"]),
            "restart",
            str(dirs["restart"] / "backup"),
        ],
        env(),
    )
    for mode, timeout in (("kill", "20"), ("hang", "5")):
        port = free_port()
        runs[mode] = [
            Run(
                [*script, str(dirs[mode]), mode],
                env(
                    WORLD_SIZE="2",
                    RANK=str(rank),
                    LOCAL_RANK=str(rank),
                    MASTER_ADDR="127.0.0.1",
                    MASTER_PORT=str(port),
                    CORNU_DIST_TIMEOUT=timeout,
                ),
            )
            for rank in (0, 1)
        ]
    results: dict[str, Any] = {"dirs": dirs, "seed_model": seed_model, "runs": runs}
    try:
        for mode in ("kill", "hang"):
            runs[mode][0].wait()
            runs[mode][1].stop()  # the hung rank waits forever: end it
        for run in (
            runs["single"],
            runs["single_fit"],
            runs["multi"],
            runs["restart"],
            *runs["nodes"],
        ):
            run.wait()
    finally:
        for value in runs.values():
            for run in value if isinstance(value, list) else [value]:
                run.stop()
    return results
