"""`timeseries_dataset_from_array`: sliding windows over an array, batched."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from cornu.utils import dataset_utils


class _Windows(Dataset):
    """Window `i` is `data[p_i + arange(sequence_length) * sampling_rate]`.

    `__getitems__` gathers a whole batch with one indexing op, so the loader
    does no per-window Python work.
    """

    def __init__(
        self,
        data: torch.Tensor,
        targets: torch.Tensor | None,
        positions: torch.Tensor,
        offsets: torch.Tensor,
    ) -> None:
        self.data, self.targets = data, targets
        self.positions, self.offsets = positions, offsets

    def __len__(self) -> int:
        return len(self.positions)

    def __getitems__(self, indices: list[int]) -> Any:
        starts = self.positions[torch.as_tensor(indices, dtype=torch.long)]
        windows = self.data[starts[:, None] + self.offsets]  # (B, T, ...)
        if self.targets is None:
            return windows
        return windows, self.targets[starts]

    def __getitem__(self, index: int) -> Any:
        out = self.__getitems__([index])
        if self.targets is None:
            return out[0]
        return out[0][0], out[1][0]


def _identity(batch: Any) -> Any:
    return batch


def _as_tensor(x: Any) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    x = np.asarray(x)
    if not x.flags.writeable:
        x = x.copy()
    return torch.from_numpy(np.ascontiguousarray(x))


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "torch",
) -> DataLoader:
    """Creates a dataset of sliding windows over a timeseries array.

    Window `i` starts at time step `start_index + i * sequence_stride` and
    holds `sequence_length` steps taken every `sampling_rate` steps; its
    target is `targets[start_index + i * sequence_stride]`.

    Args:
        data: an array (or tensor, or DataFrame) whose axis 0 is time.
        targets: the targets, aligned with `data` on axis 0, or `None`.
        sequence_length: the number of time steps per window.
        sequence_stride: the step between the starts of successive windows.
        sampling_rate: the step between time steps within a window.
        batch_size: windows per batch; `None` yields single windows.
        shuffle: whether to shuffle the windows (a fresh order each epoch).
        seed: the shuffling seed.
        start_index: the first time step used (inclusive).
        end_index: the last time step used (exclusive).
        format: `"torch"`, the only format cornu provides.

    Returns:
        A `torch.utils.data.DataLoader` yielding `windows` of shape
        `(batch, sequence_length, *data.shape[1:])`, or `(windows, targets)`
        when `targets` is given; `fit` consumes it directly.

    Example:

    >>> import numpy as np
    >>> ds = timeseries_dataset_from_array(
    ...     np.arange(10), np.arange(10) * 2, sequence_length=3, batch_size=4)
    >>> x, y = next(iter(ds))
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 2, 4, 6])
    """
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(
                "`start_index` must be 0 or greater. Received: "
                f"start_index={start_index}"
            )
        if start_index >= n:
            raise ValueError(
                "`start_index` must be lower than the length of the data. "
                f"Received: start_index={start_index}, for data of length {n}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index} "
            )
        if end_index >= n:
            raise ValueError(
                "`end_index` must be lower than the length of the data. "
                f"Received: end_index={end_index}, for data of length {n}"
            )
        if end_index <= 0:
            raise ValueError(
                f"`end_index` must be higher than 0. Received: end_index={end_index}"
            )
    for name, value in (
        ("sampling_rate", sampling_rate),
        ("sequence_stride", sequence_stride),
    ):
        if value <= 0:
            raise ValueError(
                f"`{name}` must be higher than 0. Received: {name}={value}"
            )
        if value >= n:
            raise ValueError(
                f"`{name}` must be lower than the length of the data. "
                f"Received: {name}={value}, for data of length {n}"
            )
    if targets is not None and len(targets) != n:
        raise ValueError(
            "Expected data and targets to have the same number of time steps "
            f"(axis 0) but got data.shape={tuple(np.shape(data))}, "
            f"targets.shape={tuple(np.shape(targets))}."
        )
    dataset_utils.check_format(format)
    start = start_index or 0
    end = end_index if end_index is not None else n
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    data_t = _as_tensor(data)[start:end]
    targets_t = None
    if targets is not None:
        targets_t = _as_tensor(targets)[start:end]
        num_seqs = min(num_seqs, len(targets_t))
    positions = torch.arange(0, max(num_seqs, 0), sequence_stride, dtype=torch.long)
    offsets = torch.arange(sequence_length, dtype=torch.long) * sampling_rate
    windows = _Windows(data_t, targets_t, positions, offsets)
    generator = None
    if shuffle:
        generator = torch.Generator()
        generator.manual_seed(
            int(seed if seed is not None else np.random.randint(1_000_000))
        )
    if batch_size is None:
        return DataLoader(
            windows, batch_size=None, shuffle=shuffle, generator=generator
        )
    return DataLoader(
        windows,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        collate_fn=_identity,
    )
