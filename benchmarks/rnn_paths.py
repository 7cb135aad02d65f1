"""`LSTM`/`GRU`: the fused path against the step loop and against `torch.nn`.

cornu runs `LSTM` and `GRU` on torch's fused kernels when the configuration
allows (default activations, no recurrent dropout, no unroll) and on a
Python step loop otherwise (`use_cudnn=False` forces it). Each row times one
forward and backward pass on the same input, alternating the three.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

import cornu as keras


def _pass(run: Callable[[], torch.Tensor]) -> Callable[[], None]:
    def step() -> None:
        run().sum().backward()

    return step


def _cases(kind: str, batch: int, steps: int, features: int, units: int) -> Any:
    x = torch.randn(batch, steps, features)
    layer_cls = keras.layers.LSTM if kind == "lstm" else keras.layers.GRU
    fused = layer_cls(units)
    loop = layer_cls(units, use_cudnn=False)
    fused.build((None, steps, features))
    loop.build((None, steps, features))
    loop.set_weights(fused.get_weights())
    torch_cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
    reference = torch_cls(features, units, batch_first=True)
    torch.testing.assert_close(fused(x), loop(x), rtol=1e-4, atol=1e-5)
    return {
        "fused": _pass(lambda: fused(x)),
        "step loop": _pass(lambda: loop(x)),
        "torch.nn": _pass(lambda: reference(x)[0][:, -1]),
    }


def measure(
    batch: int = 64,
    steps: int = 100,
    features: int = 32,
    units: int = 64,
    rounds: int = 5,
) -> list[dict[str, Any]]:
    """Median seconds per forward+backward pass of each path."""
    rows = []
    for kind in ("lstm", "gru"):
        cases = _cases(kind, batch, steps, features, units)
        for fn in cases.values():
            fn()  # warm-up
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, fn in cases.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        medians = {name: statistics.median(t) for name, t in times.items()}
        rows.append({"name": kind, **medians})
    return rows


def table(rows: list[dict[str, Any]], shape: str) -> list[str]:
    lines = [
        f"| {shape} | fused | step loop | torch.nn | fused/torch.nn | loop/fused |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name'].upper()} | {r['fused'] * 1e3:.2f} ms | "
            f"{r['step loop'] * 1e3:.2f} ms | {r['torch.nn'] * 1e3:.2f} ms | "
            f"{r['fused'] / r['torch.nn']:.2f} | {r['step loop'] / r['fused']:.1f}x |"
        )
    return lines


SHAPE = "forward+backward, batch 64, 100 steps, 32 -> 64"

if __name__ == "__main__":
    print("\n".join(table(measure(), SHAPE)))
