"""Per-call cost of `keras.ops` on small torch tensors, against the bare torch call.

On small tensors the kernel takes a microsecond or two, so what an op adds
(argument checks, dtype rules, dispatch) shows directly in the ratio. Each
pair is timed alternately, cornu then torch, in short rounds.
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


def measure(calls: int = 500, rounds: int = 41) -> list[dict[str, Any]]:
    """Seconds per call of each op through cornu and through torch.

    Rounds are short and alternate cornu and torch, and the ratio is the
    median of each round's own ratio: the machine's speed drifts over
    seconds, and a round's two halves see nearly the same speed.
    """
    rows = []
    with torch.inference_mode():
        for name, (cornu_fn, torch_fn) in CASES.items():
            cornu_fn(), torch_fn()  # warm-up: first-call caches
            cornu_times, torch_times, ratios = [], [], []
            for _ in range(rounds):
                cornu_s = _per_call(cornu_fn, calls)
                torch_s = _per_call(torch_fn, calls)
                cornu_times.append(cornu_s)
                torch_times.append(torch_s)
                ratios.append(cornu_s / torch_s)
            rows.append(
                {
                    "name": name,
                    "cornu": statistics.median(cornu_times),
                    "torch": statistics.median(torch_times),
                    "ratio": statistics.median(ratios),
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
