"""The word-index sequence transforms shared by the IMDB and Reuters loaders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def shift(
    sequences: Iterable[Sequence[int]], start_char: int | None, index_from: int
) -> list[list[int]]:
    """Adds `index_from` to every word and prepends `start_char` when given."""
    head = [] if start_char is None else [start_char]
    return [head + [int(w) + index_from for w in seq] for seq in sequences]


def drop_long(
    maxlen: int, sequences: list[list[int]], labels: np.ndarray
) -> tuple[list[list[int]], np.ndarray]:
    """Keeps the sequences strictly shorter than `maxlen` (Keras's rule)."""
    keep = [i for i, seq in enumerate(sequences) if len(seq) < maxlen]
    return [sequences[i] for i in keep], labels[keep]


def limit_vocabulary(
    sequences: list[list[int]],
    num_words: int | None,
    skip_top: int,
    oov_char: int | None,
) -> list[list[int]]:
    """Replaces words outside `[skip_top, num_words)` by `oov_char`, or drops
    them when `oov_char` is None.

    Without `num_words` the bound is the largest index present, which (as in
    Keras) is itself out of range.
    """
    if not num_words:
        num_words = max((max(seq) for seq in sequences if seq), default=0)
    if oov_char is None:
        return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]
    return [
        [w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences
    ]


def object_array(sequences: list[list[int]]) -> np.ndarray:
    """A 1-D object array of lists (never a 2-D int array, even if equal-length)."""
    out = np.empty(len(sequences), dtype=object)
    for i, seq in enumerate(sequences):
        out[i] = seq
    return out
