"""`split_dataset` and the machinery shared by the `*_dataset_from_directory`
helpers: indexing a directory tree, Keras's training/validation split, and the
torch `DataLoader` the helpers return.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from cornu.utils.io_utils import print_msg

# ---------------------------------------------------------------- split_dataset


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    preferred_backend: str | None = None,
) -> tuple[Dataset, Dataset]:
    """Splits a dataset into a left part and a right part (e.g. train / test).

    Args:
        dataset: a `torch.utils.data.Dataset`, a numpy array, or a list/tuple
            of arrays with the same first dimension.
        left_size: a float in `(0, 1)` (a fraction of the samples) or an int
            (a number of samples) for the left part; `None` means the
            complement of `right_size`.
        right_size: the same for the right part.
        shuffle: whether to shuffle the samples before splitting.
        seed: the seed of the shuffle.
        preferred_backend: only `None` or `"torch"` are accepted.

    Returns:
        A tuple of two `torch.utils.data.Dataset` objects (`Subset`s).

    Example:

    >>> import numpy as np
    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> len(left), len(right)
    (8, 2)
    """
    if preferred_backend not in (None, "torch"):
        raise ValueError(
            "cornu's `split_dataset` returns torch datasets; "
            f"received preferred_backend={preferred_backend!r}."
        )
    if not isinstance(dataset, Dataset):
        if isinstance(dataset, (np.ndarray, torch.Tensor)):
            dataset = TensorDataset(torch.as_tensor(dataset))
        elif isinstance(dataset, (list, tuple)) and dataset:
            dataset = TensorDataset(*[torch.as_tensor(np.asarray(x)) for x in dataset])
        else:
            raise TypeError(
                "The `dataset` argument must be a `torch.utils.data.Dataset` "
                "object, or a list/tuple of arrays. "
                f"Received: dataset={dataset!r} of type {type(dataset)}"
            )
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    total = len(dataset)  # type: ignore[arg-type]
    n_left, n_right = _rescale_split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(int(seed))
        order = torch.randperm(total, generator=generator).tolist()
    else:
        order = list(range(total))
    return (
        Subset(dataset, order[:n_left]),
        Subset(dataset, order[n_left : n_left + n_right]),
    )


def _rescale_split_sizes(
    left: int | float | None, right: int | float | None, total: int
) -> tuple[int, int]:
    for name, size in (("left_size", left), ("right_size", right)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` Type. Expected: int or float or None, "
                f"Received: type({name})={type(size)}."
            )
    if left == 0 and right == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. "
            "At least one of the split sizes must be non-zero."
        )
    for name, size in (("left_size", left), ("right_size", right)):
        if (isinstance(size, int) and not 0 < size < total) or (
            isinstance(size, float) and not 0 < size < 1
        ):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than "
                f"{total}, or a float within the range `[0, 1]`. "
                f"Received: {name}={size}"
            )
    if isinstance(left, float) and isinstance(right, float) and left + right > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. "
            "It must be less than or equal to 1."
        )
    n_left = round(left * total) if isinstance(left, float) else left
    n_right = round(right * total) if isinstance(right, float) else right
    if n_left is None:
        n_left = total - int(n_right)  # type: ignore[arg-type]
    if n_right is None:
        n_right = total - n_left
    if n_left + n_right > total:
        raise ValueError(
            "The sum of `left_size` and `right_size` should be smaller than the "
            f"{total}. Received: left_size + right_size = {n_left + n_right} "
            f"and total_length = {total}"
        )
    for side, n in (("left", n_left), ("right", n_right)):
        if n == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left} and "
                f"`right_size`={right}. Resulting {side} side dataset split "
                "will be empty. Adjust any of the aforementioned parameters"
            )
    return int(n_left), int(n_right)


# ------------------------------------------------------- directory datasets


def check_format(format: str, grain: bool = False) -> None:
    """Accepts `format="torch"`; where the helper builds them (`grain=True`),
    `"grain"` and `"tf"` when their package is installed. Names what is
    missing otherwise."""
    if format == "torch":
        return
    packages = {"grain": "grain", "tf": "tensorflow"}
    if format in packages and grain:
        try:
            importlib.import_module(packages[format])
        except ImportError as e:
            raise ImportError(
                f'format="{format}" needs the `{packages[format]}` package '
                f"(`pip install {packages[format]}`). Available formats: "
                '"torch", and "grain"/"tf" with their packages.'
            ) from e
        return
    if format in packages:
        raise ValueError(
            f'format="{format}" is not available in cornu here: this helper '
            'builds torch datasets. Available formats: "torch".'
        )
    raise ValueError(
        f'`format` should be "torch" or "grain". Received: format={format!r}'
    )


def check_validation_split_arg(
    validation_split: float | None, subset: str | None, shuffle: bool, seed: Any
) -> None:
    """Raises Keras's errors for inconsistent split arguments."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(
            "If `subset` is set, `validation_split` must be set, and inversely."
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            '`subset` must be either "training", "validation" or "both", '
            f"received: {subset}"
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must "
            "provide a `seed` argument, to make sure that there is no "
            "overlap between the training and validation subset."
        )


