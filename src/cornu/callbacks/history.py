"""`History`: records the epoch logs of `fit`; `fit` returns it."""

from __future__ import annotations

from typing import Any

from cornu.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs in `history` (metric name -> list of values).

    Every `fit` adds one; `fit` returns it and it is also `model.history`.

    Attributes:
        history: dict from metric name to its value at each epoch.
        epoch: the indices of the epochs recorded by the last `fit`.

    Example:
    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.on_epoch_end(1, {"loss": 0.25})
    >>> history.history
    {'loss': [0.5, 0.25]}
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        # Keep `model.history` pointing at the latest record.
        if self.model is not None:
            self.model.history = self
