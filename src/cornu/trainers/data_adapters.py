"""Turning what users pass to `fit`/`evaluate`/`predict` into batches of tensors.

In-memory data (numpy arrays, torch tensors, pandas objects, and lists or
dicts of them) becomes one device tensor per array, once; an epoch is one
`randperm` and each batch one `index_select` per array. Everything else
(torch `Dataset`/`DataLoader`, generators, `PyDataset`) is iterated as it
comes, with its batches moved to the device.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from cornu import config, tree

Batch = tuple[Any, Any, Any]


def unpack_x_y_sample_weight(data: Any) -> Batch:
    """Splits a batch given as `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data is expected to be `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`; "
        f"received a tuple of length {len(data)}."
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The inverse of `unpack_x_y_sample_weight`."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, torch.Tensor)) or _is_pandas(x)


def _is_pandas(x: Any) -> bool:
    return type(x).__module__.startswith("pandas") and hasattr(x, "to_numpy")


def is_array_data(x: Any) -> bool:
    """True for arrays and nested lists/tuples/dicts of arrays."""
    leaves = tree.flatten(x)
    return (
        bool(leaves)
        and all(_is_array(v) or v is None for v in leaves)
        and any(_is_array(v) for v in leaves)
    )


def _to_device_tensor(x: Any, device: torch.device) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        t = x
    else:
        if not isinstance(x, np.ndarray):
            x = x.to_numpy()  # pandas DataFrame / Series
        if x.dtype == np.float64:
            # Keras feeds float64 arrays to float32 models; convert once here.
            x = x.astype(config.floatx())
        if x.dtype == object:
            raise ValueError(
                "Cannot train on arrays of Python objects (dtype=object); "
                "convert them to numbers first."
            )
        if not x.flags.writeable:
            x = np.array(x)  # torch cannot wrap read-only memory (pandas, mmap)
        t = torch.from_numpy(np.ascontiguousarray(x))
    if t.dtype == torch.float64:
        t = t.to(config.torch_dtype(config.floatx()))
    if t.device != device:
        pin = device.type == "cuda" and t.device.type == "cpu"
        t = (t.pin_memory() if pin else t).to(device, non_blocking=pin)
    return t


class ArrayDataAdapter:
    """Batches in-memory arrays held as device tensors."""

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        batch_size: int | None = None,
        shuffle: Any = False,
        class_weight: dict[int, float] | None = None,
        steps: int | None = None,
    ) -> None:
        device = config.device()
        self.x = tree.map_structure(lambda a: _maybe_tensor(a, device), x)
        self.y = (
            tree.map_structure(lambda a: _maybe_tensor(a, device), y)
            if y is not None
            else None
        )
        self.sample_weight = (
            tree.map_structure(lambda a: _maybe_tensor(a, device), sample_weight)
            if sample_weight is not None
            else None
        )
        lengths: dict[str, set[int]] = {}
        for name, part in (
            ("x", self.x),
            ("y", self.y),
            ("sample_weight", self.sample_weight),
        ):
            for t in tree.flatten(part):
                if isinstance(t, (torch.Tensor, np.ndarray)):
                    lengths.setdefault(name, set()).add(int(t.shape[0]))
        counts = set().union(*lengths.values())
        if len(counts) > 1:
            detail = ", ".join(f"{name}: {sorted(n)}" for name, n in lengths.items())
            raise ValueError(
                "Data cardinality is ambiguous: all arrays must contain the same "
                f"number of samples. Received sizes {detail}."
            )
        self.num_samples = counts.pop() if counts else 0
        if self.num_samples == 0:
            raise ValueError("Expected input data to be non-empty; received 0 samples.")
        if class_weight is not None:
            if self.y is None:
                raise ValueError("`class_weight` needs targets `y`.")
            if self.sample_weight is not None:
                raise ValueError(
                    "`class_weight` and `sample_weight` cannot both be given."
                )
            self.sample_weight = _class_weights_to_sample_weights(self.y, class_weight)
        self.batch_size = int(batch_size or 32)
        if self.batch_size <= 0:
            raise ValueError(f"`batch_size` must be positive, received {batch_size}.")
        self.shuffle = shuffle
        self.num_batches = math.ceil(self.num_samples / self.batch_size)
        self._steps = steps
        self._leaves = [
            t
            for t in tree.flatten((self.x, self.y, self.sample_weight))
            if isinstance(t, torch.Tensor)
        ]
        self._structure = (self.x, self.y, self.sample_weight)
        # cornu.distribution hook: set across processes to this rank's part
        # of each global batch (`cornu.distribution.runtime.ArrayShard`).
        self.shard: Any = None

    def epoch(self) -> Iterator[Batch]:
        """Yields the batches of one epoch as `(x, y, sample_weight)` tensors."""
        if self.shard is not None:  # cornu.distribution: one rank's part
            yield from self.shard.epoch(self)
            return
        n, bs = self.num_samples, self.batch_size
        leaves, structure = self._leaves, self._structure
        single = len(leaves) <= 3 and _flat_triple(structure)
        if self.shuffle:
            device = leaves[0].device if leaves else config.device()
            perm = torch.randperm(n, device=device)
            if self.shuffle == "batch":
                perm = _batch_shuffle(n, bs, device)
            for start in range(0, n, bs):
                idx = perm[start : start + bs]
                if single:
                    x, y, w = structure
                    yield (
                        x.index_select(0, idx),
                        None if y is None else y.index_select(0, idx),
                        None if w is None else w.index_select(0, idx),
                    )
                else:
                    yield tree.pack_sequence_as(
                        structure,
                        [_take(t, idx) for t in tree.flatten(structure)],
                    )
        else:
            for start in range(0, n, bs):
                if single:
                    x, y, w = structure
                    yield (
                        x[start : start + bs],
                        None if y is None else y[start : start + bs],
                        None if w is None else w[start : start + bs],
                    )
                else:
                    yield tree.pack_sequence_as(
                        structure,
                        [
                            t[start : start + bs]
                            if isinstance(t, (torch.Tensor, np.ndarray))
                            else t
                            for t in tree.flatten(structure)
                        ],
                    )

    @property
    def steps_per_epoch(self) -> int:
        return self.num_batches


def _flat_triple(structure: tuple) -> bool:
    return all(part is None or isinstance(part, torch.Tensor) for part in structure)


def _take(t: Any, idx: torch.Tensor) -> Any:
    if isinstance(t, np.ndarray):  # text
        return t[idx.cpu().numpy()]
    return t.index_select(0, idx) if isinstance(t, torch.Tensor) else t


def _batch_shuffle(n: int, bs: int, device: torch.device) -> torch.Tensor:
    # Keras's shuffle="batch": shuffle the order of batch-sized chunks.
    order = torch.randperm(math.ceil(n / bs), device=device)
    index = torch.arange(n, device=device)
    chunks = list(index.split(bs))
    return torch.cat([chunks[i] for i in order.tolist()])


def _maybe_tensor(a: Any, device: torch.device) -> Any:
    if a is None:
        return None
    if not _is_array(a):
        raise ValueError(
            "Unrecognized data type for an array input: "
            f"{type(a).__name__}. Pass numpy arrays, torch tensors or pandas objects."
        )
    text = _as_text(a)
    if text is not None:
        return text  # text has no tensor form: batches are numpy slices of it
    return _to_device_tensor(a, device)


def _as_text(a: Any) -> np.ndarray | None:
    """`a` as a numpy string array when it holds text (also object arrays and
    pandas columns of `str`), else `None`."""
    if _is_pandas(a):
        a = a.to_numpy()
    if not isinstance(a, np.ndarray):
        return None
    if a.dtype.kind in "US":
        return a
    if a.dtype == object and a.size:
        flat = a.ravel()
        if all(isinstance(v, str) for v in flat):
            return a.astype(str)
        if all(isinstance(v, bytes) for v in flat):
            return a.astype(bytes)
    return None


def _class_weights_to_sample_weights(
    y: Any, class_weight: dict[int, float]
) -> torch.Tensor:
    flat = tree.flatten(y)
    if len(flat) != 1:
        raise ValueError(
            "`class_weight` is only supported for models with a single output."
        )
    y = flat[0]
    n_classes = max(int(k) for k in class_weight) + 1
    table = torch.ones(n_classes, device=y.device, dtype=torch.float32)
    for k, v in class_weight.items():
        table[int(k)] = float(v)
    if y.dim() > 1 and y.shape[-1] > 1:
        labels = y.argmax(dim=-1)
    else:
        labels = y.reshape(y.shape[0], -1)[:, 0].round().long()
    return table[labels]


def split_arrays(data: Any, validation_split: float) -> tuple[Any, Any]:
    """Splits arrays: the last `validation_split` fraction becomes validation data."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received {validation_split}."
        )
    leaves = [t for t in tree.flatten(data) if t is not None]
    n = int(leaves[0].shape[0])
    cut = int(math.floor(n * (1.0 - validation_split)))
    if cut == 0 or cut == n:
        raise ValueError(
            f"validation_split={validation_split} leaves no training or no "
            f"validation samples out of {n}."
        )

    def part(sl: slice) -> Any:
        return tree.map_structure(lambda t: None if t is None else _slice(t, sl), data)

    return part(slice(0, cut)), part(slice(cut, n))


def _slice(t: Any, sl: slice) -> Any:
    if hasattr(t, "iloc"):
        return t.iloc[sl]
    return t[sl]


class IterableDataAdapter:
    """Batches from a torch Dataset/DataLoader, a generator or a PyDataset."""

    def __init__(
        self,
        data: Any,
        batch_size: int | None = None,
        shuffle: bool = False,
        steps: int | None = None,
    ) -> None:
        self.data = data
        self._steps = steps
        self.num_batches: int | None = None
        dataset_cls = torch.utils.data.Dataset
        if isinstance(data, dataset_cls) and not isinstance(
            data, torch.utils.data.IterableDataset
        ):
            self.loader: Any = torch.utils.data.DataLoader(
                data, batch_size=batch_size or 32, shuffle=bool(shuffle)
            )
            self.num_batches = len(self.loader)
        elif isinstance(data, torch.utils.data.IterableDataset):
            self.loader = torch.utils.data.DataLoader(data, batch_size=batch_size or 32)
        elif (
            hasattr(data, "__getitem__")
            and hasattr(data, "__len__")
            and hasattr(data, "num_batches")
        ):
            self.loader = data  # PyDataset
            self.num_batches = data.num_batches
        elif isinstance(data, torch.utils.data.DataLoader):
            self.loader = data
            try:
                self.num_batches = len(data)
            except TypeError:
                self.num_batches = None
        else:
            self.loader = data
            try:
                self.num_batches = len(data)
            except TypeError:
                self.num_batches = None
        self.device = config.device()

    def epoch(self) -> Iterator[Batch]:
        source = self.loader
        if hasattr(source, "num_batches") and hasattr(source, "__getitem__"):
            iterator: Any = _pydataset_iter(source)
        elif hasattr(source, "__next__"):
            iterator = source  # a generator: continues across epochs
        else:
            iterator = iter(source)
        for batch in iterator:
            yield self._standardize(batch)

    def _standardize(self, batch: Any) -> Batch:
        x, y, w = unpack_x_y_sample_weight(batch)
        dev = self.device

        def move(t: Any) -> Any:
            if t is None:
                return None
            if isinstance(t, torch.Tensor):
                if t.dtype == torch.float64:
                    t = t.float()
                return t.to(dev) if t.device != dev else t
            if _is_array(t):
                return _to_device_tensor(t, dev)
            if isinstance(t, (int, float, bool)):
                return t
            raise ValueError(
                f"A batch contained an unsupported value of type {type(t).__name__}."
            )

        return (
            tree.map_structure(move, x),
            tree.map_structure(move, y) if y is not None else None,
            tree.map_structure(move, w) if w is not None else None,
        )

    @property
    def steps_per_epoch(self) -> int | None:
        return self.num_batches


def _pydataset_iter(ds: Any) -> Iterator[Any]:
    if hasattr(ds, "on_epoch_begin"):
        ds.on_epoch_begin()
    for i in range(ds.num_batches):
        yield ds[i]
    if hasattr(ds, "on_epoch_end"):
        ds.on_epoch_end()


def get_data_adapter(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    batch_size: int | None = None,
    shuffle: Any = False,
    class_weight: dict[int, float] | None = None,
    steps: int | None = None,
) -> ArrayDataAdapter | IterableDataAdapter:
    """Picks the adapter for `x` and checks the arguments that go with it."""
    if x is None:
        raise ValueError("No data given: `x` is None.")
    if is_array_data(x):
        if y is not None and not is_array_data(y):
            raise ValueError(
                f"`x` is an array but `y` is a {type(y).__name__}; pass arrays for both."
            )
        return ArrayDataAdapter(
            x, y, sample_weight, batch_size, shuffle, class_weight, steps
        )
    if (
        isinstance(x, (list, tuple))
        and x
        and all(isinstance(v, (int, float)) for v in tree.flatten(x))
    ):
        return ArrayDataAdapter(
            np.asarray(x),
            None if y is None else np.asarray(y),
            sample_weight,
            batch_size,
            shuffle,
            class_weight,
            steps,
        )
    if y is not None:
        raise ValueError(
            f"When `x` is a {type(x).__name__}, it must yield `(x, y)` batches "
            "itself; `y` must not be given separately."
        )
    if sample_weight is not None:
        raise ValueError(
            f"When `x` is a {type(x).__name__}, sample weights come from its "
            "batches `(x, y, sample_weight)`; `sample_weight` must not be given."
        )
    if not (hasattr(x, "__iter__") or hasattr(x, "__getitem__")):
        raise ValueError(
            f"Unrecognized data type: x={x!r} (of type {type(x).__name__})."
        )
    return IterableDataAdapter(x, batch_size, shuffle, steps)
