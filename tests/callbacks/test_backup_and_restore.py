"""Tests for `BackupAndRestore`: an interrupted run resumes bit-identical."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu import layers
from cornu.callbacks import BackupAndRestore, Callback, CallbackList
from cornu.callbacks import backup_and_restore as bar_module
from cornu.random import SeedGenerator


class Interrupt(Callback):
    """Raises in the middle of epoch `epoch`, after batch `batch`."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = -1

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if (self.epoch, batch) == self.at:
            raise RuntimeError("Interrupted!")


def make_model(seed: int) -> Any:
    keras.random.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.3),  # Draws from torch's global generator.
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.2, seed=7),  # Draws from a SeedGenerator.
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def make_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = rng.normal(size=(40, 1)).astype("float32")
    return x, y


def fit(model: Any, callbacks: list[Any]) -> Any:
    x, y = make_data()
    return model.fit(
        x, y, epochs=4, batch_size=8, shuffle=True, verbose=0, callbacks=callbacks
    )


def assert_same_weights(a: Any, b: Any) -> None:
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert np.array_equal(wa, wb)
    for va, vb in zip(a.optimizer.variables, b.optimizer.variables):
        assert torch.equal(va, vb)


def test_resumed_fit_is_bit_identical(tmp_path) -> None:
    reference = make_model(seed=1)
    fit(reference, [])

    backup_dir = str(tmp_path / "backup")
    interrupted = make_model(seed=1)
    with pytest.raises(RuntimeError, match="Interrupted!"):
        fit(interrupted, [BackupAndRestore(backup_dir), Interrupt(epoch=2, batch=2)])
    assert os.listdir(backup_dir) == ["latest.backup.npz"]

    # A new process would start from other random states and weights.
    resumed = make_model(seed=99)
    torch.manual_seed(12345)
    np.random.seed(12345)
    random.seed(12345)
    epochs_run = []
    history = fit(
        resumed,
        [
            BackupAndRestore(backup_dir),
            keras.callbacks.LambdaCallback(
                on_epoch_begin=lambda epoch, logs: epochs_run.append(epoch)
            ),
        ],
    )
    assert epochs_run == [2, 3]  # Epochs 0 and 1 were backed up.
    assert history.epoch == [2, 3]
    assert_same_weights(resumed, reference)
    # The backup is gone after a completed fit; so is its directory.
    assert not os.path.exists(backup_dir)
    assert resumed._initial_epoch is None


def test_same_model_object_resumes_too(tmp_path) -> None:
    reference = make_model(seed=3)
    fit(reference, [])
    model = make_model(seed=3)
    backup = BackupAndRestore(str(tmp_path))
    with pytest.raises(RuntimeError):
        fit(model, [backup, Interrupt(epoch=1, batch=0)])
    fit(model, [backup])
    assert_same_weights(model, reference)


def test_backup_file_is_plain_npz(tmp_path) -> None:
    model = make_model(seed=0)
    fit(model, [BackupAndRestore(str(tmp_path), delete_checkpoint=False)])
    path = tmp_path / "latest.backup.npz"
    with np.load(path, allow_pickle=False) as data:
        assert all(data[key].dtype != object for key in data.files)
        assert "metadata" in data.files
    # A completed run left its backup: the next fit trains no more epochs.
    weights = model.get_weights()
    history = fit(model, [BackupAndRestore(str(tmp_path))])
    assert history.epoch == []
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


def test_unbuilt_model_is_rejected(tmp_path) -> None:
    model = keras.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = make_data()
    with pytest.raises(ValueError, match="your model must be built before"):
        model.fit(x, y, verbose=0, callbacks=[BackupAndRestore(str(tmp_path))])


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="Empty `backup_dir` argument passed"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="Received: save_freq=often"):
        BackupAndRestore("/tmp/x", save_freq="often")


def test_mismatched_model_is_a_clear_error(tmp_path) -> None:
    fit(make_model(seed=0), [BackupAndRestore(str(tmp_path), delete_checkpoint=False)])
    other = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="backup holds 6 model variable"):
        fit(other, [BackupAndRestore(str(tmp_path))])


# A toy trainer honouring the whole contract (`_initial_epoch` and
# `_initial_step`), to test step-level backups independently of `fit`.


class ToyOptimizer:
    def __init__(self, params: list[torch.Tensor]) -> None:
        self.built = True
        self.learning_rate = 0.1
        self.momentum = [torch.zeros_like(p) for p in params]
        self.iterations = torch.zeros((), dtype=torch.int64)

    @property
    def variables(self) -> list[torch.Tensor]:
        return [self.iterations, *self.momentum]