def index_directory(
    directory: str | os.PathLike,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """Lists the files of `directory` as Keras does, with their labels.

    With `labels="inferred"` each subdirectory is a class (sorted by name
    unless `class_names` fixes the order) and its files, searched
    recursively, get that class's index. Files are listed in sorted order,
    then shuffled with `np.random.RandomState(seed)` when `shuffle`, which
    gives the same order, and hence the same split, as Keras.

    Returns:
        `(file_paths, labels, class_names)`; `labels` is an int32 array or
        `None`.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"Directory not found: {directory!r}.")
    if labels == "inferred":
        subdirs = [
            d
            for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the "
                    "subdirectories of the target directory. "
                    f"Expected: {subdirs} (or a subset of it), but received: "
                    f"class_names={list(class_names)}"
                )
            subdirs = list(class_names)
    else:
        if class_names is not None:
            if labels is None:
                raise ValueError(
                    "When `labels=None` (no labels), argument `class_names` "
                    "cannot be specified."
                )
            raise ValueError(
                "When argument `labels` is specified, argument `class_names` "
                "cannot be specified (the `class_names` will be the sorted "
                "list of labels)."
            )
        subdirs = [""]
    filenames: list[str] = []
    label_list: list[int] = []
    for index, subdir in enumerate(subdirs):
        root_dir = os.path.join(directory, subdir) if subdir else directory
        for path in _iter_files(root_dir, follow_links, formats):
            rel = os.path.relpath(path, root_dir)
            filenames.append(os.path.join(subdir, rel) if subdir else rel)
            label_list.append(index)
    out_labels: np.ndarray | None
    names: list[str] | None
    if labels == "inferred":
        out_labels = np.asarray(label_list, dtype="int32")
        names = list(subdirs)
    elif labels is None:
        out_labels, names = None, None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files "
                f"in the target directory. len(labels) is {len(labels)} while "
                f"we found {len(filenames)} files in directory {directory}."
            )
        out_labels = np.asarray(labels)
        names = [str(v) for v in sorted(set(labels))]
    if verbose:
        if out_labels is None:
            print_msg(f"Found {len(filenames)} files.")
        else:
            print_msg(
                f"Found {len(filenames)} files belonging to {len(names or [])} classes."
            )
    file_paths = [os.path.join(directory, f) for f in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1_000_000)
        np.random.RandomState(seed).shuffle(file_paths)
        if out_labels is not None:
            np.random.RandomState(seed).shuffle(out_labels)
    return file_paths, out_labels, names


def _iter_files(root: str, follow_links: bool, formats: tuple[str, ...]) -> Any:
    walk = sorted(os.walk(root, followlinks=follow_links), key=lambda w: w[0])
    for dirpath, _, files in walk:
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield os.path.join(dirpath, name)


def get_training_or_validation_split(
    samples: list[str], labels: Any, validation_split: float | None, subset: Any
) -> tuple[list[str], Any]:
    """Keeps Keras's training part (all but the last fraction) or validation
    part (the last `validation_split` fraction) of `samples` and `labels`."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        print_msg(f"Using {len(samples) - num_val} files for training.")
        cut = slice(0, len(samples) - num_val)
    elif subset == "validation":
        print_msg(f"Using {num_val} files for validation.")
        cut = slice(len(samples) - num_val, len(samples))
    else:
        raise ValueError(
            f'`subset` must be either "training" or "validation", received: {subset}'
        )
    return samples[cut], None if labels is None else labels[cut]


def encode_labels(labels: Any, label_mode: str | None, num_classes: int) -> Any:
    """Labels as one tensor: int32 for `"int"`, float32 one-hot for
    `"categorical"`, float32 of shape `(n, 1)` for `"binary"`."""
    if labels is None or label_mode is None:
        return None
    t = torch.as_tensor(np.asarray(labels, dtype="int64"))
    if label_mode == "int":
        return t.to(torch.int32)
    if label_mode == "binary":
        return t.to(torch.float32).reshape(-1, 1)
    return torch.nn.functional.one_hot(t, num_classes).to(torch.float32)


class FileDataset(Dataset):
    """One sample per file: `load(path)`, paired with its encoded label."""

    def __init__(
        self, file_paths: list[str], labels: Any, load: Callable[[str], Any]
    ) -> None:
        self.file_paths = list(file_paths)
        self.labels = labels
        self.load = load

    def __len__(self) -> int:
        return len(self.file_paths)

    def __getitem__(self, index: int) -> Any:
        x = self.load(self.file_paths[index])
        if self.labels is None:
            return x
        return x, self.labels[index]


class DirectoryDataLoader(DataLoader):
    """The batches of a `*_dataset_from_directory` helper.

    A `torch.utils.data.DataLoader` (so `fit`, `evaluate` and `predict`
    consume it directly, and `num_workers` loads files in worker processes)
    that also carries Keras's `class_names` and `file_paths`.
    """

    class_names: list[str] | None
    file_paths: list[str]


def make_loader(
    dataset: FileDataset,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    class_names: list[str] | None,
    num_workers: int = 0,
    collate_fn: Callable[[list[Any]], Any] | None = None,
) -> DirectoryDataLoader:
    """Wraps `dataset` into a `DirectoryDataLoader` (unbatched when
    `batch_size` is `None`); a shuffle is a fresh seeded order each epoch."""
    generator = None
    if shuffle:
        generator = torch.Generator()
        generator.manual_seed(
            int(seed if seed is not None else np.random.randint(1_000_000))
        )
    loader = DirectoryDataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        num_workers=num_workers,
        collate_fn=collate_fn,
        persistent_workers=num_workers > 0,
    )
    loader.class_names = class_names
    loader.file_paths = dataset.file_paths
    return loader


