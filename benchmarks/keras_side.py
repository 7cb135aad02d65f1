"""The benchmark workloads run through Keras 3 itself (in its own process).

Prints one JSON line: `{workload: seconds per step (median)}`. Run by
`run.py` with `KERAS_BACKEND` set; never imported by cornu.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _build(kind: str, size: int) -> tuple[Callable[[], Any], int]:
    import keras
    from keras import layers

    rng = np.random.default_rng(0)
    if kind == "tiny":
        x = rng.standard_normal((size, 20)).astype("float32")
        y = (x[:, :1] > 0).astype("float32")
        model = keras.Sequential(
            [keras.Input((20,)), layers.Dense(64, activation="relu"), layers.Dense(1)]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)],
        )
        return lambda: model.fit(x, y, batch_size=32, epochs=1, verbose=0), math.ceil(
            size / 32
        )
    if kind in ("mlp", "predict"):
        x = rng.random((size, 784), dtype=np.float32)
        y = rng.integers(0, 10, size=(size,))
        model = keras.Sequential(
            [
                keras.Input((784,)),
                layers.Dense(512, activation="relu"),
                layers.Dense(512, activation="relu"),
                layers.Dense(10),
            ]
        )
        if kind == "predict":
            return lambda: model.predict(x, batch_size=256, verbose=0), math.ceil(
                size / 256
            )
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return lambda: model.fit(x, y, batch_size=128, epochs=1, verbose=0), math.ceil(
            size / 128
        )
    if kind == "cnn":
        x = rng.random((size, 32, 32, 3), dtype=np.float32)
        y = rng.integers(0, 10, size=(size,))
        model = keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                layers.Conv2D(32, 3, activation="relu", padding="same"),
                layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, activation="relu", padding="same"),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dense(10),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0), math.ceil(
            size / 64
        )
    if kind == "rnn":
        x = rng.integers(1, 1000, size=(size, 100))
        y = rng.integers(0, 2, size=(size, 1)).astype("float32")
        model = keras.Sequential(
            [
                keras.Input((100,), dtype="int64"),
                layers.Embedding(1000, 32),
                layers.LSTM(64),
                layers.Dense(1),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)],
        )
        return lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0), math.ceil(
            size / 64
        )
    raise ValueError(f"unknown workload {kind!r}")


DEFAULT_SIZES = {
    "tiny": 16384,
    "mlp": 12800,
    "predict": 25600,
    "cnn": 3200,
    "rnn": 1280,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", default="tiny,mlp,cnn,predict,rnn")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    out = {}
    for name in args.workloads.split(","):
        if name not in DEFAULT_SIZES:
            continue
        run, steps = _build(name, max(64, int(DEFAULT_SIZES[name] * args.scale)))
        run()  # warm-up
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) / steps)
        out[name] = statistics.median(times)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
