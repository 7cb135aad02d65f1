"""`StringLookup`: maps strings to indices of a vocabulary (and back)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cornu.layers.preprocessing._index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary, or back.

    Index layout (`output_mode="int"`): the mask token (if any) at 0, then
    `num_oov_indices` out-of-vocabulary indices, then the vocabulary. With
    several OOV indices, an unknown string goes to the bucket of its FarmHash
    Fingerprint64 (SipHash-2-4 with `salt`), as Keras. The vocabulary is
    given or learned by `adapt` (most frequent first).

    Args:
        max_tokens: the largest vocabulary size, special tokens included.
        num_oov_indices: the number of OOV indices (default 1; 0 makes
            unknown strings an error).
        mask_token: a string meaning "masked" (index 0), or `None`.
        oov_token: the token `invert` returns for OOV indices (`"[UNK]"`).
        vocabulary: a list or array of strings, optionally led by the mask
            and OOV tokens, or the path of a text file with one token a line.
        idf_weights: the IDF weights for `output_mode="tf_idf"`.
        invert: map indices back to strings.
        output_mode: `"int"` (default), `"one_hot"`, `"multi_hot"`,
            `"count"` or `"tf_idf"`.
        pad_to_max_tokens: encode over `max_tokens` rather than the
            vocabulary size.
        sparse: must be `False`.
        encoding: the text encoding of `bytes` inputs (default `"utf-8"`).
        salt: an int or pair of ints keying the OOV hash.

    Call arguments:
        inputs: strings (nested lists, arrays), or indices with `invert`.

    Input shape:
        Any.

    Output shape:
        The input shape for `"int"`; the encodings' shapes otherwise.

    Returns:
        `int64` indices, `float32` encodings, or (with `invert`) a numpy
        array of strings.

    Example:
    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer([["a", "c"], ["d", "b"]]).tolist()
    [[1, 3], [0, 2]]
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        self.encoding = encoding
        # Keras's configs carry its integer-only `oov_method`; strings always
        # hash, so it has no effect here.
        kwargs.pop("oov_method", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            salt=salt,
            **kwargs,
        )

    def _token(self, token: Any) -> Any:
        if isinstance(token, bytes):
            return token.decode(self.encoding)
        return token if isinstance(token, str) else str(token)

    def _oov_bucket(self, token: Any) -> int:
        return self._hash_bucket(token.encode(self.encoding))

    def _inverted_output(self, tokens: np.ndarray) -> Any:
        return tokens.astype(str)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "encoding": self.encoding}
