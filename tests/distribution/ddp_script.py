"""Trains a tiny model; run alone or under `torchrun` (used by the tests).

Usage: python ddp_script.py OUT_DIR  (each process writes OUT_DIR/rank<R>.npz)
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)

import cornu as keras  # noqa: E402
from cornu.random.seed import set_random_seed  # noqa: E402


def main(out_dir: str) -> None:
    rank = int(os.environ.get("RANK", "0"))
    set_random_seed(0)  # cornu.random.seed: independent of cornu.utils
    rng = np.random.default_rng(0)
    # 21 samples in global batches of 7: each batch splits 4 + 3 over two
    # ranks, so the gradient weighting by local sample count is exercised.
    x = rng.normal(size=(21, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1)) + 0.1).astype("float32")
    xv = rng.normal(size=(10, 4)).astype("float32")
    yv = rng.normal(size=(10, 1)).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    checkpoint = keras.callbacks.ModelCheckpoint(
        os.path.join(out_dir, f"ckpt_rank{rank}.weights.h5"), save_weights_only=True
    )
    history = model.fit(
        x,
        y,
        batch_size=7,
        epochs=3,
        shuffle=True,
        verbose=0,
        validation_data=(xv, yv),
        callbacks=[checkpoint],
    )
    evaluation = model.evaluate(xv, yv, batch_size=4, verbose=0, return_dict=True)
    predictions = model.predict(xv, batch_size=4, verbose=0)
    np.savez(
        os.path.join(out_dir, f"rank{rank}.npz"),
        predictions=predictions,
        history=json.dumps(history.history),
        evaluation=json.dumps(evaluation),
        **{f"w{i}": w for i, w in enumerate(model.get_weights())},
    )


if __name__ == "__main__":
    main(sys.argv[1])
