"""Callbacks driven by a real `model.fit`."""

from __future__ import annotations

import csv
import math
import os
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu import layers
from cornu.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


def make_model(lr: float = 0.05) -> Any:
    model = keras.Sequential(
        [keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def make_data(n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]])).astype("float32")
    return x, y


def test_fit_returns_history_with_params() -> None:
    model = make_model()
    x, y = make_data()
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert isinstance(history, History)
    assert model.history is history
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 4}
    assert len(history.history["loss"]) == 3
    assert all(type(v) is float for v in history.history["loss"])


def test_fit_progress_in_a_log_is_one_line_per_epoch(capsys) -> None:
    model = make_model()
    x, y = make_data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("4/4 - ") and " - loss: " in lines[1]
    assert lines[2] == "Epoch 2/2"
    assert len(lines) == 4
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert capsys.readouterr().out == ""


def test_batch_logs_are_not_read_without_a_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cornu.trainers import logs as logs_module

    reads = []
    original = logs_module.LazyLogs._values

    def counting(self: Any) -> Any:
        reads.append(1)
        return original(self)

    monkeypatch.setattr(logs_module.LazyLogs, "_values", counting)
    model = make_model()
    x, y = make_data(64)
    steps = []
    # Overrides the batch hook but never looks at the logs.
    spy = LambdaCallback(on_train_batch_end=lambda batch, logs: steps.append(batch))
    model.fit(x, y, epochs=2, batch_size=4, verbose=2, callbacks=[spy])
    assert len(steps) == 32
    assert reads == []


def test_early_stopping_restores_best_epoch_weights() -> None:
    model = make_model(lr=0.05)
    x, y = make_data()
    per_epoch: list[list[np.ndarray]] = []
    capture = LambdaCallback(
        on_epoch_end=lambda epoch, logs: per_epoch.append(
            [w.copy() for w in model.get_weights()]
        )
    )
    # A learning rate schedule that blows training up after epoch 2 makes
    # the best epoch early and known.
    blow_up = LearningRateScheduler(lambda epoch, lr: 0.05 if epoch < 3 else 0.5)
    stop = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(
        x, y, epochs=20, batch_size=8, verbose=0, callbacks=[blow_up, capture, stop]
    )
    losses = history.history["loss"]
    best = int(np.argmin(losses))
    assert len(losses) < 20 and best == stop.best_epoch
    assert len(per_epoch) == len(losses)
    final = model.get_weights()
    for got, want in zip(final, per_epoch[best]):
        np.testing.assert_array_equal(got, want)
    # ...and not those of the last epoch.
    assert not all(np.array_equal(a, b) for a, b in zip(final, per_epoch[-1]))


def test_model_checkpoint_weights_per_epoch(tmp_path) -> None:
    model = make_model()
    x, y = make_data()
    path = str(tmp_path / "ckpt" / "w-{epoch:02d}-{loss:.2f}.weights.h5")
    saved = []
    track = LambdaCallback(on_epoch_end=lambda e, logs: saved.append(logs["loss"]))
    model.fit(
        x,
        y,
        epochs=3,
        batch_size=8,
        verbose=0,
        callbacks=[
            track,
            ModelCheckpoint(path, save_weights_only=True, monitor="loss"),
        ],
    )
    names = sorted(os.listdir(tmp_path / "ckpt"))
    assert names == [f"w-{i + 1:02d}-{saved[i]:.2f}.weights.h5" for i in range(3)]
    fresh = make_model()
    fresh.load_weights(str(tmp_path / "ckpt" / names[-1]))
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_best_only_whole_model(tmp_path) -> None:
    model = make_model()
    x, y = make_data()
    path = str(tmp_path / "best.keras")
    checkpoint = ModelCheckpoint(path, monitor="loss", save_best_only=True, verbose=1)
    saves = []
    real_save = model.save

    def counting_save(filepath: str, overwrite: bool = True, **kwargs: Any) -> None:
        saves.append(filepath)
        real_save(filepath, overwrite=overwrite, **kwargs)

    model.save = counting_save
    # Epoch 1's learning rate makes the loss jump: no save that epoch.
    schedule = LearningRateScheduler(lambda epoch, lr: 2.0 if epoch == 1 else 0.01)
    history = model.fit(
        x, y, epochs=3, batch_size=32, verbose=0, callbacks=[schedule, checkpoint]
    )
    losses = history.history["loss"]
    improved = [i for i, v in enumerate(losses) if v == min(losses[: i + 1])]
    assert len(saves) == len(improved) < 3
    assert os.path.exists(path)
    assert checkpoint.best == min(losses)
    assert os.listdir(tmp_path) == ["best.keras"]  # No temporary files left.


def test_model_checkpoint_initial_value_threshold(tmp_path) -> None:
    model = make_model()
    x, y = make_data()
    path = str(tmp_path / "m.weights.h5")
    checkpoint = ModelCheckpoint(
        path,
        monitor="loss",
        save_best_only=True,
        save_weights_only=True,
        initial_value_threshold=-1.0,
    )
    model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    assert not os.path.exists(path)