class ToyModel(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(4, 1, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.zeros(1, dtype=torch.bfloat16))
        self.seed_generator = SeedGenerator(5)
        self.optimizer = ToyOptimizer([self.w, self.b])
        self.built = True
        self.stop_training = False

    @property
    def weights(self) -> list[torch.Tensor]:
        return [self.w, self.b]

    variables = weights
    trainable_variables = weights


def toy_fit(model: ToyModel, callbacks: list[Any], epochs: int = 3) -> None:
    x = torch.linspace(-1, 1, 48, dtype=torch.float64).reshape(12, 4)
    steps, batch_size = 6, 2
    cbs = CallbackList(callbacks, model=model, epochs=epochs, steps=steps)
    model._initial_epoch = model._initial_step = None
    cbs.on_train_begin()
    skip = model._initial_step or 0
    for epoch in range(model._initial_epoch or 0, epochs):
        cbs.on_epoch_begin(epoch)
        order = torch.randperm(12)  # The epoch's shuffle.
        for step in range(steps):
            if skip:
                skip -= 1
                continue
            cbs.on_train_batch_begin(step)
            batch = x[order[step * batch_size : (step + 1) * batch_size]]
            # Randomness from every source the backup covers.
            noise = (
                torch.rand(1, dtype=torch.float64)
                + np.random.rand()
                + random.random()
                + model.seed_generator._next_int() % 7
            )
            with torch.no_grad():
                grad = batch.sum(0, keepdim=True).T * noise
                opt = model.optimizer
                opt.momentum[0].mul_(0.9).add_(grad)
                opt.momentum[1].mul_(0.9).add_(noise.to(torch.bfloat16))
                model.w.sub_(opt.learning_rate * opt.momentum[0])
                model.b.sub_(opt.learning_rate * opt.momentum[1])
                opt.iterations += 1
            cbs.on_train_batch_end(step, {})
        cbs.on_epoch_end(epoch, {})
    cbs.on_train_end()


def toy_state(model: ToyModel) -> list[torch.Tensor]:
    return [t.detach().clone() for t in (*model.weights, *model.optimizer.variables)]


def seeded_toy() -> ToyModel:
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    return ToyModel()


@pytest.mark.parametrize("save_freq", ["epoch", 1, 4])
@pytest.mark.parametrize("where", [(1, 0), (1, 3), (2, 5)])
def test_step_level_resume_is_bit_identical(tmp_path, save_freq, where) -> None:
    reference = seeded_toy()
    toy_fit(reference, [])
    expected = toy_state(reference)

    model = seeded_toy()
    backup = BackupAndRestore(str(tmp_path), save_freq=save_freq)
    with pytest.raises(RuntimeError):
        toy_fit(model, [backup, Interrupt(*where)])
    # Resume in "another process": fresh model and random states.
    torch.manual_seed(1)
    np.random.seed(1)
    random.seed(1)
    resumed = ToyModel()
    resumed.seed_generator._counter = 1000
    toy_fit(resumed, [BackupAndRestore(str(tmp_path), save_freq=save_freq)])
    for got, want in zip(toy_state(resumed), expected):
        assert got.dtype == want.dtype
        assert torch.equal(got, want)


def test_step_backup_records_epoch_and_step(tmp_path) -> None:
    model = seeded_toy()
    backup = BackupAndRestore(str(tmp_path), save_freq=4, delete_checkpoint=False)
    with pytest.raises(RuntimeError):
        toy_fit(model, [backup, Interrupt(1, 3)])
    arrays, meta = bar_module._read_backup(str(tmp_path / "latest.backup.npz"))
    # 4 + 4 batches seen at epoch 1, batch 1 (0-based): 2 batches done there.
    assert (meta["epoch"], meta["step"]) == (1, 2)
    assert "step_rng" in meta


def test_double_checkpoint_falls_back_to_previous(tmp_path) -> None:
    model = seeded_toy()
    backup = BackupAndRestore(str(tmp_path), double_checkpoint=True)
    with pytest.raises(RuntimeError):
        toy_fit(model, [backup, Interrupt(2, 1)])
    names = sorted(os.listdir(tmp_path))
    assert names == ["latest.backup.npz", "latest.backup.npz.bkp"]
    # Damage the latest backup: the previous one (end of epoch 0) is used.
    with open(tmp_path / "latest.backup.npz", "r+b") as f:
        f.truncate(100)
    resumed = ToyModel()
    epochs = []
    spy = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: epochs.append(e)
    )
    toy_fit(resumed, [BackupAndRestore(str(tmp_path), double_checkpoint=True), spy])
    assert epochs == [1, 2]


def test_damaged_backup_without_fallback_raises(tmp_path) -> None:
    model = seeded_toy()
    with pytest.raises(RuntimeError):
        toy_fit(model, [BackupAndRestore(str(tmp_path)), Interrupt(1, 1)])
    with open(tmp_path / "latest.backup.npz", "r+b") as f:
        f.truncate(50)
    with pytest.raises(Exception, match="(?i)zip|file|pickle|npz"):
        toy_fit(ToyModel(), [BackupAndRestore(str(tmp_path))])


def test_failed_write_keeps_previous_backup(tmp_path, monkeypatch) -> None:
    model = seeded_toy()
    backup = BackupAndRestore(str(tmp_path))
    with pytest.raises(RuntimeError):
        toy_fit(model, [backup, Interrupt(1, 1)])
    path = tmp_path / "latest.backup.npz"
    before = path.read_bytes()

    def half_write(file: Any, **arrays: Any) -> None:
        file.write(b"PK\x03\x04 half")
        raise OSError("disk full")

    monkeypatch.setattr(bar_module.np, "savez", half_write)
    with pytest.raises(OSError, match="disk full"):
        toy_fit(ToyModel(), [BackupAndRestore(str(tmp_path))])
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["latest.backup.npz"]
