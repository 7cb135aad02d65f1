"""Trains tiny models; run alone or under `torchrun` (used by the tests).

Usage: python ddp_script.py OUT_DIR [MODE [ARG]]; each process writes
OUT_DIR/<mode>_rank<R>.npz. Modes:

- `main`: `fit` (with file-writing callbacks), `evaluate`, `predict`,
  `model.save`, a `GradientTape` loop, an overridden `train_step`, and,
  with ARG, loading the `.keras` file ARG and training it one more epoch.
- `fit`: the `fit` of `main` alone, then the same `fit` (with
  `ModelCheckpoint`), `evaluate`, `predict`, `get_weights`, `model.save`
  and `save_weights` under `FullyShardedDataParallel` (results `fsdp_*`);
  the saved weights and a `save_checkpoint` directory are loaded back into
  another sharded model, and the `.keras` file ARG (saved by one process)
  into a sharded model.
- `restart`: the `fit` of `main` with `BackupAndRestore` in ARG; on the
  first attempt under `torchrun` rank 1 dies in epoch 2.
- `kill` / `hang`: rank 1 dies (SIGKILL) or stops answering in epoch 1.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)

import cornu as keras  # noqa: E402
from cornu.random.seed import set_random_seed  # noqa: E402

RANK = int(os.environ.get("RANK", "0"))
WORLD = int(os.environ.get("WORLD_SIZE", "1"))


def data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    # 21 samples in global batches of 7: each batch splits 4 + 3 over two
    # ranks, so the gradient weighting by local sample count is exercised.
    x = rng.normal(size=(21, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1)) + 0.1).astype("float32")
    xv = rng.normal(size=(10, 4)).astype("float32")
    yv = rng.normal(size=(10, 1)).astype("float32")
    return x, y, xv, yv


def mlp() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1),
        ]
    )


def compiled_mlp(optimizer: object = None) -> keras.Model:
    set_random_seed(0)  # cornu.random.seed: independent of cornu.utils
    model = mlp()
    optimizer = optimizer or keras.optimizers.SGD(0.1)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


class Action(keras.callbacks.Callback):
    """Runs `action` once, at the end of batch `batch` of epoch `epoch`."""

    def __init__(self, epoch: int, batch: int, action: object) -> None:
        super().__init__()
        self.at = (epoch, batch)
        self.action = action
        self.epoch = -1

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: object = None) -> None:
        if (self.epoch, batch) == self.at:
            self.action()  # type: ignore[operator]


class EpochLog(keras.callbacks.Callback):
    """Appends each epoch this process trains to a file."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        with open(self.path, "a") as f:
            f.write(f"{epoch}\n")


def fit(model: keras.Model, callbacks: list, epochs: int = 3) -> dict:
    x, y, xv, yv = data()
    history = model.fit(
        x,
        y,
        batch_size=7,
        epochs=epochs,
        shuffle=True,
        verbose=0,
        validation_data=(xv, yv),
        callbacks=callbacks,
    )
    return history.history


def gradient_tape_loop() -> list[np.ndarray]:
    """Three SGD-with-momentum steps on global batches of 6 in a custom loop."""
    set_random_seed(1)
    model = mlp()
    optimizer = keras.optimizers.SGD(0.05, momentum=0.9)
    x, y, _, _ = data()
    per_rank = 6 // WORLD
    for step in range(3):
        lo = step * 6 + RANK * per_rank
        xb = torch.from_numpy(x[lo : lo + per_rank])
        yb = torch.from_numpy(y[lo : lo + per_rank])
        with keras.GradientTape() as tape:
            loss = torch.mean((model(xb) - yb) ** 2)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
    return model.get_weights()


