"""`BackupAndRestore`: resumes an interrupted `fit` where it stopped."""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
import zipfile
from typing import Any

import numpy as np
import torch

from cornu.callbacks.callback import Callback
from cornu.random import seed_generator as seed_generator_module

_FORMAT = "cornu.BackupAndRestore"
_VERSION = 1
_FILE_NAME = "latest.backup.npz"

# Reading a damaged or truncated backup raises one of these.
_READ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile)


class BackupAndRestore(Callback):
    """Backs up the training state so an interrupted `fit` can resume.

    The backup holds the model's variables, the optimizer's variables, the
    epoch (and the step, with an integer `save_freq`) and the random states
    (torch's, on CPU and CUDA; NumPy's; Python's `random`; cornu
    `SeedGenerator`s), so a resumed run ends with the same weights, bit for
    bit, as an uninterrupted one. When `fit` starts with a backup in
    `backup_dir`, the state is restored and training continues from the
    saved epoch. At the end of a completed `fit` the backup is deleted.

    The backup is one `.npz` file, read without pickle, and written to a
    temporary file that replaces the previous backup only once complete.
    Across processes (`torchrun`) rank 0 alone writes it and every rank
    reads it on resume, so `backup_dir` must be on a file system all ranks
    see.

    Args:
        backup_dir: the directory for the backup; use it for nothing else.
        save_freq: `"epoch"` (back up at each epoch end), an integer (every
            that many batches) or `False` (never back up automatically).
        double_checkpoint: keep the previous backup too, and fall back to it
            if the latest one cannot be read.
        delete_checkpoint: delete the backup when `fit` completes.

    Example:
    ```python
    backup = keras.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
    try:
        model.fit(x, y, epochs=10, callbacks=[backup, interrupting_callback])
    except RuntimeError:
        pass
    # Restores the state saved before the interruption and trains the
    # remaining epochs only.
    model.fit(x, y, epochs=10, callbacks=[backup])
    ```
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: str | int | bool = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(
                "Invalid value for argument `save_freq`. Received: "
                f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                "value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._backup_path = os.path.join(self.backup_dir, _FILE_NAME)
        self._prev_backup_path = self._backup_path + ".bkp"
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        # Random state at the start of the current epoch (integer save_freq):
        # a mid-epoch resume replays the epoch's start (its shuffle) from it.
        self._epoch_rng: dict[str, Any] | None = None
        # After a mid-epoch restore: (first batch to run, its random state).
        self._pending_step_rng: tuple[int, dict[str, Any]] | None = None
        self._set_initial_counters = False

    # Hooks.

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._pending_step_rng = None
        model = self.model
        if not getattr(model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built "
                f"before you call `fit()`. Model {getattr(model, 'name', model)} "
                "is unbuilt. You can build it beforehand by calling it on a "
                "batch of data."
            )
        state = self._read_latest()
        if state is None:
            return
        arrays, meta = state
        self._restore(arrays, meta)
        epoch, step = int(meta["epoch"]), int(meta["step"])
        model._initial_epoch = epoch
        model._initial_step = step
        self._set_initial_counters = True
        self._current_epoch = epoch
        if step:
            self._pending_step_rng = (step, _unpack_rng(arrays, meta, "step_rng"))
            self._last_batch_seen = step - 1

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._current_epoch = epoch
        if self._set_initial_counters:
            # The trainer read them after `on_train_begin`; a later `fit`
            # must not see them again.
            self._clear_initial_counters()
        else:
            self._last_batch_seen = None
        if _is_step_freq(self.save_freq):
            self._epoch_rng = _capture_rng(self.model)

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        if self._pending_step_rng is None:
            return
        step, rng = self._pending_step_rng
        self._pending_step_rng = None
        # Only when the trainer skipped the batches already done: the random
        # state then continues exactly where the backup left it.
        if batch == step:
            _restore_rng(self.model, rng)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if not _is_step_freq(self.save_freq) or not self._should_save_on_batch(batch):
            return
        steps = (self.params or {}).get("steps")
        if steps is not None and batch + 1 >= steps:
            # The epoch is complete: resume at the next one.
            self._save(self._current_epoch + 1, 0, _capture_rng(self.model), None)
        else:
            assert self._epoch_rng is not None, "on_epoch_begin was not called"
            self._save(
                self._current_epoch,
                batch + 1,
                self._epoch_rng,
                _capture_rng(self.model),
            )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0, _capture_rng(self.model), None)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._clear_initial_counters()
        if not self.delete_checkpoint or not _is_writer():
            return
        for path in (self._backup_path, self._prev_backup_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        # Remove the directory only when nothing else lives there.
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)

    # Saving.

    def _should_save_on_batch(self, batch: int) -> bool:
        """Counts batches (also when hooks run every `steps_per_execution`)."""
        if self.save_freq is False:
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= int(self.save_freq):
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save(
        self,
        epoch: int,
        step: int,
        rng: dict[str, Any],
        step_rng: dict[str, Any] | None,
    ) -> None:
        from cornu.distribution.runtime import full_value

        model = self.model
        optimizer = getattr(model, "optimizer", None)
        # Every rank gathers (a fully sharded weight or slot needs them all);
        # rank 0 alone writes.
        model_values = [full_value(v) for v in _model_variables(model)]
        optimizer_values = [
            full_value(v) for v in getattr(optimizer, "variables", None) or []
        ]
        if not _is_writer():
            return
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {
            "format": _FORMAT,
            "version": _VERSION,
            "epoch": epoch,
            "step": step,
        }
        meta["model_dtypes"] = _pack_tensors(arrays, "model", model_values)
        if optimizer is not None:
            meta["optimizer_dtypes"] = _pack_tensors(
                arrays, "optimizer", optimizer_values
            )
            learning_rate = _settable_learning_rate(optimizer)
            if learning_rate is not None:
                meta["learning_rate"] = learning_rate
        _pack_rng(arrays, meta, "rng", rng)
        if step_rng is not None:
            _pack_rng(arrays, meta, "step_rng", step_rng)
        arrays["metadata"] = np.array(json.dumps(meta))
        os.makedirs(self.backup_dir, exist_ok=True)
        self._write_atomic(arrays)

    def _write_atomic(self, arrays: dict[str, np.ndarray]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.backup_dir, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                # Keys are our own names ("model_0", ...), none a keyword.
                np.savez(f, **arrays)  # type: ignore[arg-type]
                f.flush()
                os.fsync(f.fileno())
            if self.double_checkpoint and os.path.exists(self._backup_path):
                os.replace(self._backup_path, self._prev_backup_path)
            os.replace(tmp, self._backup_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
        _fsync_dir(self.backup_dir)

    # Restoring.

    def _read_latest(self) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """The newest readable backup; the previous one if the newest is
        damaged. `None` when there is none."""
        error: Exception | None = None
        for path in (self._backup_path, self._prev_backup_path):
            if not os.path.exists(path):
                continue
            try:
                return _read_backup(path)
            except _READ_ERRORS as e:
                error = error or e
        if error is not None:
            raise error
        return None

    def _restore(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        model = self.model
        _assign_tensors(
            arrays, "model", meta["model_dtypes"], _model_variables(model), "model"
        )
        optimizer = getattr(model, "optimizer", None)
        if "optimizer_dtypes" in meta and optimizer is not None:
            if not getattr(optimizer, "built", True) and hasattr(optimizer, "build"):
                # The optimizer's slots must exist to receive their values.
                optimizer.build(model.trainable_variables)
            _assign_tensors(
                arrays,
                "optimizer",
                meta["optimizer_dtypes"],
                list(getattr(optimizer, "variables", [])),
                "optimizer",
            )
            if "learning_rate" in meta:
                optimizer.learning_rate = meta["learning_rate"]
        _restore_rng(model, _unpack_rng(arrays, meta, "rng"))

    def _clear_initial_counters(self) -> None:
        if self._set_initial_counters and self._model is not None:
            self.model._initial_epoch = None
            self.model._initial_step = None
        self._set_initial_counters = False


def _is_writer() -> bool:
    # Across processes every rank reads the backup; rank 0 alone writes it
    # (the ranks hold equal states).
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def _is_step_freq(save_freq: Any) -> bool:
    return save_freq != "epoch" and save_freq is not False


def _fsync_dir(directory: str) -> None:
    # Makes the rename itself durable; not possible on every platform.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read_backup(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    # Opened here so the file is closed even when numpy fails to parse it.
    with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays.pop("metadata")))
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a BackupAndRestore backup.")
    if meta.get("version") != _VERSION:
        raise ValueError(
            f"{path} has backup format version {meta.get('version')}; this "
            f"version of cornu reads version {_VERSION}."
        )
    return arrays, meta


# Variables.


def _model_variables(model: Any) -> list[torch.Tensor]:
    variables = getattr(model, "variables", None)
    if variables is None:
        variables = model.weights
    return list(variables)


_INT_OF_SIZE = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def _pack_tensors(
    arrays: dict[str, np.ndarray], prefix: str, tensors: list[Any]
) -> list[str]:
    """Stores each tensor as `{prefix}_{i}`; returns their torch dtypes."""
    dtypes = []
    for i, tensor in enumerate(tensors):
        value = torch.as_tensor(tensor).detach().cpu()
        dtypes.append(str(value.dtype).removeprefix("torch."))
        try:
            array = value.numpy()
        except TypeError:
            # bfloat16 and friends have no numpy dtype: keep their bits.
            array = value.view(_INT_OF_SIZE[value.element_size()]).numpy()
        arrays[f"{prefix}_{i}"] = array
    return dtypes


def _assign_tensors(
    arrays: dict[str, np.ndarray],
    prefix: str,
    dtypes: list[str],
    targets: list[Any],
    what: str,
) -> None:
    if len(dtypes) != len(targets):
        raise ValueError(
            f"The backup holds {len(dtypes)} {what} variable(s) but the {what} "
            f"has {len(targets)}. Restore into the model (and optimizer) that "
            "wrote the backup."
        )
    from cornu.distribution.runtime import assign_full_value, full_shape

    for i, (dtype, target) in enumerate(zip(dtypes, targets)):
        # A C-ordered copy (`ascontiguousarray` would turn 0-d into 1-d).
        value = torch.from_numpy(np.array(arrays[f"{prefix}_{i}"], order="C"))
        torch_dtype = getattr(torch, dtype)
        if value.dtype != torch_dtype:
            value = value.view(torch_dtype)
        shape = full_shape(target)
        if tuple(value.shape) != shape:
            name = getattr(target, "path", None) or getattr(target, "name", i)
            raise ValueError(
                f"The backup's {what} variable {name!r} has shape "
                f"{tuple(value.shape)}; the {what} expects {shape}."
            )
        # A fully sharded weight (or its slot) keeps its own part.
        assign_full_value(target, value)


def _settable_learning_rate(optimizer: Any) -> float | None:
    """The learning rate, when it is a plain value a callback may have set
    (not a schedule, whose value follows the iterations)."""
    stored = getattr(optimizer, "_learning_rate", None)
    if isinstance(stored, torch.Tensor):
        stored = stored.detach().cpu()
    if isinstance(stored, (float, int, np.floating, torch.Tensor)):
        return float(stored)
    return None


# Random state.


def _seed_generators(model: Any) -> list[Any]:
    """The `SeedGenerator`s held by the model's layers, in a stable order."""
    found: list[Any] = []
    seen: set[int] = set()
    modules = model.modules() if isinstance(model, torch.nn.Module) else [model]
    for module in modules:
        for value in vars(module).values():
            candidates = value if isinstance(value, (list, tuple)) else (value,)
            for item in candidates:
                if isinstance(item, seed_generator_module.SeedGenerator):
                    if id(item) not in seen:
                        seen.add(id(item))
                        found.append(item)
    global_generator = seed_generator_module._GLOBAL_SEED_GENERATOR
    if global_generator is not None and id(global_generator) not in seen:
        found.append(global_generator)
    return found


