"""`TerminateOnNaN`: stops training when the loss becomes NaN or infinite."""

from __future__ import annotations

import math
from typing import Any

from cornu.callbacks.callback import Callback
from cornu.utils.progbar import print_msg


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite.

    It reads the loss after every batch, which waits for the device each
    step: use it when that cost is worth it.

    Args:
        raise_error: raise a `RuntimeError` at once (other callbacks'
            `on_train_end` do not run) instead of setting
            `model.stop_training`.

    Example:
    ```python
    model.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])
    ```
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        # `logs.get` reads one value; truth-testing lazy logs would read all.
        loss = None if logs is None else logs.get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                    f"{loss}. Terminating training immediately."
                )
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
