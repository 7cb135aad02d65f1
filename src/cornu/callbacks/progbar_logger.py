"""`ProgbarLogger`: prints progress and metrics during fit/evaluate/predict."""

from __future__ import annotations

import time
from typing import Any

from cornu.callbacks.callback import Callback
from cornu.utils.progbar import Progbar, is_interactive, print_msg

# Seconds between two redraws of an interactive bar; the batch logs (a
# device sync) are read only when a redraw is due.
_REFRESH_INTERVAL = 0.1


class ProgbarLogger(Callback):
    """Prints a progress bar with the metrics to stdout.

    `fit`, `evaluate` and `predict` add one unless `verbose=0`. In a terminal
    or a notebook (`verbose=1`) the bar is redrawn in place at most every
    0.1 s, and the batch logs are read only then. When stdout is a file or a
    pipe, or with `verbose=2`, one line is printed per epoch:
    `32/32 - 1s - 12ms/step - accuracy: 0.9100 - loss: 0.2500`.

    Example:
    >>> logger = ProgbarLogger()
    >>> logger.set_params({"verbose": 2, "epochs": 1, "steps": 2})
    >>> logger.on_epoch_begin(0)
    >>> logger.on_train_batch_end(0, {"loss": 0.5})
    >>> logger.on_train_batch_end(1, {"loss": 0.4})
    >>> logger.on_epoch_end(0, {"loss": 0.45})  # doctest: +ELLIPSIS
    2/2 - 0s - ...s/step - loss: 0.4500
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.progbar: Progbar | None = None
        self.target: int | None = None
        self.verbose: int = 1
        self.epochs = 1
        self._called_in_fit = False
        # Whether the current bar is redrawn per batch (interactive verbose=1).
        self._live = False

    def set_params(self, params: dict[str, Any] | None) -> None:
        super().set_params(params)
        params = params or {}
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # Inside `fit`, validation runs silently.
        self._called_in_fit = True

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        # Predictions are not metrics: never display them.
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        self._finalize_progbar(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        # A reused logger (a later `evaluate`) shows its own bar again.
        self._called_in_fit = False

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        if self.progbar is not None:
            return
        verbose = self.verbose
        if verbose == 1 and not is_interactive():
            # Redrawing a line in a log file only floods it.
            verbose = 2
        self._live = verbose == 1
        self.progbar = Progbar(
            target=self.target,
            verbose=verbose,
            interval=_REFRESH_INTERVAL,
            unit_name="step",
            stateless_metrics=set(),
        )

    def _update_progbar(self, batch: int, logs: Any) -> None:
        # Called every step: decide before touching `logs`.
        self.seen = batch + 1  # One-indexed.
        if self.progbar is None:
            self._maybe_init_progbar()
        progbar = self.progbar
        assert progbar is not None
        if not self._live:
            if batch == 0:
                # Keep the (slow) first step out of the per-step time, as the
                # live bar does.
                progbar._time_after_first_step = time.monotonic()
            return
        now = time.monotonic()
        if not progbar._due(now):
            return
        values = None if logs is None else list(logs.items())
        progbar.update(self.seen, values, finalize=False)

    def _finalize_progbar(self, logs: dict[str, Any] | None) -> None:
        if self.progbar is None:
            self._maybe_init_progbar()
        progbar = self.progbar
        assert progbar is not None
        if self.target is None:
            self.target = self.seen
            progbar.target = self.target
        progbar.update(self.target, list((logs or {}).items()), finalize=True)
