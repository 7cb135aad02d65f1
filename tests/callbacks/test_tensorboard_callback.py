"""Tests for the `TensorBoard` callback (event files read back when the
`tensorboard` package is installed)."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

import cornu as keras
from cornu import layers
from cornu.callbacks import TensorBoard
from cornu.callbacks import tensorboard as tensorboard_module


def test_missing_package_is_a_clear_import_error(monkeypatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "tensorboard" else real_find_spec(name, *args)

    monkeypatch.setattr(tensorboard_module.importlib.util, "find_spec", find_spec)
    with pytest.raises(ImportError, match="pip install tensorboard"):
        TensorBoard("logs")


def read_events(directory: str) -> Any:
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )

    events = EventAccumulator(directory, size_guidance={"scalars": 0})
    events.Reload()
    return events


def make_model() -> Any:
    model = keras.Sequential(
        [keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def test_argument_errors() -> None:
    pytest.importorskip("tensorboard")
    with pytest.raises(ValueError, match="Profiling is not yet available"):
        TensorBoard("logs", profile_batch=2)
    with pytest.raises(ValueError, match="Received: update_freq='often'"):
        TensorBoard("logs", update_freq="often")


def test_epoch_and_batch_scalars_and_histograms(tmp_path) -> None:
    pytest.importorskip("tensorboard")
    model = make_model()
    x = np.random.rand(32, 4).astype("float32")
    y = np.random.rand(32, 1).astype("float32")
    callback = TensorBoard(str(tmp_path), histogram_freq=1, update_freq=2)
    history = model.fit(
        x,
        y,
        epochs=2,
        batch_size=8,
        validation_split=0.25,
        verbose=0,
        callbacks=[callback],
    )
    train = read_events(str(tmp_path / "train"))
    tags = train.Tags()
    assert {"epoch_loss", "epoch_learning_rate", "batch_loss"} <= set(tags["scalars"])
    epoch_loss = train.Scalars("epoch_loss")
    assert [e.step for e in epoch_loss] == [0, 1]
    assert epoch_loss[1].value == pytest.approx(history.history["loss"][1])
    # 3 batches per epoch, logged every 2nd batch overall.
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6]
    assert any(t.endswith("/histogram") for t in tags["histograms"])
    val = read_events(str(tmp_path / "validation"))
    assert [e.value for e in val.Scalars("epoch_loss")] == pytest.approx(
        history.history["val_loss"]
    )


def test_evaluate_writes_vs_iterations(tmp_path) -> None:
    pytest.importorskip("tensorboard")
    model = make_model()
    x = np.random.rand(16, 4).astype("float32")
    y = np.random.rand(16, 1).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    callback = TensorBoard(str(tmp_path))
    model.evaluate(x, y, verbose=0, callbacks=[callback])
    callback.on_train_end()  # Closes the writers.
    val = read_events(str(tmp_path / "validation"))
    (event,) = val.Scalars("evaluation_loss_vs_iterations")
    assert event.step == 2


def test_epoch_mode_never_reads_batch_logs(tmp_path, make_logs) -> None:
    pytest.importorskip("tensorboard")
    callback = TensorBoard(str(tmp_path))
    logs = make_logs({"loss": 1.0})
    for step in range(5):
        callback.on_train_batch_begin(step)
        callback.on_train_batch_end(step, logs)
    assert logs.reads == 0
    assert not (tmp_path / "train").exists()  # No writer made, no file.


def test_weight_image_layouts() -> None:
    assert tensorboard_module._weight_image(np.arange(3.0)).shape == (1, 3, 1, 1)
    kernel = np.arange(12.0).reshape(6, 2)
    image = tensorboard_module._weight_image(kernel)
    assert image.shape == (1, 2, 6, 1)
    assert image.min() == 0.0 and image.max() == 1.0
    assert tensorboard_module._weight_image(np.ones((2, 3, 4))).shape == (4, 2, 3, 1)
    assert tensorboard_module._weight_image(np.ones((2, 2, 2, 2))) is None
