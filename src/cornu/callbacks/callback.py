"""`Callback`: the base class of everything passed as `callbacks=` to `fit`."""

from __future__ import annotations

from typing import Any

from torch.nn.parallel import DistributedDataParallel

# Every hook a trainer may call. `CallbackList` dispatches each one only to
# the callbacks that override it.
HOOKS: tuple[str, ...] = (
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_batch_begin",
    "on_batch_end",
)


class Callback:
    """Base class for callbacks: objects whose hooks `fit`, `evaluate` and
    `predict` call at each stage.

    Subclass it and override the hooks you need; the others cost nothing,
    since `CallbackList` only calls the hooks a callback overrides.

    Batch-level `logs` are read-only mappings whose values are computed when
    read (each read waits for the device), so read them only when you need
    them. Epoch-level `logs` are plain dicts of Python floats; validation
    entries are prefixed with `val_`.

    Attributes:
        params: dict of training parameters (`verbose`, `epochs`, `steps`).
        model: the model being trained, evaluated or run.

    Example:
    >>> class CountEpochs(Callback):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.epochs_done = 0
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.epochs_done += 1
    >>> callback = CountEpochs()
    >>> callback.on_epoch_end(0, {"loss": 0.5})
    >>> callback.epochs_done
    1
    """

    def __init__(self) -> None:
        self.params: dict[str, Any] | None = None
        self._model: Any = None

    def set_params(self, params: dict[str, Any] | None) -> None:
        """Stores the training parameters (`verbose`, `epochs`, `steps`)."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Stores the model the callback works on."""
        self._model = model

    @property
    def model(self) -> Any:
        """The model; the wrapped Keras model when it was given wrapped in DDP."""
        model = self._model
        if isinstance(model, DistributedDataParallel):
            return model.module
        return model

    @model.setter
    def model(self, model: Any) -> None:
        self.set_model(model)

    def on_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Legacy alias of `on_train_batch_begin`."""

    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        """Legacy alias of `on_train_batch_end`."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of epoch `epoch` (0-based) in `fit`."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of epoch `epoch` with the epoch's metrics (and the
        `val_` metrics when validation ran)."""

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Called before training batch `batch` (every `steps_per_execution`
        batches)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Called after training batch `batch` with the metrics so far in the
        epoch (every `steps_per_execution` batches)."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Called before a batch of `evaluate` (or of validation in `fit`)."""

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        """Called after a batch of `evaluate` (or of validation in `fit`)."""

    def on_predict_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Called before a batch of `predict`."""

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        """Called after a batch of `predict`; `logs["outputs"]` holds it."""

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called once at the start of `fit`."""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called once at the end of `fit` with the last epoch's logs."""

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of `evaluate` or of a validation run."""

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of `evaluate` or of a validation run."""

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of `predict`."""

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of `predict`."""


def overrides(callback: Any, hook: str) -> bool:
    """Whether `callback` does something in `hook` (beyond the base no-op).

    A hook counts as overridden when the class redefines it or the instance
    holds its own function (as `LambdaCallback` does). The train-batch hooks
    also count when the legacy `on_batch_*` alias is overridden, since the
    base implementation forwards to it.
    """
    if not isinstance(callback, Callback):
        return callable(getattr(callback, hook, None))
    if _HOOK_NAMES.isdisjoint(callback.__dict__):
        # No hook of the instance's own: the answer is its class's, computed
        # once (every fit/evaluate/predict asks for each hook).
        key = (type(callback), hook)
        found = _CLASS_OVERRIDES.get(key)
        if found is None:
            found = _CLASS_OVERRIDES[key] = _overrides(callback, hook)
        return found
    return _overrides(callback, hook)


_HOOK_NAMES = frozenset(HOOKS)
_CLASS_OVERRIDES: dict[tuple[type, str], bool] = {}


def _overrides(callback: Any, hook: str) -> bool:
    method = getattr(callback, hook)
    if getattr(method, "__func__", method) is not getattr(Callback, hook):
        return True
    if hook == "on_train_batch_begin":
        return overrides(callback, "on_batch_begin")
    if hook == "on_train_batch_end":
        return overrides(callback, "on_batch_end")
    return False
