"""Per-call cost of `keras.ops` on small torch tensors, against the bare torch call.

On small tensors the kernel takes a microsecond or two, so what an op adds
(argument checks, dtype rules, dispatch) shows directly in the ratio. Each
pair is timed alternately, cornu then torch, and the medians are compared.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from cornu import ops

# name -> (cornu call, torch call doing the same work), on the inputs below.
_X = torch.randn(8, 16)
_Y = torch.randn(8, 16)
_W = torch.randn(16, 16)
_IDX = torch.tensor([0, 3, 5])

CASES: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "add": (lambda: ops.add(_X, _Y), lambda: torch.add(_X, _Y)),
    "matmul": (lambda: ops.matmul(_X, _W), lambda: torch.matmul(_X, _W)),
    "softmax": (
        lambda: ops.softmax(_X, axis=-1),
        lambda: torch.softmax(_X, dim=-1),
    ),
    "concatenate": (
        lambda: ops.concatenate([_X, _Y], axis=0),
        lambda: torch.cat([_X, _Y], dim=0),
    ),
    # Keras's `take` wraps negative indices; torch's function that does too
    # is tensor indexing (`index_select` would need an extra wrap first).
    "take": (lambda: ops.take(_X, _IDX, axis=1), lambda: _X[:, _IDX]),
}


def _per_call(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def measure(calls: int = 2000, rounds: int = 7) -> list[dict[str, Any]]:
    """Median seconds per call of each op through cornu and through torch."""
    rows = []
    with torch.inference_mode():
        for name, (cornu_fn, torch_fn) in CASES.items():
            cornu_fn(), torch_fn()  # warm-up: first-call caches
            cornu_times, torch_times = [], []
            for _ in range(rounds):
                cornu_times.append(_per_call(cornu_fn, calls))
                torch_times.append(_per_call(torch_fn, calls))
            cornu_s = statistics.median(cornu_times)
            torch_s = statistics.median(torch_times)
            rows.append(
                {
                    "name": name,
                    "cornu": cornu_s,
                    "torch": torch_s,
                    "ratio": cornu_s / torch_s,
                }
            )
    return rows


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| op (8x16 float32) | cornu per call | torch per call | cornu/torch |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['cornu'] * 1e6:.2f} µs | {r['torch'] * 1e6:.2f} µs "
            f"| {r['ratio']:.2f} |"
        )
    return lines


if __name__ == "__main__":
    torch.set_num_threads(1)
    print("\n".join(table(measure())))
