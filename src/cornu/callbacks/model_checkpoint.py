"""`ModelCheckpoint`: saves the model or its weights during `fit`."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import torch

from cornu.callbacks._utils import atomic_path
from cornu.callbacks.monitor_callback import MonitorCallback
from cornu.utils.progbar import print_msg


class ModelCheckpoint(MonitorCallback):
    """Saves the model, or only its weights, at the end of epochs or batches.

    The file is written beside its destination and moved onto it only when
    complete, so an interrupted save never leaves a half-written checkpoint
    in place of the previous one.

    Args:
        filepath: where to save; may hold `str.format` fields filled from
            `epoch` (1-based), `batch` (1-based, with an integer `save_freq`)
            and the logs, e.g. `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`.
            Must end in `.weights.h5` with `save_weights_only=True`, and in
            `.keras` (or legacy `.h5`) otherwise.
        monitor: the metric that decides what is "best".
        verbose: 0 (silent) or 1 (print a message at each save).
        save_best_only: save only when the monitored metric improves.
        save_weights_only: call `model.save_weights` instead of `model.save`.
        mode: `"auto"`, `"min"` or `"max"`: which way is better.
        save_freq: `"epoch"`, or an integer: save every that many batches.
        initial_value_threshold: with `save_best_only`, a value the metric
            must beat before the first save.

    Example:
    ```python
    checkpoint = keras.callbacks.ModelCheckpoint(
        "best.keras", monitor="val_accuracy", mode="max", save_best_only=True
    )
    model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
    model = keras.saving.load_model("best.keras")
    ```
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0

        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                "'epoch' or integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, "
                    "the filepath provided must end in `.weights.h5` (Keras "
                    f"weights format). Received: filepath={self.filepath}"
                )
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model "
                f"format). Received: filepath={self.filepath}"
            )

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        # Runs every step: the logs are touched only when a save is due.
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        """Counts batches (also when hooks run every `steps_per_execution`)."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # A new epoch: batches are 0-based.
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:  # type: ignore[operator]
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(
        self, epoch: int, batch: int | None, logs: Any, filepath: str
    ) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available.",
                stacklevel=3,
            )
            return True
        if isinstance(current, (np.ndarray, torch.Tensor)) and current.ndim > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. "
                f"Received: {current}. Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} "
                    f"to {current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}"
            )
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: Any) -> None:
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        dist = torch.distributed
        if dist.is_available() and dist.is_initialized() and dist.get_rank() != 0:
            # A fully sharded model's checkpoint runs on every rank: the save
            # gathers the weights on all of them and writes on rank 0 only.
            save = (
                self.model.save_weights if self.save_weights_only else self.model.save
            )
            save(filepath, overwrite=True)
            return
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        with atomic_path(filepath) as tmp:
            if self.save_weights_only:
                self.model.save_weights(tmp, overwrite=True)
            else:
                self.model.save(tmp, overwrite=True)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch: int, batch: int | None, logs: Any) -> str:
        """Fills the `filepath` fields from the epoch, batch and logs."""
        if "{" not in self.filepath:
            return self.filepath
        # Materializes every (lazy) batch log: only done when saving.
        logs = dict(logs) if logs else {}
        fields: dict[str, Any] = {**logs, "epoch": epoch + 1}
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". '
                f"Reason: {e}"
            ) from e
