"""Text standardization, splitting and n-grams, as Keras's TextVectorization.

Strings are processed in Python, one at a time: Keras does it in
TensorFlow's string ops, whose rules are mirrored here (ASCII-only
lowercasing, ASCII punctuation, ASCII whitespace, code-point characters).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

STANDARDIZE_MODES = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT_MODES = ("whitespace", "character")

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# TensorFlow's whitespace split breaks on ASCII whitespace only.
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def as_text_array(inputs: Any, encoding: str) -> np.ndarray:
    """`inputs` (str, bytes, nested lists, arrays) as an object array of `str`."""
    if isinstance(inputs, torch.Tensor):
        inputs = inputs.detach().cpu().numpy()
    array = np.asarray(inputs, dtype=object)

    def decode(value: Any) -> str:
        if isinstance(value, bytes):
            return value.decode(encoding)
        return str(value)

    if array.ndim == 0:
        return np.array(decode(array.item()), dtype=object)
    out = np.empty(array.shape, dtype=object)
    out.reshape(-1)[:] = [decode(v) for v in array.reshape(-1).tolist()]
    return out


def standardize_text(
    texts: np.ndarray, standardize: str | Callable | None
) -> np.ndarray:
    """Applies a standardize mode (or callable) to an object array of `str`."""
    if standardize is None:
        return texts
    if callable(standardize):
        # As Keras on backends other than TensorFlow: the callable gets a
        # numpy array of unicode strings.
        result = np.asarray(standardize(texts.astype(str)))
        return as_text_array(result, "utf-8")
    flat = texts.reshape(-1).tolist()
    if standardize in ("lower", "lower_and_strip_punctuation"):
        flat = [s.translate(_ASCII_LOWER) for s in flat]
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        flat = [_PUNCTUATION.sub("", s) for s in flat]
    out = np.empty(texts.shape, dtype=object)
    out.reshape(-1)[:] = flat
    return out


def split_text(texts: np.ndarray, split: str | Callable) -> list[list[str]]:
    """Splits each string of a 1-d object array into its tokens."""
    if callable(split):
        rows = split(texts.astype(str))
        return [
            [str(t) for t in np.asarray(row, dtype=object).tolist()] for row in rows
        ]
    if split == "whitespace":
        return [[t for t in _WHITESPACE.split(s) if t] for s in texts.tolist()]
    return [list(s) for s in texts.tolist()]


def ngrams_of(rows: Sequence[Sequence[str]], widths: Sequence[int]) -> list[list[str]]:
    """Each row's n-grams, joined by spaces: all of the first width, then the next."""
    out = []
    for row in rows:
        grams: list[str] = []
        for n in widths:
            grams.extend(" ".join(row[i : i + n]) for i in range(len(row) - n + 1))
        out.append(grams)
    return out
