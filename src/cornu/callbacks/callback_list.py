"""`CallbackList`: calls a list of callbacks as one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch

from cornu.callbacks.callback import HOOKS, Callback, overrides
from cornu.callbacks.history import History
from cornu.callbacks.progbar_logger import ProgbarLogger


class CallbackList(Callback):
    """Calls each hook on every callback of a list that overrides it.

    Trainers build one per `fit`/`evaluate`/`predict`. The set of callbacks
    overriding each hook is worked out once (and again at each
    `on_*_begin`), so a batch hook that no callback overrides costs one empty
    loop. Batch-level logs are passed through untouched: reading them is left
    to the callbacks that need them. Other logs are made plain dicts of
    Python floats with sorted keys, as Keras does.

    Args:
        callbacks: callbacks (nested lists are flattened).
        add_history: add a `History` callback unless one is given.
        add_progbar: add a `ProgbarLogger` unless one is given.
        model: the model the callbacks work on.
        **params: training parameters (`verbose`, `epochs`, `steps`) passed to
            each callback's `set_params`.

    Example:
    >>> import numpy as np
    >>> seen = []
    >>> class Record(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         seen.append((epoch, logs))
    >>> callbacks = CallbackList([Record()], epochs=1)
    >>> callbacks.on_epoch_end(0, {"loss": np.float32(0.5)})
    >>> seen
    [(0, {'loss': 0.5})]
    """

    def __init__(
        self,
        callbacks: Callback | Iterable[Any] | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Any] = _flatten(callbacks)
        self._history: History | None = None
        self._progbar: ProgbarLogger | None = None
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                self._progbar = callback
            elif isinstance(callback, History):
                self._history = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self._dispatch: dict[str, list[Any]] = {}
        self._snapshot: list[Any] = []
        self._refresh()
        self.set_model(model)
        self.set_params(params)

    def append(self, callback: Callback) -> None:
        """Adds a callback at the end of the list."""
        self.callbacks.append(callback)
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)
        self._refresh()

    def _refresh(self) -> None:
        """Recomputes, per hook, the bound hooks to call (in list order)."""
        self._snapshot = list(self.callbacks)
        self._dispatch = {
            hook: [getattr(cb, hook) for cb in self.callbacks if overrides(cb, hook)]
            for hook in HOOKS
        }
        # Hot paths read these attributes directly instead of the dict.
        self._train_batch_begin = self._dispatch["on_train_batch_begin"]
        self._train_batch_end = self._dispatch["on_train_batch_end"]
        self._test_batch_begin = self._dispatch["on_test_batch_begin"]
        self._test_batch_end = self._dispatch["on_test_batch_end"]
        self._predict_batch_begin = self._dispatch["on_predict_batch_begin"]
        self._predict_batch_end = self._dispatch["on_predict_batch_end"]
        # Read by the trainer: with no train-batch hook in use it skips the
        # per-step calls (and building the step's logs) altogether.
        self._batch_hooks_active = bool(
            self._train_batch_begin or self._train_batch_end
        )
        self._predict_hooks_active = bool(
            self._predict_batch_begin or self._predict_batch_end
        )

    def _maybe_refresh(self) -> None:
        # Keras code sometimes edits `callbacks` in place; re-derive the
        # dispatch tables at the (rare) begin hooks.
        if len(self._snapshot) != len(self.callbacks) or any(
            a is not b for a, b in zip(self._snapshot, self.callbacks)
        ):
            self._refresh()

    def set_params(self, params: dict[str, Any] | None) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    # Epoch- and run-level hooks: rare, so logs are made plain here.

    def _call(self, hook: str, *args: Any) -> None:
        for fn in self._dispatch[hook]:
            fn(*args)

    def on_train_begin(self, logs: Any = None) -> None:
        self._maybe_refresh()
        self._call("on_train_begin", pythonify_logs(logs))

    def on_train_end(self, logs: Any = None) -> None:
        self._call("on_train_end", pythonify_logs(logs))

    def on_test_begin(self, logs: Any = None) -> None:
        self._maybe_refresh()
        self._call("on_test_begin", pythonify_logs(logs))

    def on_test_end(self, logs: Any = None) -> None:
        self._call("on_test_end", pythonify_logs(logs))

    def on_predict_begin(self, logs: Any = None) -> None:
        self._maybe_refresh()
        self._call("on_predict_begin", pythonify_logs(logs))

    def on_predict_end(self, logs: Any = None) -> None:
        self._call("on_predict_end", pythonify_logs(logs))

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._maybe_refresh()
        self._call("on_epoch_begin", epoch, pythonify_logs(logs))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        # One dict for all: callbacks that add entries (`learning_rate`) are
        # seen by those after them (History, the progress bar), as in Keras.
        self._call("on_epoch_end", epoch, pythonify_logs(logs))

    # Batch-level hooks: the hot path. No conversion, no lookups.

    def on_batch_begin(self, batch: int, logs: Any = None) -> None:
        for fn in self._dispatch["on_batch_begin"]:
            fn(batch, logs={} if logs is None else logs)

    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        for fn in self._dispatch["on_batch_end"]:
            fn(batch, logs={} if logs is None else logs)

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        for fn in self._train_batch_begin:
            fn(batch, logs={} if logs is None else logs)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        for fn in self._train_batch_end:
            fn(batch, logs={} if logs is None else logs)

    def on_test_batch_begin(self, batch: int, logs: Any = None) -> None:
        for fn in self._test_batch_begin:
            fn(batch, logs={} if logs is None else logs)

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        for fn in self._test_batch_end:
            fn(batch, logs={} if logs is None else logs)

    def on_predict_batch_begin(self, batch: int, logs: Any = None) -> None:
        for fn in self._predict_batch_begin:
            fn(batch, logs={} if logs is None else logs)

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        for fn in self._predict_batch_end:
            fn(batch, logs={} if logs is None else logs)


def pythonify_logs(logs: Mapping[str, Any] | None) -> dict[str, Any]:
    """A plain dict with sorted keys, nested dicts flattened, and numeric
    scalars (tensors, numpy values) made Python floats."""
    result: dict[str, Any] = {}
    if not logs:
        return result
    for key in sorted(logs.keys()):
        value = logs[key]
        if isinstance(value, Mapping):
            result.update(pythonify_logs(value))
            continue
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        if isinstance(value, (np.ndarray, np.generic)) and value.size == 1:
            value = float(value.reshape(()))
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = float(value)
        result[key] = value
    return result


def _flatten(callbacks: Any) -> list[Any]:
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        out: list[Any] = []
        for item in callbacks:
            out.extend(_flatten(item))
        return out
    return [callbacks]
