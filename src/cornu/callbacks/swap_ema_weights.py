"""`SwapEMAWeights`: evaluates with the optimizer's EMA weights."""

from __future__ import annotations

from typing import Any

import torch

from cornu.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's moving averages (EMA)
    around evaluation and prediction, and swaps them back afterwards.

    Use it with an optimizer built with `use_ema=True`. The swap is done in
    place, without copies of the model.

    Args:
        swap_on_epoch: also swap at each epoch end (and back at the next
            epoch start), so callbacks after this one, such as
            `ModelCheckpoint`, see the EMA weights.

    Example:
    ```python
    model.compile(optimizer=keras.optimizers.SGD(use_ema=True), loss="mse")
    model.fit(x, y, validation_split=0.2, callbacks=[SwapEMAWeights()])
    ```
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self) -> list[Any]:
        optimizer = self.model.optimizer
        # A loss-scale wrapper holds the real optimizer.
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        members = getattr(optimizer, "optimizers", None)
        if members is None:
            if not getattr(optimizer, "use_ema", False) or not hasattr(
                optimizer, "_model_variables_moving_average"
            ):
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on "
                    "the optimizer. Received: "
                    f"use_ema={getattr(optimizer, 'use_ema', None)}"
                )
            return [optimizer]
        chosen = [opt for opt in members if getattr(opt, "use_ema", False)]
        if not chosen:
            raise ValueError(
                "SwapEMAWeights must be used when at least one inner optimizer "
                "has `use_ema=True` set. Received a MultiOptimizer with all "
                "inner optimizers having `use_ema=False`."
            )
        for opt in chosen:
            if not hasattr(opt, "_model_variables_moving_average"):
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on "
                    f"the optimizer. Received: use_ema={opt.use_ema}"
                )
        return chosen

    @torch.no_grad()
    def _swap_variables(self) -> None:
        for optimizer in self._ema_optimizers():
            pairs = zip(
                optimizer._trainable_variables,
                optimizer._model_variables_moving_average,
            )
            for variable, average in pairs:
                held = variable.detach().clone()
                variable.copy_(average)
                average.copy_(held)

    @torch.no_grad()
    def _finalize_ema_values(self) -> None:
        # `fit` ends by copying the averages into the model; make the averages
        # what the model holds now (the EMA weights, swapped in).
        for optimizer in self._ema_optimizers():
            pairs = zip(
                optimizer._trainable_variables,
                optimizer._model_variables_moving_average,
            )
            for variable, average in pairs:
                average.copy_(variable)

    def _swap_in(self) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _swap_out(self) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if self.params and epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._swap_in()

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        self._swap_out()

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._swap_in()

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        self._swap_out()
