"""`make bench`: cornu against a hand-written PyTorch loop (and Keras 3 when
installed), side by side in one run. Prints a table and writes RESULTS.md.

Each fit/predict workload runs cornu and the raw loop alternately (ABBA...)
after a warm-up; the table gives the median time per step, the min-max
spread, and the median over rounds of each round's cornu/raw ratio.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def machine() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
        info["tf32"] = torch.backends.cuda.matmul.allow_tf32
    return info


def time_pair(workload: Any, rounds: int, warmup: int = 1) -> dict[str, Any]:
    """Times cornu and the raw loop alternately; returns per-step statistics."""
    for _ in range(warmup):
        workload.cornu()
        workload.raw()
    times: dict[str, list[float]] = {"cornu": [], "raw": []}
    for i in range(rounds):
        # ABBA...: each side goes first in half the rounds, so that what a
        # run leaves behind (caches, freed memory) favours neither.
        for name in ("cornu", "raw") if i % 2 == 0 else ("raw", "cornu"):
            fn = getattr(workload, name)
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) / workload.steps)
    out: dict[str, Any] = {
        "name": workload.name,
        "unit": workload.unit,
        "steps": workload.steps,
    }
    for name, values in times.items():
        out[name] = {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
        }
    # The median of each round's own ratio: the machine's speed drifts over
    # minutes, and a round's two runs are seconds apart.
    out["ratio"] = statistics.median(
        c / r for c, r in zip(times["cornu"], times["raw"], strict=True)
    )
    if workload.flops_per_step:
        out["gflops"] = workload.flops_per_step / out["cornu"]["median"] / 1e9
    return out


def matmul_gflops() -> float:
    import torch

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    n = 20
    for _ in range(n):
        a @ b
    return 2 * 1024**3 * n / (time.perf_counter() - start) / 1e9


def compile_times(names: list[str], scale: float) -> list[dict[str, Any]]:
    """`jit_compile=True`: seconds to the first step, then steady time per step."""
    import workloads as wl

    out = []
    for name in names:
        factory = wl.WORKLOADS[name]
        default = factory.__defaults__[0]  # type: ignore[index]
        size = max(256, int(default * scale))
        row: dict[str, Any] = {"name": name}
        for jit in (False, True):
            workload = factory(size)
            model = workload.model
            model.jit_compile = jit
            try:
                row["jit" if jit else "eager"] = _first_and_steady(workload, name)
            except Exception as error:  # report it; the other rows still count
                row["error"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        out.append(row)
    return out


def _first_and_steady(workload: Any, name: str) -> dict[str, float]:
    """Seconds for the first fit step, then the steady seconds per step."""
    model = workload.model
    x, y = workload.arrays
    batch = {"mlp": 128, "cnn": 64}.get(name, 32)
    start = time.perf_counter()
    model.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)
    first = time.perf_counter() - start
    workload.cornu()  # warm
    start = time.perf_counter()
    workload.cornu()
    steady = (time.perf_counter() - start) / workload.steps
    return {"first": first, "steady": steady}


def import_times(repeats: int = 5) -> dict[str, float]:
    """Median wall times, in new processes, of `import torch` and then of
    `import cornu` on top of it (what cornu adds).

    Bytecode caching is on (as for users), in a temporary cache so that a
    PYTHONDONTWRITEBYTECODE environment does not time compilation instead.
    Timing both imports in one process removes the process-to-process noise
    of torch's own import from the difference.
    """
    import tempfile

    cache = tempfile.mkdtemp(prefix="cornu-pyc-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    code = (
        "import time; t = time.perf_counter(); import torch; "
        "a = time.perf_counter() - t; t = time.perf_counter(); import cornu; "
        "print(a, time.perf_counter() - t)"
    )
    runs = []
    for i in range(repeats + 1):
        out = subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout.split()
        if i:  # the first run fills the bytecode cache
            runs.append((float(out[0]), float(out[1])))
    torch_s = statistics.median(r[0] for r in runs)
    extra = statistics.median(r[1] for r in runs)
    return {"torch": torch_s, "cornu": torch_s + extra, "extra": extra}


def keras_times(names: list[str], size_scale: float, rounds: int) -> dict[str, Any]:
    """Runs the workloads through Keras 3 (torch backend) in a subprocess."""
    try:
        import importlib.util

        if importlib.util.find_spec("keras") is None:
            return {}
    except ValueError:
        return {}
    env = dict(os.environ, KERAS_BACKEND="torch")
    cmd = [
        sys.executable,
        str(HERE / "keras_side.py"),
        "--workloads",
        ",".join(names),
        "--scale",
        str(size_scale),
        "--rounds",
        str(rounds),
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        print("Keras 3 run failed:", result.stderr[-2000:], file=sys.stderr)
        return {}
    return json.loads(result.stdout.strip().splitlines()[-1])


def _fmt_time(seconds: float, unit: str) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs/{unit}"
    return f"{seconds * 1e3:.2f} ms/{unit}"


def table(results: list[dict[str, Any]], keras: dict[str, Any]) -> list[str]:
    lines = [
        "| workload | cornu (median, min-max) | raw PyTorch (median, min-max) | cornu/raw | Keras 3 (torch) | Keras/raw |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        c, w = r["cornu"], r["raw"]
        k = keras.get(r["name"])
        keras_cell = _fmt_time(k, r["unit"]) if k else "n/a"
        keras_ratio = f"{k / w['median']:.2f}x" if k else "n/a"
        lines.append(
            f"| {r['name']} | {_fmt_time(c['median'], r['unit'])} "
            f"({_fmt_time(c['min'], r['unit'])}-{_fmt_time(c['max'], r['unit'])}) "
            f"| {_fmt_time(w['median'], r['unit'])} "
            f"({_fmt_time(w['min'], r['unit'])}-{_fmt_time(w['max'], r['unit'])}) "
            f"| {r['ratio']:.3f} | {keras_cell} | {keras_ratio} |"
        )
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workloads", default="tiny,mlp,cnn,predict,data,rnn")
    parser.add_argument("--compile", default="mlp,cnn", help="jit_compile workloads")
    parser.add_argument("--scale", type=float, default=1.0, help="data size factor")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args(argv)

    import torch

    import workloads as wl

    torch.manual_seed(0)
    names = [n for n in args.workloads.split(",") if n]
    results = []
    for name in names:
        factory = wl.WORKLOADS[name]
        default = factory.__defaults__[0]  # type: ignore[index]
        workload = factory(max(64, int(default * args.scale)))
        print(
            f"running {name} ({workload.steps} {workload.unit}s per run)...", flush=True
        )
        results.append(time_pair(workload, args.rounds))
    keras = (
        {}
        if args.no_keras
        else keras_times(
            [n for n in names if n != "data"], args.scale, max(2, args.rounds // 2)
        )
    )
    compiled = compile_times([n for n in args.compile.split(",") if n], args.scale)
    peak = matmul_gflops()
    import ops_overhead

    op_rows = ops_overhead.measure(calls=max(100, int(500 * args.scale)))
    import rnn_paths

    rnn_steps = max(5, int(100 * min(args.scale, 1.0)))
    rnn_rows = rnn_paths.measure(steps=rnn_steps, rounds=max(3, args.rounds // 2))
    imports = import_times(3 if args.scale < 1 else 5)
    info = machine()
    stamp = datetime.date.today().isoformat()
    lines = [
        f"# cornu benchmarks ({stamp})",
        "",
        f"Machine: {info['cpu']}, {info['threads']} threads, torch {info['torch']}, "
        f"Python {info['python']}"
        + (f", GPU {info['gpu']} (TF32 {info['tf32']})" if "gpu" in info else ""),
        "",
        *table(results, keras),
        "",
        f"torch.matmul peak (1024x1024 float32): {peak:.1f} GFLOP/s.",
    ]
    for r in results:
        if "gflops" in r:
            lines.append(
                f"{r['name']}: {r['gflops']:.1f} GFLOP/s achieved by cornu "
                f"({r['gflops'] / peak:.0%} of the matmul peak)."
            )
    if compiled:
        lines += [
            "",
            "| jit_compile | eager: first step, steady | jit_compile=True: first step, steady |",
            "|---|---|---|",
        ]
        for row in compiled:
            if "error" in row:
                lines.append(f"| {row['name']} | failed: {row['error']} | |")
                continue
            e, j = row["eager"], row["jit"]
            lines.append(
                f"| {row['name']} | {e['first']:.2f} s, {_fmt_time(e['steady'], 'step')} "
                f"| {j['first']:.2f} s, {_fmt_time(j['steady'], 'step')} |"
            )
    lines += [
        "",
        "`keras.ops` overhead on small tensors (median per call, alternating "
        "rounds; target cornu/torch <= 1.3):",
        "",
        *ops_overhead.table(op_rows),
        "",
        "Recurrent layers: cornu's fused path, its step loop and `torch.nn` "
        "(median of alternating rounds):",
        "",
        *rnn_paths.table(
            rnn_rows, rnn_paths.SHAPE.replace("100 steps", f"{rnn_steps} steps")
        ),
    ]
    lines += [
        "",
        f"Import: `import torch` {imports['torch']:.2f} s; `import cornu` adds "
        f"{imports['extra']:.2f} s on top of it (medians of new processes).",
        "",
        f"Each fit/predict row: {args.rounds} alternating rounds after a warm-up "
        "(cornu first in one round, the raw loop first in the next); a round is "
        "one epoch (or one predict pass) over the workload's data; cornu/raw is "
        "the median of the rounds' own ratios.",
    ]
    if os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        lines.append(
            "glibc's malloc kept freed memory for reuse in this run "
            f"(MALLOC_TRIM_THRESHOLD_={os.environ['MALLOC_TRIM_THRESHOLD_']}, "
            f"MALLOC_MMAP_THRESHOLD_={os.environ.get('MALLOC_MMAP_THRESHOLD_')}): "
            "otherwise each step's large activations are fresh pages from the "
            "kernel, and page faults, which vary from run to run, swamp the "
            "comparison. Both loops run in the same process, under the same "
            "allocator."
        )
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.output).write_text(text)
    return {
        "results": results,
        "keras": keras,
        "compile": compiled,
        "ops": op_rows,
        "rnn_paths": rnn_rows,
        "imports": imports,
        "machine": info,
    }


if __name__ == "__main__":
    main()