class CustomStep(keras.Model):
    """A model whose `train_step` is the user's own."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.hidden(x))

    def train_step(self, data: tuple) -> dict:
        x, y = data[0], data[1]
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred)
        self.zero_grad()
        loss.backward()
        weights = self.trainable_weights
        self.optimizer.apply([w.grad for w in weights], weights)
        return self.compute_metrics(x, y, y_pred)


def custom_train_step() -> list[np.ndarray]:
    set_random_seed(2)
    model = CustomStep()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x, y, _, _ = data()
    model.fit(x, y, batch_size=7, epochs=2, shuffle=False, verbose=0)
    return model.get_weights()


def barrier() -> None:
    if WORLD > 1:
        torch.distributed.barrier()


def main_mode(out: str, load_path: str | None) -> dict:
    model = compiled_mlp()
    backup = os.path.join(out, f"backup_rank{RANK}")
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            os.path.join(out, f"ckpt_rank{RANK}.weights.h5"), save_weights_only=True
        ),
        keras.callbacks.CSVLogger(os.path.join(out, f"log_rank{RANK}.csv")),
        keras.callbacks.BackupAndRestore(backup, delete_checkpoint=False),
    ]
    history = fit(model, callbacks)
    _, _, xv, yv = data()
    evaluation = model.evaluate(xv, yv, batch_size=4, verbose=0, return_dict=True)
    predictions = model.predict(xv, batch_size=4, verbose=0)
    model.save(os.path.join(out, f"model_rank{RANK}.keras"))
    model.save_weights(os.path.join(out, f"saved_rank{RANK}.weights.h5"))
    result = {
        "predictions": predictions,
        "history": json.dumps(history),
        "evaluation": json.dumps(evaluation),
        **{f"w{i}": w for i, w in enumerate(model.get_weights())},
        **{f"tape{i}": w for i, w in enumerate(gradient_tape_loop())},
        **{f"step{i}": w for i, w in enumerate(custom_train_step())},
    }
    if load_path:
        loaded = keras.saving.load_model(load_path)
        result["loaded_predictions"] = loaded.predict(xv, batch_size=4, verbose=0)
        fit(loaded, [], epochs=1)
        for i, w in enumerate(loaded.get_weights()):
            result[f"loaded{i}"] = w
    return result


def restart_mode(out: str, backup_dir: str) -> dict:
    attempt = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
    model = compiled_mlp()
    callbacks: list = [
        EpochLog(os.path.join(out, f"epochs_attempt{attempt}_rank{RANK}.txt")),
        keras.callbacks.BackupAndRestore(backup_dir),
    ]
    if attempt == 0 and RANK == 1:
        callbacks.append(Action(2, 0, lambda: os._exit(3)))
    fit(model, callbacks)
    return {f"w{i}": w for i, w in enumerate(model.get_weights())}


def fsdp_mode(out: str, seed_path: str | None) -> dict:
    keras.distribution.set_distribution(keras.distribution.FullyShardedDataParallel())
    # Adam: its slots are sharded like the weights (1/N on each rank).
    model = compiled_mlp(keras.optimizers.Adam(0.05))
    checkpoint = keras.callbacks.ModelCheckpoint(
        os.path.join(out, f"fsdp_ckpt_rank{RANK}.weights.h5"), save_weights_only=True
    )
    history = fit(model, [checkpoint])
    _, _, xv, yv = data()
    evaluation = model.evaluate(xv, yv, batch_size=4, verbose=0, return_dict=True)
    predictions = model.predict(xv, batch_size=4, verbose=0)
    sharded = WORLD > 1
    shards = [w.to_local().shape[0] if sharded else w.shape[0] for w in model.weights]
    full = [
        (w.full_tensor() if sharded else w).detach().numpy().copy()
        for w in model.weights
    ]
    result = {
        "history": json.dumps(history),
        "evaluation": json.dumps(evaluation),
        "predictions": predictions,
        "shard_rows": np.array(shards),
        **{f"w{i}": w for i, w in enumerate(full)},
        **{f"get{i}": w for i, w in enumerate(model.get_weights())},
        "paths": np.array([str(getattr(w, "path", None)) for w in model.weights]),
    }
    model.save(os.path.join(out, f"fsdp_model_rank{RANK}.keras"))
    model.save_weights(os.path.join(out, f"fsdp_rank{RANK}.weights.h5"))
    barrier()  # rank 0's file is complete before the ranks read it
    # Loading into a sharded model: another model, sharded by its first call.
    set_random_seed(7)
    other = mlp()
    other.predict(xv[:4], batch_size=4, verbose=0)
    other.load_weights(os.path.join(out, "fsdp_rank0.weights.h5"))
    for i, w in enumerate(other.get_weights()):
        result[f"reloaded{i}"] = w
    # A sharded checkpoint: each rank writes and reads its own parts.
    keras.distribution.save_checkpoint(model, os.path.join(out, "fsdp.distcp"))
    other.set_weights([np.zeros_like(w) for w in other.get_weights()])
    keras.distribution.load_checkpoint(other, os.path.join(out, "fsdp.distcp"))
    for i, w in enumerate(other.get_weights()):
        result[f"distcp{i}"] = w
    if seed_path:
        # A file saved by one process: loaded, sharded, overwritten with
        # zeros, then loaded again and changed with `set_weights`.
        seed = keras.saving.load_model(seed_path)
        result["seed_predictions"] = seed.predict(xv, batch_size=4, verbose=0)
        seed.set_weights([np.zeros_like(w) for w in seed.get_weights()])
        seed.load_weights(seed_path)
        result["seed_loaded_predictions"] = seed.predict(xv, batch_size=4, verbose=0)
        seed.set_weights([2 * w for w in seed.get_weights()])
        result["seed_doubled_predictions"] = seed.predict(xv, batch_size=4, verbose=0)
    return result


def fault_mode(mode: str) -> None:
    model = compiled_mlp()
    callbacks = []
    if RANK == 1:
        if mode == "kill":
            action = lambda: os.kill(os.getpid(), signal.SIGKILL)  # noqa: E731
        else:
            action = lambda: time.sleep(600)  # noqa: E731
        callbacks.append(Action(1, 0, action))
    fit(model, callbacks)


def main(out: str, mode: str = "main", arg: str | None = None) -> None:
    if mode in ("kill", "hang"):
        fault_mode(mode)
        return
    if mode == "main":
        result = main_mode(out, arg)
    elif mode == "restart":
        result = restart_mode(out, str(arg))
    else:
        model = compiled_mlp()
        history = fit(model, [])
        result = {f"w{i}": w for i, w in enumerate(model.get_weights())}
        result["history"] = json.dumps(history)
        result.update({f"fsdp_{k}": v for k, v in fsdp_mode(out, arg).items()})
    np.savez(os.path.join(out, f"{mode}_rank{RANK}.npz"), **result)
    barrier()


if __name__ == "__main__":
    main(*sys.argv[1:])
