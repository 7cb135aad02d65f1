"""Sharded runs for `test_sharded_resume` and `test_model_parallel`.

Usage: python sharded_script.py OUT_DIR MODE; each process writes
OUT_DIR/<mode>_rank<R>.npz (and, for `resume`, the epochs each attempt
trained). Modes:

- `resume`: under `FullyShardedDataParallel` with Adam, a `fit` with
  `BackupAndRestore` that (under `torchrun --max-restarts=1`) rank 1 kills
  in epoch 2 on the first attempt, resumed on the second; then, in the same
  process, a `fit` that a callback stops mid-epoch, resumed by a second
  `fit`; then the same `fit` uninterrupted; then one epoch saved by
  `model.save`, loaded with its optimizer state and trained 2 more epochs.
  Alone, the same calls in one process (the reference).
- `model_parallel`: `fit` (with `ModelCheckpoint`), `evaluate`, `predict`,
  `get_weights`, `model.save` and `save_weights` under `ModelParallel` over
  a 1-D `"model"` mesh, with whole batches on each rank, then with batches
  split along the same axis, then over a `("batch", "model")` mesh of shape
  (2, 1); a `fit` stopped mid-epoch and resumed by `BackupAndRestore` into a
  new model; alone, the same calls in one process (the reference). Across
  processes, bad layout maps record their errors.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import numpy as np
import torch

torch.set_num_threads(1)

from ddp_script import Action, EpochLog  # noqa: E402  (this folder: the script's)

import cornu as keras  # noqa: E402
from cornu.distribution.runtime import full_value  # noqa: E402
from cornu.random.seed import set_random_seed  # noqa: E402

RANK = int(os.environ.get("RANK", "0"))
WORLD = int(os.environ.get("WORLD_SIZE", "1"))
ATTEMPT = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))


def data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(3)
    # Global batches of 7, 7 and 6 split 4 + 3, 4 + 3 and 3 + 3 over two
    # data ranks.
    x = rng.normal(size=(20, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 2)) + 0.1).astype("float32")
    xv = rng.normal(size=(10, 4)).astype("float32")
    yv = rng.normal(size=(10, 2)).astype("float32")
    return x, y, xv, yv


def compiled_mlp() -> keras.Model:
    set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="tanh", name="dense"),
            keras.layers.Dense(2, name="dense_1"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    return model


def fit(model: keras.Model, callbacks: list, epochs: int = 3) -> dict:
    x, y, _, _ = data()
    history = model.fit(
        x, y, batch_size=7, epochs=epochs, shuffle=True, verbose=0, callbacks=callbacks
    )
    return history.history


def _stop() -> None:
    raise KeyboardInterrupt("stopped by the test")


def resume_mode(out: str) -> dict:
    if WORLD > 1:
        keras.distribution.set_distribution(
            keras.distribution.FullyShardedDataParallel()
        )
    result: dict = {}
    # 1. Killed (rank 1, epoch 2, first attempt) and restarted by torchrun.
    model = compiled_mlp()
    log = os.path.join(out, f"epochs_attempt{ATTEMPT}_rank{RANK}.txt")
    callbacks: list = [
        EpochLog(log),
        keras.callbacks.BackupAndRestore(os.path.join(out, "backup_kill")),
    ]
    if WORLD > 1 and ATTEMPT == 0 and RANK == 1:
        callbacks.append(Action(2, 0, lambda: os._exit(3)))
    fit(model, callbacks)
    result.update({f"killed{i}": w for i, w in enumerate(model.get_weights())})
    # 2. Stopped by a callback in the middle of epoch 1, resumed in-process
    # from a backup taken every batch.
    model = compiled_mlp()
    backup = os.path.join(out, "backup_stop")
    try:
        fit(
            model,
            [
                keras.callbacks.BackupAndRestore(backup, save_freq=1),
                Action(1, 1, _stop),
            ],
        )
    except KeyboardInterrupt:
        pass
    result["stopped_at"] = np.array(int(model.optimizer.iterations.numpy()))
    history = fit(model, [keras.callbacks.BackupAndRestore(backup, save_freq=1)])
    result["stopped_epochs"] = np.array(len(history["loss"]))
    result.update({f"stopped{i}": w for i, w in enumerate(model.get_weights())})
    optimizer_values = [
        full_value(v).detach().numpy().copy() for v in model.optimizer.variables
    ]
    result.update({f"slots{i}": v for i, v in enumerate(optimizer_values)})
    # 3. The same training, uninterrupted.
    model = compiled_mlp()
    fit(model, [])
    result.update({f"w{i}": w for i, w in enumerate(model.get_weights())})
    # 4. One epoch, saved with its optimizer state, loaded into a new
    # (unsharded) model whose optimizer is built, then trained on.
    model = compiled_mlp()
    fit(model, [], epochs=1)
    path = os.path.join(out, "one_epoch.keras")
    model.save(path)
    if WORLD > 1:
        torch.distributed.barrier()  # rank 0's file is complete
    loaded = keras.saving.load_model(path)
    fit(loaded, [], epochs=2)
    result.update({f"loaded{i}": w for i, w in enumerate(loaded.get_weights())})
    if WORLD > 1:
        parts = [w.to_local() for w in model.weights]  # type: ignore[attr-defined]
        result["shard_rows"] = np.array([p.shape[0] for p in parts])
    return result


def layout_map(mesh: Any) -> Any:
    layouts = keras.distribution.LayoutMap(mesh)
    layouts[".*dense.*kernel"] = (None, "model")  # both kernels, by columns
    layouts[".*dense/bias"] = ("model",)
    return layouts  # dense_1/bias: replicated


def model_parallel(
    batch_dim_name: str | None, shape: tuple = (2,), axes: tuple = ("model",)
) -> Any:
    """A ModelParallel strategy over a mesh of 2 devices (alone: None)."""
    devices = [f"cpu:{i}" for i in range(2)]
    mesh = keras.distribution.DeviceMesh(shape, list(axes), devices)
    strategy = keras.distribution.ModelParallel(
        layout_map=layout_map(mesh), batch_dim_name=batch_dim_name
    )
    return strategy if WORLD > 1 else None


def model_parallel_run(out: str, name: str, strategy: Any) -> dict:
    """Fit, evaluate, predict and save under `strategy`."""
    model = compiled_mlp()
    x, y, xv, yv = data()
    with keras.distribution.set_distribution(strategy):
        checkpoint = keras.callbacks.ModelCheckpoint(
            os.path.join(out, f"{name}_ckpt_rank{RANK}.weights.h5"),
            save_weights_only=True,
        )
        history = fit(model, [checkpoint])
        evaluation = model.evaluate(xv, yv, batch_size=4, verbose=0, return_dict=True)
        predictions = model.predict(xv, batch_size=4, verbose=0)
        result = {
            "history": json.dumps(history),
            "evaluation": json.dumps(evaluation),
            "predictions": predictions,
            **{f"w{i}": w for i, w in enumerate(model.get_weights())},
        }
        if WORLD > 1:
            parts = [w.to_local() for w in model.weights]  # type: ignore[attr-defined]
            result["local_shapes"] = np.array([str(tuple(p.shape)) for p in parts])
            slots = [v for v in model.optimizer.variables if v.ndim > 0]
            result["slot_shapes"] = np.array([str(tuple(v.shape)) for v in slots])
            result["data_world"] = np.array(model.__dict__["_dist_runtime"].data_world)
        result["paths"] = np.array([str(w.path) for w in model.weights])
        model.save(os.path.join(out, f"{name}_rank{RANK}.keras"))
        model.save_weights(os.path.join(out, f"{name}_rank{RANK}.weights.h5"))
    return {f"{name}_{k}": v for k, v in result.items()}


def bad_layout(kind: str) -> str:
    """The error a bad layout map gives at `fit` (across processes)."""
    devices = [f"cpu:{i}" for i in range(2)]
    mesh = keras.distribution.DeviceMesh((2,), ["model"], devices)
    layouts = keras.distribution.LayoutMap(mesh)
    if kind == "unknown_key":
        layouts[".*conv.*kernel"] = (None, "model")
    elif kind == "indivisible":
        layouts[".*dense_1/bias"] = ("model",)
    elif kind == "rank":
        layouts[".*dense/kernel"] = ("model",)
    else:  # a mesh of 4 devices in a job of 2 processes
        big = keras.distribution.DeviceMesh(
            (4,), ["model"], [f"cpu:{i}" for i in range(4)]
        )
        layouts = keras.distribution.LayoutMap(big)
        layouts[".*dense/kernel"] = (None, "model")
    model = compiled_mlp()
    if kind == "indivisible":  # dense_1/bias of shape (3,)
        set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(8, name="dense"),
                keras.layers.Dense(3, name="dense_1"),
            ]
        )
        model.compile(optimizer="sgd", loss="mse")
    x, y, _, _ = data()
    if kind == "indivisible":
        y = np.concatenate([y, y[:, :1]], axis=1)
    strategy = keras.distribution.ModelParallel(layout_map=layouts)
    with keras.distribution.set_distribution(strategy):
        try:
            model.fit(x, y, batch_size=7, epochs=1, verbose=0)
        except ValueError as e:
            return str(e)
    return ""


def model_parallel_resume(out: str, strategy: Any) -> dict:
    """A `fit` stopped mid-epoch, resumed by a new model from the backup."""
    backup = os.path.join(out, "backup_model_parallel")
    with keras.distribution.set_distribution(strategy):
        try:
            fit(
                compiled_mlp(),
                [
                    keras.callbacks.BackupAndRestore(backup, save_freq=1),
                    Action(1, 1, _stop),
                ],
            )
        except KeyboardInterrupt:
            pass
        # A new model, as after a restart: laid out, then restored.
        model = compiled_mlp()
        fit(model, [keras.callbacks.BackupAndRestore(backup, save_freq=1)])
        return {f"resumed_w{i}": w for i, w in enumerate(model.get_weights())}


def model_parallel_mode(out: str) -> dict:
    # A mesh of model axis only: every rank reads whole batches.
    result = model_parallel_run(out, "replicated", model_parallel("batch"))
    # Keras's default batch axis, the mesh's first: the "model" axis splits
    # each batch too (4 + 3 samples), while it splits the weights.
    result.update(model_parallel_run(out, "split", model_parallel(None)))
    # A 2-D mesh: batches split along "batch", weights over "model" (size 1).
    mesh2d = model_parallel(None, (2, 1), ("batch", "model"))
    result.update(model_parallel_run(out, "mesh2d", mesh2d))
    result.update(model_parallel_resume(out, model_parallel(None)))
    if WORLD > 1:
        for kind in ("unknown_key", "indivisible", "rank", "big_mesh"):
            result[f"error_{kind}"] = np.array(bad_layout(kind))
    return result


def main(out: str, mode: str) -> None:
    result = resume_mode(out) if mode == "resume" else model_parallel_mode(out)
    np.savez(os.path.join(out, f"{mode}_rank{RANK}.npz"), **result)
    if WORLD > 1:
        torch.distributed.barrier()


if __name__ == "__main__":
    main(*sys.argv[1:])
