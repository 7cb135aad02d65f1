"""Distributed training costs: `python benchmarks/distributed.py`.

Two measurements on the mlp workload (784-512-512-10, batch 128, Adam):

1. Throughput of data-parallel `fit` with 2 processes x 1 thread
   (`torchrun --nproc-per-node=2`) against 1 process x 2 threads, both on
   the CPU: `ratio = samples/s (2 x 1) / samples/s (1 x 2)`.
2. The per-step cost of the data-parallel path at world size 1 (sharding,
   the gradient all-reduce inside `optimizer.apply`, the metric reduction)
   against plain `fit`, in one process, timed alternately (ABAB...):
   `ratio = time (path) / time (plain)`; the target is <= 1.03. A world of
   one process never takes this path in real use: the benchmark starts a
   one-process gloo group and forces it, to see what the path itself costs.

Prints one JSON object (the ratios and the timings they come from).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _throughput(size: int, rounds: int, threads: int) -> dict[str, float]:
    """Samples per second of `fit` on the mlp workload in this process."""
    import torch

    torch.set_num_threads(threads)
    sys.path.insert(0, str(HERE))
    import workloads

    workload = workloads.mlp(size)
    workload.cornu()  # warm-up (and, under torchrun, the process group)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        workload.cornu()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {"samples_per_s": size / median, "epoch_s": median}


def _world_one_overhead(size: int, rounds: int) -> dict[str, float]:
    """Median epoch times of plain `fit` and of the forced data-parallel path."""
    import torch
    import torch.distributed as dist

    sys.path.insert(0, str(HERE))
    import workloads
    from cornu.distribution import process_group, runtime
    from cornu.optimizers import optimizer
    from cornu.trainers import trainer

    store = dist.FileStore(tempfile.mktemp(prefix="cornu-bench-"), 1)
    dist.init_process_group("gloo", store=store, world_size=1, rank=0)
    plain_for_model = runtime.for_model
    plain_initialize = process_group.initialize

    def forced_for_model(model: Any) -> runtime.Runtime:
        rt = model.__dict__.get("_dist_runtime") or runtime.Runtime(model)
        model.__dict__["_dist_runtime"] = rt
        rt.prepare()
        return rt

    def use_path(on: bool) -> None:
        optimizer._MULTI_PROCESS = trainer._MULTI_PROCESS = on
        runtime.for_model = forced_for_model if on else plain_for_model  # type: ignore[assignment]
        process_group.initialize = (  # type: ignore[assignment]
            (lambda *a, **k: True) if on else plain_initialize
        )

    workload = workloads.mlp(size)
    times: dict[str, list[float]] = {"plain": [], "path": []}
    try:
        for round_index in range(rounds + 1):
            for name in ("plain", "path"):
                use_path(name == "path")
                start = time.perf_counter()
                workload.cornu()
                if round_index:  # the first round warms up
                    times[name].append(time.perf_counter() - start)
    finally:
        use_path(False)
        dist.destroy_process_group()
    torch.set_num_threads(torch.get_num_threads())
    return {name: statistics.median(values) for name, values in times.items()}


def _worker(args: argparse.Namespace) -> None:
    if args.worker == "throughput":
        result = _throughput(args.size, args.rounds, args.threads)
    else:
        result = _world_one_overhead(args.size, args.rounds)
    if int(os.environ.get("RANK", "0")) == 0:
        print("RESULT " + json.dumps(result), flush=True)


def _run_worker(cmd: list[str], threads: int) -> dict[str, float]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), CORNU_DEVICE="cpu")
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise RuntimeError(
        f"Benchmark worker {cmd} failed (exit {done.returncode}):\n"
        f"{done.stdout[-2000:]}{done.stderr[-2000:]}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=12800, help="mlp samples")
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs")
    parser.add_argument("--worker", choices=["throughput", "overhead"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return {}
    me = [sys.executable, str(Path(__file__).resolve())]
    common = ["--size", str(args.size), "--rounds", str(args.rounds)]
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    one = _run_worker([*me, "--worker", "throughput", "--threads", "2", *common], 2)
    two = _run_worker(
        [
            torchrun,
            "--standalone",
            "--nproc-per-node=2",
            *me[1:],
            "--worker",
            "throughput",
            "--threads",
            "1",
            *common,
        ],
        1,
    )
    overhead = _run_worker([*me, "--worker", "overhead", *common], 1)
    report = {
        "workload": f"mlp, {args.size} samples, batch 128",
        "one_process_two_threads": one,
        "two_processes_one_thread": two,
        "throughput_ratio_2x1_over_1x2": two["samples_per_s"] / one["samples_per_s"],
        "world_size_1": overhead,
        "ddp_path_over_plain_at_world_size_1": overhead["path"] / overhead["plain"],
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