def _capture_rng(model: Any) -> dict[str, Any]:
    cuda = []
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        cuda = [state.clone() for state in torch.cuda.get_rng_state_all()]
    return {
        "torch": torch.get_rng_state().clone(),
        "cuda": cuda,
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "seed_generators": [[g._seed, g._counter] for g in _seed_generators(model)],
    }


def _restore_rng(model: Any, rng: dict[str, Any]) -> None:
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        if len(rng["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(rng["cuda"])
    np.random.set_state(rng["numpy"])
    random.setstate(rng["python"])
    generators = _seed_generators(model)
    if len(generators) == len(rng["seed_generators"]):
        for generator, (seed, counter) in zip(generators, rng["seed_generators"]):
            generator._seed = int(seed)
            generator._counter = int(counter)


def _pack_rng(
    arrays: dict[str, np.ndarray],
    meta: dict[str, Any],
    prefix: str,
    rng: dict[str, Any],
) -> None:
    arrays[f"{prefix}_torch"] = rng["torch"].numpy()
    for i, state in enumerate(rng["cuda"]):
        arrays[f"{prefix}_cuda_{i}"] = state.numpy()
    name, keys, pos, has_gauss, cached_gaussian = rng["numpy"]
    arrays[f"{prefix}_numpy_keys"] = np.asarray(keys)
    version, internal, gauss_next = rng["python"]
    arrays[f"{prefix}_python"] = np.asarray(internal, dtype=np.uint64)
    meta[prefix] = {
        "cuda_devices": len(rng["cuda"]),
        "numpy": [name, int(pos), int(has_gauss), float(cached_gaussian)],
        "python": [version, gauss_next],
        "seed_generators": rng["seed_generators"],
    }


def _unpack_rng(
    arrays: dict[str, np.ndarray], meta: dict[str, Any], prefix: str
) -> dict[str, Any]:
    info = meta[prefix]
    name, pos, has_gauss, cached_gaussian = info["numpy"]
    version, gauss_next = info["python"]
    internal = tuple(int(x) for x in arrays[f"{prefix}_python"])
    return {
        "torch": torch.from_numpy(arrays[f"{prefix}_torch"].copy()),
        "cuda": [
            torch.from_numpy(arrays[f"{prefix}_cuda_{i}"].copy())
            for i in range(info["cuda_devices"])
        ],
        "numpy": (
            name,
            arrays[f"{prefix}_numpy_keys"],
            pos,
            has_gauss,
            cached_gaussian,
        ),
        "python": (version, internal, gauss_next),
        "seed_generators": info["seed_generators"],
    }