def check_label_args(
    labels: Any, label_mode: str | None, class_names: Any, samples: str
) -> tuple[Any, str | None]:
    """Checks the directory helpers' label arguments, as Keras words them.

    `samples` names what the files hold (`"images"`, `"text samples"`, ...).
    Returns `(labels, label_mode)`, both `None` when no labels are wanted.
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of "
                "the same size as the number of files in the target directory. "
                "If you wish to infer the labels from the subdirectory names in "
                'the target directory, pass `labels="inferred"`. If you wish to '
                f"get a dataset that only contains {samples} (no labels), pass "
                f"`labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. '
                f"Received: labels={labels}, and class_names={class_names}"
            )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", '
            f'"binary", or None. Received: label_mode={label_mode}'
        )
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def directory_dataset(
    directory: Any,
    labels: Any,
    label_mode: str | None,
    class_names: Any,
    formats: tuple[str, ...],
    samples: str,
    load: Any,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    validation_split: float | None,
    subset: str | None,
    follow_links: bool,
    verbose: bool,
    num_workers: int,
    collate_fn: Any = None,
    format: str = "torch",
) -> Any:
    """What the directory helpers share: index the files, split, encode the
    labels and build the loader(s) reading each file with `load` (torch
    `DataLoader`s, or grain datasets for `format="grain"`)."""
    if seed is None:
        seed = np.random.randint(1_000_000)
    paths, label_array, names = index_directory(
        directory,
        labels,
        formats=formats,
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
    )
    if label_mode == "binary" and len(names or []) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 '
            f"class_names. Received: class_names={names}"
        )

    def build(subset_name: str | None, shuffle_subset: bool) -> Any:
        sub_paths, sub_labels = get_training_or_validation_split(
            paths, label_array, validation_split, subset_name
        )
        if not sub_paths:
            kind = {"training": "training ", "validation": "validation "}.get(
                subset_name or "", ""
            )
            raise ValueError(
                f"No {kind}{samples} found in directory {os.fspath(directory)}. "
                f"Allowed formats: {formats}"
            )
        encoded = encode_labels(sub_labels, label_mode, len(names) if names else 0)
        if format == "tf":
            return tf_dataset(
                make_loader(
                    FileDataset(sub_paths, encoded, load),
                    batch_size=batch_size,
                    shuffle=shuffle_subset,
                    seed=seed,
                    class_names=names,
                    collate_fn=collate_fn,
                )
            )
        if format == "grain":
            return grain_dataset(
                FileDataset(sub_paths, encoded, load),
                batch_size,
                shuffle_subset,
                seed,
                names,
                collate_fn or _stack,
            )
        return make_loader(
            FileDataset(sub_paths, encoded, load),
            batch_size=batch_size,
            shuffle=shuffle_subset,
            seed=seed,
            class_names=names,
            num_workers=num_workers,
            collate_fn=collate_fn,
        )

    if subset == "both":
        return build("training", shuffle), build("validation", False)
    return build(subset, shuffle)


def _stack(samples: list[Any]) -> Any:
    """Batches samples (tensors, or tuples of them) by stacking each part."""
    if isinstance(samples[0], tuple):
        return tuple(_stack(list(part)) for part in zip(*samples))
    return torch.stack([torch.as_tensor(x) for x in samples])


def grain_dataset(
    dataset: FileDataset,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    class_names: list[str] | None,
    collate_fn: Callable[[list[Any]], Any],
) -> Any:
    """`dataset` as a `grain.IterDataset` (Keras's `format="grain"`): files
    read lazily, shuffled with `seed`, batched with `collate_fn`; it has
    `class_names` and `file_paths`, and `fit` iterates it each epoch."""
    import grain

    ds = grain.MapDataset.range(len(dataset))
    if shuffle:
        ds = ds.shuffle(seed=int(seed if seed is not None else 0))
    ds = ds.map(dataset.__getitem__).to_iter_dataset()
    if batch_size is not None:
        ds = ds.batch(batch_size, batch_fn=collate_fn)
    ds.class_names = class_names
    ds.file_paths = dataset.file_paths
    return ds


def _as_numpy(x: Any) -> Any:
    if isinstance(x, (tuple, list)) and x and not isinstance(x[0], (str, bytes)):
        return tuple(_as_numpy(part) for part in x)  # (inputs, labels)
    if isinstance(x, torch.Tensor):
        return x.numpy()
    return np.asarray(x).astype(bytes)  # a batch of texts: tf.string


def tf_dataset(loader: DirectoryDataLoader) -> Any:
    """`loader`'s batches as a `tf.data.Dataset` (Keras's `format="tf"`),
    with `class_names` and `file_paths`; files are read by `loader`."""
    import tensorflow as tf

    def spec(x: Any) -> Any:
        if isinstance(x, tuple):
            return tuple(spec(part) for part in x)
        shape = (None, *x.shape[1:]) if loader.batch_size else x.shape
        dtype = tf.string if x.dtype.kind == "S" else tf.as_dtype(x.dtype)
        return tf.TensorSpec(shape=shape, dtype=dtype)

    first = _as_numpy(next(iter(loader)))
    dataset = tf.data.Dataset.from_generator(
        lambda: (_as_numpy(batch) for batch in loader), output_signature=spec(first)
    )
    dataset.class_names = loader.class_names
    dataset.file_paths = loader.file_paths
    return dataset
