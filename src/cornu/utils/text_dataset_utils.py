"""`text_dataset_from_directory`: a torch `DataLoader` of text batches."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

from cornu.utils import dataset_utils


def load_text(path: str, max_length: int | None = None) -> str:
    """Reads one UTF-8 text file (its first `max_length` characters)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return text if max_length is None else text[:max_length]


def _collate_texts(samples: list[Any]) -> Any:
    import torch

    if samples and isinstance(samples[0], tuple):
        texts = [s[0] for s in samples]
        return texts, torch.stack([s[1] for s in samples])
    return list(samples)


def text_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "torch",
    verbose: bool = True,
    num_workers: int = 0,
) -> Any:
    """Generates a dataset of text batches from a directory of `.txt` files.

    The layout and the labels follow `image_dataset_from_directory`: one
    subdirectory per class with `labels="inferred"`.

    Args:
        directory: the root directory.
        labels: `"inferred"`, `None`, or a list of integer labels, one per
            file in the sorted order of the file paths.
        label_mode: `"int"`, `"categorical"`, `"binary"` or `None`.
        class_names: the subdirectories to use, in class-index order.
        batch_size: the batch size; `None` yields single samples.
        max_length: keep only the first `max_length` characters of each text.
        shuffle: whether to shuffle the files (and reshuffle each epoch).
        seed: the shuffling seed; required with `validation_split`.
        validation_split: the fraction of files kept for validation.
        subset: `"training"`, `"validation"` or `"both"`.
        follow_links: whether to follow symbolic links to subdirectories.
        format: `"torch"`, the only format cornu provides.
        verbose: whether to print how many files and classes were found.
        num_workers: worker processes that read the files.

    Returns:
        A `DirectoryDataLoader` yielding `(texts, labels)` batches, where
        `texts` is a list of Python strings and `labels` a tensor encoded per
        `label_mode` (or texts alone without labels); it has `class_names`
        and `file_paths`. With `subset="both"`, a tuple of two.

    Example:

    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for name in ("neg", "pos"):
    ...     os.makedirs(os.path.join(root, name))
    ...     with open(os.path.join(root, name, "a.txt"), "w") as f:
    ...         _ = f.write(name + " review")
    >>> ds = text_dataset_from_directory(root, shuffle=False)
    Found 2 files belonging to 2 classes.
    >>> texts, labels = next(iter(ds))
    >>> texts, labels.tolist()
    (['neg review', 'pos review'], [0, 1])
    """
    labels, label_mode = dataset_utils.check_label_args(
        labels, label_mode, class_names, "text samples"
    )
    dataset_utils.check_format(format, grain=True)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    load = functools.partial(load_text, max_length=max_length)

    return dataset_utils.directory_dataset(
        directory,
        labels,
        label_mode,
        class_names,
        (".txt",),
        "text files",
        load,
        batch_size,
        shuffle,
        seed,
        validation_split,
        subset,
        follow_links,
        verbose,
        num_workers,
        collate_fn=_collate_texts if batch_size is not None else None,
        format=format,
    )
