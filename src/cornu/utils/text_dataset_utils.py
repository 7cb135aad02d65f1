"""`text_dataset_from_directory`: a torch `DataLoader` of text batches."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

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
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of "
                "the same size as the number of text files in the target "
                "directory. If you wish to infer the labels from the subdirectory "
                'names in the target directory, pass `labels="inferred"`. If you '
                "wish to get a dataset that only contains text samples (no "
                f"labels), pass `labels=None`. Received: labels={labels}"
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
        labels, label_mode = None, None
    dataset_utils.check_format(format)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1_000_000)
    paths, label_array, names = dataset_utils.index_directory(
        directory,
        labels,
        formats=(".txt",),
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
    load = functools.partial(load_text, max_length=max_length)

    def build(subset_name: str | None, shuffle_subset: bool) -> Any:
        sub_paths, sub_labels = dataset_utils.get_training_or_validation_split(
            paths, label_array, validation_split, subset_name
        )
        if not sub_paths:
            raise ValueError(
                f"No text files found in directory {os.fspath(directory)}. "
                "Allowed format: .txt"
            )
        encoded = dataset_utils.encode_labels(
            sub_labels, label_mode, len(names) if names else 0
        )
        return dataset_utils.make_loader(
            dataset_utils.FileDataset(sub_paths, encoded, load),
            batch_size=batch_size,
            shuffle=shuffle_subset,
            seed=seed,
            class_names=names,
            num_workers=num_workers,
            collate_fn=_collate_texts if batch_size is not None else None,
        )

    if subset == "both":
        return build("training", shuffle), build("validation", False)
    return build(subset, shuffle)
