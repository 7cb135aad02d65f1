"""IMDB: 25,000 + 25,000 movie reviews as word-index sequences, labelled by
sentiment (0 negative, 1 positive)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from cornu.datasets._common import ORIGIN_FOLDER
from cornu.datasets._safe_pickle import load_npz_objects
from cornu.datasets._text import drop_long, limit_vocabulary, object_array, shift
from cornu.utils.file_utils import get_file

_FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the IMDB sentiment dataset, downloading it the first time.

    Words are indexed by frequency (1 is the most frequent); 0 is padding.

    Args:
        path: the file name in the cache.
        num_words: keep only the `num_words` most frequent words; the others
            become `oov_char`. None keeps all.
        skip_top: the most frequent words to replace by `oov_char`.
        maxlen: drop the sequences of `maxlen` words or more. None keeps all.
        seed: the seed of the shuffle of each split.
        start_char: the index that starts every sequence; None for none.
        oov_char: the index of words cut by `num_words` / `skip_top`; None
            removes them instead.
        index_from: the offset added to every word index.
        **kwargs: accepted for compatibility; unrecognised names raise.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` are 1-D object arrays of
        int lists, `y` int arrays of 0/1 labels.

    Example:

    ```python
    (x_train, y_train), _ = keras.datasets.imdb.load_data(num_words=10000)
    ```
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}.")
    path = get_file(path, origin=f"{ORIGIN_FOLDER}imdb.npz", file_hash=_FILE_HASH)
    x_train, y_train, x_test, y_test = load_npz_objects(
        path, ("x_train", "y_train", "x_test", "y_test")
    )
    # One generator, train shuffled first: Keras's exact order.
    rng = np.random.RandomState(seed)
    splits = []
    for x, y in ((x_train, y_train), (x_test, y_test)):
        order = np.arange(len(x))
        rng.shuffle(order)
        seqs, labels = shift(x[order], start_char, index_from), y[order]
        if maxlen:
            seqs, labels = drop_long(maxlen, seqs, labels)
            if not seqs:
                raise ValueError(
                    f"After filtering for sequences shorter than maxlen={maxlen}, "
                    "no sequence was kept. Increase maxlen."
                )
        splits.append((seqs, labels))
    n_train = len(splits[0][0])
    xs = limit_vocabulary(splits[0][0] + splits[1][0], num_words, skip_top, oov_char)
    return (object_array(xs[:n_train]), splits[0][1]), (
        object_array(xs[n_train:]),
        splits[1][1],
    )


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """Returns the dict mapping each IMDB word to its index (before `index_from`).

    Args:
        path: the file name in the cache.

    Example:

    ```python
    index = keras.datasets.imdb.get_word_index()
    words = {i + 3: w for w, i in index.items()}  # matches index_from=3
    ```
    """
    path = get_file(
        path,
        origin=f"{ORIGIN_FOLDER}imdb_word_index.json",
        file_hash=_WORD_INDEX_HASH,
    )
    with open(path, encoding="utf-8") as f:
        return json.load(f)
