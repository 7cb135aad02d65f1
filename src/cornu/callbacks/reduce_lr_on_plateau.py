"""`ReduceLROnPlateau`: lowers the learning rate when a metric stalls."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from cornu.callbacks._utils import get_learning_rate
from cornu.callbacks.monitor_callback import MonitorCallback
from cornu.utils.progbar import print_msg


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by `factor` when a metric stops improving.

    After `patience` epochs without improvement, `new_lr = max(lr * factor,
    min_lr)`; then `cooldown` epochs pass before counting again. Each epoch's
    logs gain a `learning_rate` entry.

    Args:
        monitor: the metric to watch.
        factor: what to multiply the learning rate by; must be below 1.
        patience: epochs without improvement before reducing.
        verbose: 0 (silent) or 1 (print each reduction).
        mode: `"auto"`, `"min"` or `"max"`.
        min_delta: smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction.
        min_lr: lower bound on the learning rate.

    Example:
    ```python
    reduce_lr = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.2, patience=5, min_lr=0.001
    )
    model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    ```
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                "ReduceLROnPlateau does not support a factor >= 1.0. "
                f"Received factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        """Whether the callback is waiting after a reduction."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        members = getattr(optimizer, "optimizers", None)
        if members is not None:
            for opt in members:
                logs[f"learning_rate_{opt.name}"] = get_learning_rate(opt)
        else:
            logs["learning_rate"] = get_learning_rate(optimizer)

        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                "Learning rate reduction is conditioned on metric "
                f"`{self.monitor}` which is not available. Available metrics "
                f"are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                if members is not None:
                    for opt in members:
                        reduced |= self._reduce_lr(opt, epoch, opt.name)
                else:
                    reduced = self._reduce_lr(optimizer, epoch)
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def _reduce_lr(self, optimizer: Any, epoch: int, name: str = "") -> bool:
        old_lr = get_learning_rate(optimizer)
        # Compared in float32, the precision the learning rate is kept in.
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            label = f" {name}" if name else ""
            print_msg(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{label} "
                f"learning rate to {new_lr}."
            )
        return True
