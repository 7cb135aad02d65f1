"""Tests for `Callback` and `CallbackList`: dispatch, aliases, logs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu import callbacks as callbacks_module
from cornu.callbacks import (
    Callback,
    CallbackList,
    History,
    LambdaCallback,
    ProgbarLogger,
)
from cornu.callbacks.callback import HOOKS, overrides


class Recorder(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, ...]] = []

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.calls.append(("epoch_end", epoch, logs))

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.calls.append(("train_batch_end", batch, logs))


class LegacyBatch(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        self.batches.append(batch)


def test_exports_keras_names() -> None:
    expected = {
        "BackupAndRestore",
        "CSVLogger",
        "Callback",
        "CallbackList",
        "EarlyStopping",
        "History",
        "LambdaCallback",
        "LearningRateScheduler",
        "ModelCheckpoint",
        "ProgbarLogger",
        "ReduceLROnPlateau",
        "RemoteMonitor",
        "SwapEMAWeights",
        "TensorBoard",
        "TerminateOnNaN",
    }
    assert expected <= set(callbacks_module.__all__)
    for name in expected:
        assert isinstance(getattr(callbacks_module, name), type)


def test_base_callback_has_every_hook_as_a_no_op() -> None:
    callback = Callback()
    for hook in HOOKS:
        if "batch" in hook:
            assert getattr(callback, hook)(0, logs={}) is None
        elif "epoch" in hook:
            assert getattr(callback, hook)(0, {}) is None
        else:
            assert getattr(callback, hook)({}) is None
    assert callback.model is None and callback.params is None


def test_override_detection() -> None:
    assert not any(overrides(Callback(), hook) for hook in HOOKS)
    recorder = Recorder()
    assert overrides(recorder, "on_epoch_end")
    assert overrides(recorder, "on_train_batch_end")
    assert not overrides(recorder, "on_test_batch_end")
    # The legacy alias makes the train-batch hook count too.
    assert overrides(LegacyBatch(), "on_train_batch_end")
    assert not overrides(LegacyBatch(), "on_test_batch_end")
    # Instance attributes count (LambdaCallback).
    lam = LambdaCallback(on_train_batch_begin=lambda batch, logs: None)
    assert overrides(lam, "on_train_batch_begin")
    assert not overrides(lam, "on_train_batch_end")


def test_only_overriding_callbacks_are_called(make_logs) -> None:
    recorder, plain = Recorder(), Callback()
    callbacks = CallbackList([recorder, plain])
    assert callbacks._dispatch["on_train_batch_end"] == [recorder.on_train_batch_end]
    assert callbacks._dispatch["on_test_batch_begin"] == []
    assert callbacks._batch_hooks_active
    assert not CallbackList([Callback()])._batch_hooks_active
    logs = make_logs({"loss": 1.0})
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, logs)
    callbacks.on_predict_batch_end(0, {"outputs": 1})
    # The batch logs are passed through as they are, never read.
    assert recorder.calls == [("train_batch_end", 0, logs)]
    assert logs.reads == 0


def test_legacy_on_batch_end_is_called_by_train_batch_end() -> None:
    legacy = LegacyBatch()
    callbacks = CallbackList([legacy])
    callbacks.on_train_batch_end(3, None)
    callbacks.on_test_batch_end(4, None)
    callbacks.on_batch_end(5, None)
    assert legacy.batches == [3, 5]


def test_batch_logs_none_become_empty_dict() -> None:
    seen = []
    lam = LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(logs))
    CallbackList([lam]).on_train_batch_begin(0)
    assert seen == [{}]


def test_epoch_logs_are_plain_sorted_floats_and_shared() -> None:
    class AddEntry(Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs["learning_rate"] = 0.5

    recorder = Recorder()
    callbacks = CallbackList([AddEntry(), recorder], add_history=True)
    logs = {
        "loss": torch.tensor(0.5),
        "accuracy": np.float32(0.25),
        "count": np.int64(3),
        "nested": {"b": torch.tensor([2.0])},
        "vector": np.array([1.0, 2.0]),
    }
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, logs)
    got = recorder.calls[0][2]
    # Sorted by key; a nested dict is flattened where it stood.
    assert list(got)[:5] == ["accuracy", "count", "loss", "b", "vector"]
    assert got["loss"] == 0.5 and type(got["loss"]) is float
    assert type(got["accuracy"]) is float and type(got["count"]) is float
    assert got["b"] == 2.0
    np.testing.assert_array_equal(got["vector"], [1.0, 2.0])
    # Entries added by one callback are seen by those after it (History).
    assert got["learning_rate"] == 0.5
    assert callbacks._history.history["learning_rate"] == [0.5]


def test_default_callbacks_added_once_and_model_wired(fake_model) -> None:
    callbacks = CallbackList(
        [Recorder()],
        add_history=True,
        add_progbar=True,
        model=fake_model,
        verbose=1,
        epochs=3,
        steps=10,
    )
    kinds = [type(c) for c in callbacks.callbacks]
    assert kinds == [Recorder, History, ProgbarLogger]
    assert fake_model.history is callbacks.callbacks[1]
    for callback in callbacks.callbacks:
        assert callback.model is fake_model
        assert callback.params == {"verbose": 1, "epochs": 3, "steps": 10}

    history, progbar = History(), ProgbarLogger()
    callbacks = CallbackList([[history], progbar], add_history=True, add_progbar=True)
    assert callbacks.callbacks == [history, progbar]


def test_callbacks_edited_in_place_are_picked_up() -> None:
    callbacks = CallbackList([])
    recorder = Recorder()
    callbacks.callbacks.append(recorder)
    callbacks.on_epoch_begin(0)
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert recorder.calls == [("epoch_end", 0, {"loss": 1.0})]
    other = Recorder()
    callbacks.append(other)
    callbacks.on_train_batch_end(1, {})
    assert other.calls == [("train_batch_end", 1, {})]


def test_call_order_follows_the_list() -> None:
    order = []
    first = LambdaCallback(on_epoch_begin=lambda e, logs: order.append("first"))
    second = LambdaCallback(on_epoch_begin=lambda e, logs: order.append("second"))
    CallbackList([first, second]).on_epoch_begin(0)
    assert order == ["first", "second"]


def test_lambda_callback_accepts_any_hook_by_keyword() -> None:
    ends = []
    lam = LambdaCallback(on_test_end=lambda logs: ends.append(logs))
    callbacks = CallbackList([lam])
    callbacks.on_test_begin()
    callbacks.on_test_end({"loss": np.float64(2.0)})
    assert ends == [{"loss": 2.0}]


def test_model_property_unwraps_ddp(monkeypatch: pytest.MonkeyPatch) -> None:
    from cornu.callbacks import callback as callback_module

    class FakeDDP:
        def __init__(self, module: Any) -> None:
            self.module = module

    monkeypatch.setattr(callback_module, "DistributedDataParallel", FakeDDP)
    inner = object()
    callback = Callback()
    callback.set_model(FakeDDP(inner))
    assert callback.model is inner


def test_history_records_epochs(fake_model) -> None:
    history = History()
    history.set_model(fake_model)
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.7})
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [0.7]}
    assert fake_model.history is history
