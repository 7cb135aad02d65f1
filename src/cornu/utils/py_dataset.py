"""`PyDataset` (alias `Sequence`): batches produced by Python code, by index."""

from __future__ import annotations

from typing import Any


class PyDataset:
    """Base class for datasets that build each batch in Python.

    Subclasses define `__len__` (the number of batches) and
    `__getitem__(index)` (one batch: `x`, `(x, y)` or `(x, y, sample_weight)`),
    and optionally `on_epoch_end`. `fit` reads batches in order.

    Args:
        workers: kept for Keras compatibility; batches are produced in the
            training process (for parallel loading, pass a
            `torch.utils.data.DataLoader`, which `fit` also accepts).
        use_multiprocessing: as `workers`.
        max_queue_size: as `workers`.

    Example:
    >>> import numpy as np
    >>> class Squares(PyDataset):
    ...     def __len__(self):
    ...         return 2
    ...     def __getitem__(self, i):
    ...         x = np.full((4, 1), float(i), "float32")
    ...         return x, x**2
    >>> Squares().num_batches
    2
    """

    def __init__(
        self,
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
    ) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define `__getitem__`.")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define `__len__`.")

    @property
    def num_batches(self) -> int | None:
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self) -> None:
        """Called before each epoch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch (e.g. to reshuffle)."""


Sequence = PyDataset
