"""`LearningRateScheduler`: sets the learning rate at each epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from cornu.callbacks._utils import get_learning_rate
from cornu.callbacks.callback import Callback
from cornu.utils.progbar import print_msg


class LearningRateScheduler(Callback):
    """Sets the learning rate from `schedule(epoch, lr)` at each epoch start.

    Each epoch's logs gain a `learning_rate` entry.

    Args:
        schedule: a function of the 0-based epoch index and the current
            learning rate (a float) returning the new learning rate (a
            float). A function of the epoch alone is accepted too.
        verbose: 0 (silent) or 1 (print each update).

    Example:
    ```python
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    callback = keras.callbacks.LearningRateScheduler(scheduler)
    model.fit(x, y, epochs=15, callbacks=[callback])
    ```
    """

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_lr(self, optimizer: Any, epoch: int) -> float:
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, get_learning_rate(optimizer))
        except TypeError:
            # Schedules of the epoch alone (the older signature).
            learning_rate = self.schedule(epoch)
        learning_rate = _as_float(learning_rate)
        optimizer.learning_rate = learning_rate
        return learning_rate

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        members = getattr(optimizer, "optimizers", None)
        for opt in members if members is not None else [optimizer]:
            learning_rate = self._update_lr(opt, epoch)
            if self.verbose > 0:
                which = f"{opt.name} " if members is not None else ""
                print_msg(
                    f"\nEpoch {epoch + 1}: LearningRateScheduler setting "
                    f"{which}learning rate to {learning_rate}."
                )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        optimizer = self.model.optimizer
        members = getattr(optimizer, "optimizers", None)
        if members is not None:
            for opt in members:
                logs[f"learning_rate_{opt.name}"] = get_learning_rate(opt)
        else:
            logs["learning_rate"] = get_learning_rate(optimizer)


def _as_float(value: Any) -> float:
    """The schedule's output as a float; floating scalars of any kind pass."""
    if isinstance(value, torch.Tensor):
        floating = value.ndim == 0 and value.dtype.is_floating_point
    elif isinstance(value, np.ndarray):
        floating = value.ndim == 0 and np.issubdtype(value.dtype, np.floating)
    else:
        floating = isinstance(value, (float, np.floating))
    if not floating:
        raise ValueError(
            f"The output of the `schedule` function should be a float. Got: {value}"
        )
    return float(value)
