"""`pad_sequences`: lists of sequences to one rectangular numpy array."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pads (or truncates) sequences to a common length.

    Args:
        sequences: a list of sequences (lists or arrays); each element may
            itself be an array of a fixed shape.
        maxlen: the output length; defaults to the longest sequence.
        dtype: the output dtype (`"int32"` by default; a string dtype such as
            `"U10"` or `object` to pad strings).
        padding: `"pre"` or `"post"`: pad before or after each sequence.
        truncating: `"pre"` or `"post"`: drop values from the start or the
            end of sequences longer than `maxlen`.
        value: the padding value.

    Returns:
        A numpy array of shape `(len(sequences), maxlen, *sample_shape)`.

    Example:

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=3, padding="post").tolist()
    [[1, 2, 3], [4, 0, 0]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths = []
    sample_shape: tuple[int, ...] = ()
    found_shape = False
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError as e:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {x!r}"
            ) from e
        if not found_shape and len(x):
            sample_shape = np.asarray(x).shape[1:]
            found_shape = True
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if padding not in ("pre", "post"):
        raise ValueError(
            f'Padding type "{padding}" not understood: expected "pre" or "post".'
        )
    if truncating not in ("pre", "post"):
        raise ValueError(
            f'Truncating type "{truncating}" not understood: expected "pre" or "post".'
        )
    np_dtype = np.dtype(dtype)
    is_str_dtype = np_dtype.kind in ("U", "S") or np_dtype == np.dtype(object)
    if isinstance(value, str) and not is_str_dtype:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: "
            f"{type(value)}. Use `dtype=object` for variable-length strings."
        )
    out = np.full((len(sequences), maxlen) + tuple(sample_shape), value, np_dtype)
    if maxlen == 0:
        return out
    for idx, s in enumerate(sequences):
        if not len(s):
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen])
        trunc = trunc.astype(np_dtype, copy=False)
        if trunc.shape[1:] != tuple(sample_shape):
            raise ValueError(
                f"Shape of sample {trunc.shape[1:]} of sequence at position {idx} "
                f"is different from expected shape {tuple(sample_shape)}."
            )
        if padding == "post":
            out[idx, : len(trunc)] = trunc
        else:
            out[idx, -len(trunc) :] = trunc
    return out
