"""Reuters: 11,228 newswires as word-index sequences, labelled over 46 topics."""

from __future__ import annotations

import json

import numpy as np

from cornu.datasets._common import ORIGIN_FOLDER
from cornu.datasets._safe_pickle import load_npz_objects
from cornu.datasets._text import drop_long, limit_vocabulary, object_array, shift
from cornu.utils.file_utils import get_file

_FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
# The topic of each label index, in Keras's order.
_LABEL_NAMES = tuple(
    """
    cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar
    trade reserves ship cotton carcass crude nat-gas cpi money-fx interest gnp
    meal-feed alum oilseed gold tin strategic-metal livestock retail ipi
    iron-steel rubber heat jobs lei bop zinc orange pet-chem dlr gas silver wpi
    hog lead
    """.split()
)


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Reuters newswire topics dataset, downloading it the first time.

    Words are indexed by frequency (1 is the most frequent); 0 is padding.

    Args:
        path: the file name in the cache.
        num_words: keep only the `num_words` most frequent words; the others
            become `oov_char`. None keeps all.
        skip_top: the most frequent words to replace by `oov_char`.
        maxlen: drop the sequences of `maxlen` words or more. None keeps all.
        test_split: the fraction of samples kept as the test set.
        seed: the seed of the shuffle before the split.
        start_char: the index that starts every sequence; None for none.
        oov_char: the index of words cut by `num_words` / `skip_top`; None
            removes them instead.
        index_from: the offset added to every word index.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` are 1-D object arrays of
        int lists, `y` int arrays of topic indices (see `get_label_names`).

    Example:

    ```python
    (x_train, y_train), _ = keras.datasets.reuters.load_data(num_words=10000)
    ```
    """
    if not 0 <= test_split < 1:
        raise ValueError(
            f"`test_split` must be between 0 and 1. Received: test_split={test_split}"
        )
    path = get_file(path, origin=f"{ORIGIN_FOLDER}reuters.npz", file_hash=_FILE_HASH)
    xs, labels = load_npz_objects(path, ("x", "y"))
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    seqs, labels = shift(xs[order], start_char, index_from), labels[order]
    if maxlen:
        seqs, labels = drop_long(maxlen, seqs, labels)
    seqs = limit_vocabulary(seqs, num_words, skip_top, oov_char)
    cut = int(len(seqs) * (1 - test_split))
    return (object_array(seqs[:cut]), labels[:cut]), (
        object_array(seqs[cut:]),
        labels[cut:],
    )


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """Returns the dict mapping each Reuters word to its index (before
    `index_from`: with the default `index_from=3`, word `i` appears as `i + 3`).

    Args:
        path: the file name in the cache.
    """
    path = get_file(
        path,
        origin=f"{ORIGIN_FOLDER}reuters_word_index.json",
        file_hash=_WORD_INDEX_HASH,
    )
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def get_label_names() -> tuple[str, ...]:
    """Returns the 46 topic names; `get_label_names()[y]` names label `y`."""
    return _LABEL_NAMES
