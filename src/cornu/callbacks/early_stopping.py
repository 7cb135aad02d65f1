"""`EarlyStopping`: stops `fit` once a metric stops improving."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from cornu.callbacks.monitor_callback import MonitorCallback
from cornu.utils.progbar import print_msg


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored metric has stopped improving.

    At the end of each epoch the monitored value is compared with the best so
    far; after `patience` epochs without improvement, `model.stop_training`
    is set and `fit` ends.

    Args:
        monitor: the metric to watch. Defaults to `"val_loss"`.
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 0 (silent) or 1 (print when stopping or restoring).
        mode: `"auto"`, `"min"` or `"max"`; `"auto"` infers it from the
            metric.
        baseline: a value to beat; while no epoch beats it, training stops
            after `patience` epochs.
        restore_best_weights: at the end of training, set the weights of the
            best epoch (even when no epoch beat `baseline`).
        start_from_epoch: epochs of warm-up before monitoring starts.

    Example:
    >>> stop = EarlyStopping(monitor="loss", patience=1)
    >>> class Model:  # a stand-in for a real model
    ...     stop_training = False
    >>> stop.set_model(Model())
    >>> stop.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.5, 0.6]):
    ...     stop.on_epoch_end(epoch, {"loss": loss})
    >>> stop.model.stop_training, stop.stopped_epoch, stop.best
    (True, 2, 0.5)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: list[Any] | None = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # Reset so one instance can serve several `fit` calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.monitor_op is None:
            # Set up late, once the model's metrics exist.
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the current weights are the best.
            self.best_weights = self._copy_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._copy_weights()
            # Patience restarts only when the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def _copy_weights(self) -> list[Any]:
        # Owned copies: on CPU, arrays from torch tensors may share memory
        # with the live weights, and training would overwrite them.
        return [np.array(w, copy=True) for w in self.model.get_weights()]

    def get_monitor_value(self, logs: dict[str, Any] | None) -> Any:
        """The monitored value in `logs`; warns (and returns `None`) when absent."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs)}",
                stacklevel=2,
            )
        return value