def test_model_checkpoint_every_n_batches(tmp_path) -> None:
    model = make_model()
    x, y = make_data()
    path = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    checkpoint = ModelCheckpoint(path, save_weights_only=True, save_freq=3)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[checkpoint])
    # 8 batches per epoch; a save every 3 batches across epochs.
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["e1-b3.weights.h5", "e1-b6.weights.h5", "e2-b1.weights.h5"]
        + ["e2-b4.weights.h5", "e2-b7.weights.h5"]
    )


def test_model_checkpoint_interrupted_save_keeps_previous_file(tmp_path) -> None:
    model = make_model()
    x, y = make_data()
    path = str(tmp_path / "latest.weights.h5")
    model.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[ModelCheckpoint(path, save_weights_only=True)],
    )
    with open(path, "rb") as f:
        before = f.read()
    assert before

    def failing_save(filepath: str, overwrite: bool = True) -> None:
        with open(filepath, "wb") as f:
            f.write(b"half a file")
        raise OSError("disk full")

    model.save_weights = failing_save
    with pytest.raises(OSError, match="disk full"):
        model.fit(
            x,
            y,
            epochs=1,
            verbose=0,
            callbacks=[ModelCheckpoint(path, save_weights_only=True)],
        )
    with open(path, "rb") as f:
        assert f.read() == before
    assert os.listdir(tmp_path) == ["latest.weights.h5"]


def test_model_checkpoint_argument_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        ModelCheckpoint(str(tmp_path / "w.h5x"), save_weights_only=True)
    with pytest.raises(ValueError, match="must end in `.keras`"):
        ModelCheckpoint(str(tmp_path / "m.pt"))
    with pytest.raises(ValueError, match="Unrecognized save_freq: often"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="often")
    model = make_model()
    x, y = make_data()
    checkpoint = ModelCheckpoint(str(tmp_path / "{nope}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    (tmp_path / "dir.keras").mkdir()
    checkpoint = ModelCheckpoint(str(tmp_path / "dir.keras"))
    with pytest.raises(OSError, match="non-directory filepath"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])


def test_model_checkpoint_missing_monitor_warns(tmp_path) -> None:
    model = make_model()
    x, y = make_data()
    checkpoint = ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match="only with val_loss available"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    assert os.path.exists(tmp_path / "m.keras")


def test_reduce_lr_on_plateau_in_fit() -> None:
    model = make_model(lr=0.0)  # No learning: the loss is flat.
    x, y = make_data()
    model.optimizer.learning_rate = 0.1
    # Freeze the weights so the loss cannot move.
    for layer in model.layers:
        layer.trainable = False
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.02)
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[reduce])
    # Each epoch logs the rate it trained with, before any reduction.
    assert history.history["learning_rate"] == pytest.approx(
        [0.1, 0.1, 0.05, 0.025, 0.02]
    )
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)


def test_learning_rate_scheduler_in_fit() -> None:
    model = make_model(lr=0.01)
    x, y = make_data()
    scheduler = LearningRateScheduler(
        lambda epoch, lr: lr if epoch < 2 else lr * math.exp(-0.1)
    )
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[scheduler])
    expected = [0.01, 0.01, 0.01 * math.exp(-0.1), 0.01 * math.exp(-0.2)]
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-6)


def test_terminate_on_nan_in_fit(capsys) -> None:
    model = make_model(lr=1e6)  # Diverges to inf/NaN within a few steps.
    x, y = make_data()
    x = x * 1e3
    history = model.fit(
        x, y, epochs=50, batch_size=4, verbose=0, callbacks=[TerminateOnNaN()]
    )
    assert len(history.history["loss"]) < 50
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    model = make_model(lr=1e6)
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch"):
        model.fit(
            x,
            y,
            epochs=50,
            batch_size=4,
            verbose=0,
            callbacks=[TerminateOnNaN(raise_error=True)],
        )


def test_csv_logger_in_fit(tmp_path) -> None:
    model = make_model()
    x, y = make_data()
    path = tmp_path / "log.csv"
    model.fit(
        x,
        y,
        epochs=2,
        verbose=0,
        validation_split=0.25,
        callbacks=[CSVLogger(str(path))],
    )
    model.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        validation_split=0.25,
        callbacks=[CSVLogger(str(path), append=True)],
    )
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "loss", "val_loss"]
    assert [r["epoch"] for r in rows] == ["0", "1", "0"]
    assert all(float(r["val_loss"]) > 0 for r in rows)


def test_stop_training_from_a_batch_hook() -> None:
    model = make_model()
    x, y = make_data()

    class StopAtBatch(Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if batch == 1:
                self.model.stop_training = True

    history = model.fit(
        x, y, epochs=5, batch_size=4, verbose=0, callbacks=[StopAtBatch()]
    )
    assert len(history.history["loss"]) == 1
    assert torch.is_tensor(model.weights[0])
