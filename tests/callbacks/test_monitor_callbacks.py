"""Tests for EarlyStopping, ReduceLROnPlateau and LearningRateScheduler on a
stand-in model (the fit-based tests live in test_callbacks_fit.py)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from cornu.callbacks import (
    CallbackList,
    EarlyStopping,
    LearningRateScheduler,
    ReduceLROnPlateau,
)
from cornu.callbacks.monitor_callback import MonitorCallback


def run_epochs(callback: Any, model: Any, values: list[float], key: str) -> int:
    """Feeds epoch logs until the model asks to stop; returns epochs run."""
    callbacks = CallbackList([callback], model=model, epochs=len(values))
    callbacks.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        callbacks.on_epoch_begin(epoch)
        model.weights_value = [np.full((2,), float(epoch), "float32")]
        callbacks.on_epoch_end(epoch, {key: value})
        ran += 1
        if model.stop_training:
            break
    callbacks.on_train_end()
    return ran


def test_early_stopping_patience(fake_model) -> None:
    stop = EarlyStopping(monitor="loss", patience=2)
    ran = run_epochs(stop, fake_model, [1.0, 0.9, 0.95, 0.92, 0.5], "loss")
    assert ran == 4
    assert stop.stopped_epoch == 3 and stop.best == 0.9


def test_early_stopping_min_delta(fake_model) -> None:
    stop = EarlyStopping(monitor="loss", min_delta=0.2, patience=1)
    ran = run_epochs(stop, fake_model, [1.0, 0.9, 0.85, 0.1], "loss")
    # 0.9 and 0.85 do not beat 1.0 by 0.2.
    assert ran == 2


def test_early_stopping_max_mode_and_auto_direction(fake_model) -> None:
    stop = EarlyStopping(monitor="val_auc", mode="max", patience=0)
    assert run_epochs(stop, fake_model, [0.5, 0.6, 0.55], "val_auc") == 3

    class Metric:
        name = "auc"
        _direction = "up"

    fake_model.metrics = [Metric()]
    fake_model.stop_training = False
    stop = EarlyStopping(monitor="val_auc", patience=0)
    assert run_epochs(stop, fake_model, [0.5, 0.6, 0.55], "val_auc") == 3
    assert stop.best == 0.6


def test_auto_mode_needs_a_direction(fake_model) -> None:
    stop = EarlyStopping(monitor="val_custom")
    stop.set_model(fake_model)
    with pytest.raises(ValueError, match="monitor=val_custom.*mode='max'"):
        stop.on_epoch_end(0, {"val_custom": 1.0})


def test_unknown_mode_warns_and_falls_back() -> None:
    with pytest.warns(UserWarning, match="mode 'sideways' is unknown"):
        stop = EarlyStopping(mode="sideways")
    assert stop.mode == "auto"


def test_missing_monitor_warns(fake_model) -> None:
    stop = EarlyStopping(monitor="val_loss")
    stop.set_model(fake_model)
    stop.on_train_begin()
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        stop.on_epoch_end(0, {"loss": 1.0})
    assert not fake_model.stop_training


def test_early_stopping_baseline(fake_model) -> None:
    values = [0.9, 0.8, 0.85, 0.84, 0.83]
    # Improvements that do not beat the baseline do not restart the patience.
    stop = EarlyStopping(monitor="loss", baseline=0.5, patience=2)
    assert run_epochs(stop, fake_model, values, "loss") == 3
    fake_model.stop_training = False
    stop = EarlyStopping(monitor="loss", patience=2)
    assert run_epochs(stop, fake_model, values, "loss") == 4


def test_early_stopping_start_from_epoch(fake_model) -> None:
    stop = EarlyStopping(monitor="loss", patience=0, start_from_epoch=3)
    assert run_epochs(stop, fake_model, [1.0, 2.0, 3.0, 4.0, 5.0], "loss") == 5


def test_early_stopping_restores_best_weights(fake_model) -> None:
    stop = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    run_epochs(stop, fake_model, [1.0, 0.4, 0.6, 0.7, 0.1], "loss")
    np.testing.assert_array_equal(fake_model.weights_value[0], [1.0, 1.0])
    assert stop.best_epoch == 1


def test_early_stopping_verbose_messages(fake_model, capsys) -> None:
    stop = EarlyStopping(
        monitor="loss", patience=0, verbose=1, restore_best_weights=True
    )
    run_epochs(stop, fake_model, [1.0, 2.0], "loss")
    assert capsys.readouterr().out == (
        "Epoch 2: early stopping\n"
        "Restoring model weights from the end of the best epoch: 1.\n"
    )


def test_early_stopping_reusable(fake_model) -> None:
    stop = EarlyStopping(monitor="loss", patience=0)
    run_epochs(stop, fake_model, [1.0, 2.0], "loss")
    fake_model.stop_training = False
    assert run_epochs(stop, fake_model, [5.0, 4.0, 3.0], "loss") == 3


def test_monitor_callback_min_delta_sign() -> None:
    monitor = MonitorCallback(monitor="loss", min_delta=0.1)
    monitor._set_monitor_op()
    assert monitor._is_improvement(0.85, 1.0)
    assert not monitor._is_improvement(0.95, 1.0)
    assert monitor._is_improvement(123.0, None)


def test_reduce_lr_on_plateau(fake_model) -> None:
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.003)
    seen = []
    callbacks = CallbackList([reduce], model=fake_model)
    callbacks.on_train_begin()
    for epoch, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"loss": loss}
        callbacks.on_epoch_end(epoch, logs)
        seen.append(fake_model.optimizer.learning_rate)
    assert seen == pytest.approx([0.01, 0.005, 0.003, 0.003, 0.003])


def test_reduce_lr_cooldown_and_logs(fake_model, capsys) -> None:
    reduce = ReduceLROnPlateau(
        monitor="loss", factor=0.1, patience=0, cooldown=2, verbose=1
    )
    reduce.set_model(fake_model)
    reduce.on_train_begin()
    lrs = []
    for epoch in range(5):
        logs = {"loss": 1.0}
        reduce.on_epoch_end(epoch, logs)
        lrs.append(fake_model.optimizer.learning_rate)
        assert "learning_rate" in logs
    # Epoch 0 sets the best; 1 reduces; 2 cools down (the cooldown counter
    # ticks at the start of each epoch's check); 3 reduces; 4 cools down.
    assert lrs == pytest.approx([0.01, 0.001, 0.001, 0.0001, 0.0001])
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to" in (
        capsys.readouterr().out
    )


def test_reduce_lr_rejects_factor() -> None:
    with pytest.raises(ValueError, match="factor >= 1.0. Received factor=1.5"):
        ReduceLROnPlateau(factor=1.5)


def test_reduce_lr_reads_tensor_learning_rate(fake_model) -> None:
    fake_model.optimizer.learning_rate = torch.tensor(0.1)
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0)
    reduce.set_model(fake_model)
    reduce.on_train_begin()
    reduce.on_epoch_end(0, {"loss": 1.0})
    reduce.on_epoch_end(1, {"loss": 1.0})
    assert fake_model.optimizer.learning_rate == pytest.approx(0.05)


def test_learning_rate_scheduler(fake_model, capsys) -> None:
    scheduler = LearningRateScheduler(
        lambda epoch, lr: lr if epoch < 1 else lr * math.exp(-0.1), verbose=1
    )
    callbacks = CallbackList([scheduler], model=fake_model, add_history=True)
    callbacks.on_train_begin()
    for epoch in range(3):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    expected = [0.01, 0.01 * math.exp(-0.1), 0.01 * math.exp(-0.2)]
    assert fake_model.history.history["learning_rate"] == pytest.approx(expected)
    assert "Epoch 2: LearningRateScheduler setting learning rate to" in (
        capsys.readouterr().out
    )


def test_learning_rate_scheduler_epoch_only_and_numpy(fake_model) -> None:
    scheduler = LearningRateScheduler(lambda epoch: np.float32(0.5) / (epoch + 1))
    scheduler.set_model(fake_model)
    scheduler.on_epoch_begin(1)
    assert fake_model.optimizer.learning_rate == 0.25


def test_learning_rate_scheduler_rejects_non_float(fake_model) -> None:
    scheduler = LearningRateScheduler(lambda epoch, lr: "fast")
    scheduler.set_model(fake_model)
    with pytest.raises(ValueError, match="should be a float. Got: fast"):
        scheduler.on_epoch_begin(0)
