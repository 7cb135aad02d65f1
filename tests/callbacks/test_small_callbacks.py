"""Tests for CSVLogger, LambdaCallback, TerminateOnNaN and SwapEMAWeights."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu import layers
from cornu.callbacks import (
    CallbackList,
    CSVLogger,
    LambdaCallback,
    SwapEMAWeights,
    TerminateOnNaN,
)


def test_csv_logger_rows_and_formats(tmp_path) -> None:
    path = tmp_path / "log.tsv"
    logger = CSVLogger(str(path), separator="\t")
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5, "vec": np.array([1, 2]), "note": "a"})
    logger.on_epoch_end(1, {"loss": 0.25, "vec": [3, 4], "val_loss": 0.3})
    logger.on_train_end()
    assert logger.csv_file.closed
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch\tloss\tnote\tvec\tval_loss\tval_note\tval_vec"
    assert lines[1] == '0\t0.5\ta\t"""[1, 2]"""\tNA\tNA\tNA'
    assert lines[2].startswith("1\t0.25\tNA\t")
    assert lines[2].endswith("\t0.3\tNA\tNA")


def test_csv_logger_append_writes_header_once(tmp_path) -> None:
    path = tmp_path / "log.csv"
    for _ in range(2):
        logger = CSVLogger(path, append=True)
        logger.on_train_begin()
        logger.on_epoch_end(0, {"loss": 1.0})
        logger.on_train_end()
    assert path.read_text().splitlines() == [
        "epoch,loss,val_loss",
        "0,1.0,NA",
        "0,1.0,NA",
    ]
    logger = CSVLogger(path)  # Overwrites.
    logger.on_train_begin()
    logger.on_train_end()
    assert path.read_text() == ""


def test_lambda_callback_hooks() -> None:
    calls: list[Any] = []
    lam = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("eb", epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(("ee", epoch, logs)),
        on_train_begin=lambda logs: calls.append("tb"),
        on_train_end=lambda logs: calls.append("te"),
        on_train_batch_begin=lambda batch, logs: calls.append(("bb", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("be", batch)),
        on_predict_end=lambda logs: calls.append("pe"),
    )
    callbacks = CallbackList([lam])
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 1.0})
    callbacks.on_epoch_end(0, {"loss": 1.0})
    callbacks.on_train_end()
    callbacks.on_predict_begin()
    callbacks.on_predict_end()
    assert calls == [
        "tb",
        ("eb", 0),
        ("bb", 0),
        ("be", 0),
        ("ee", 0, {"loss": 1.0}),
        "te",
        "pe",
    ]


class StopFlag:
    stop_training = False


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan(bad: float, capsys) -> None:
    model = StopFlag()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"loss": 1.0})
    callback.on_train_batch_end(1, {})
    assert not model.stop_training
    callback.on_train_batch_end(2, {"loss": bad})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"
    with pytest.raises(RuntimeError, match=f"at batch 4. Loss value: {bad}"):
        TerminateOnNaN(raise_error=True).on_train_batch_end(4, {"loss": bad})


def test_terminate_on_nan_reads_only_the_loss(make_logs) -> None:
    logs = make_logs({"loss": 1.0, "accuracy": 0.5, "mae": 0.1})
    callback = TerminateOnNaN()
    callback.set_model(StopFlag())
    CallbackList([callback]).on_train_batch_end(0, logs)
    assert logs.reads == 1


def ema_model() -> Any:
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1, use_ema=True), loss="mse"
    )
    return model


def test_swap_ema_weights_around_evaluation() -> None:
    model = ema_model()
    x = np.random.rand(16, 2).astype("float32")
    y = np.random.rand(16, 1).astype("float32")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    optimizer = model.optimizer
    averages = [v.detach().clone() for v in optimizer._model_variables_moving_average]
    weights = [v.detach().clone() for v in optimizer._trainable_variables]
    seen = []
    probe = LambdaCallback(
        on_test_begin=lambda logs: seen.append(
            [v.detach().clone() for v in model.trainable_weights]
        )
    )
    model.evaluate(x, y, verbose=0, callbacks=[SwapEMAWeights(), probe])
    # During evaluation the model held the averages...
    for got, want in zip(seen[0], averages):
        assert torch.equal(got, want)
    # ...and afterwards its own weights again.
    for got, want in zip(optimizer._trainable_variables, weights):
        assert torch.equal(got, want)
    model.predict(x, verbose=0, callbacks=[SwapEMAWeights()])
    for got, want in zip(optimizer._trainable_variables, weights):
        assert torch.equal(got, want)


def test_swap_ema_weights_on_epoch() -> None:
    model = ema_model()
    x = np.random.rand(16, 2).astype("float32")
    y = np.random.rand(16, 1).astype("float32")
    seen = []
    probe = LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(
            (
                [v.detach().clone() for v in model.trainable_weights],
                [
                    v.detach().clone()
                    for v in model.optimizer._model_variables_moving_average
                ],
            )
        )
    )
    callback = SwapEMAWeights(swap_on_epoch=True)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback, probe])
    # Callbacks after it see the EMA weights at each epoch end; at the last
    # epoch the averages are made equal to them, so fit ends on them.
    weights, averages = seen[-1]
    for w, a in zip(weights, averages):
        assert torch.equal(w, a)


def test_swap_ema_weights_needs_use_ema() -> None:
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((4, 2), "float32")
    with pytest.raises(ValueError, match="`use_ema=True` is set on the optimizer"):
        model.evaluate(x, x[:, :1], verbose=0, callbacks=[SwapEMAWeights()])
