"""`IntegerLookup`: maps integers to indices of a vocabulary (and back)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cornu.layers.preprocessing._index_lookup import IndexLookup

OOV_METHODS = ("floormod", "farmhash")


class IntegerLookup(IndexLookup):
    """Maps integers to integer indices through a vocabulary, or back.

    Index layout (`output_mode="int"`): the mask token (if any) at 0, then
    `num_oov_indices` out-of-vocabulary indices, then the vocabulary. With
    several OOV indices, an unknown `x` goes to bucket `x % num_oov_indices`
    (`oov_method="floormod"`) or to the FarmHash bucket of its decimal text
    (`"farmhash"`; SipHash-2-4 with `salt`), as Keras. The vocabulary is
    given or learned by `adapt` (most frequent first).

    Args:
        max_tokens: the largest vocabulary size, special tokens included.
        num_oov_indices: the number of OOV indices (default 1; 0 makes
            unknown values an error).
        mask_token: an integer meaning "masked" (index 0), or `None`.
        oov_token: the value `invert` returns for OOV indices (default -1).
        vocabulary: a list or array of integers, optionally led by the mask
            and OOV tokens, or the path of a text file with one integer a line.
        vocabulary_dtype: must be `"int64"`.
        idf_weights: the IDF weights for `output_mode="tf_idf"`.
        invert: map indices back to integers.
        output_mode: `"int"` (default), `"one_hot"`, `"multi_hot"`,
            `"count"` or `"tf_idf"`.
        sparse: must be `False`.
        pad_to_max_tokens: encode over `max_tokens` rather than the
            vocabulary size.
        oov_method: `"floormod"` (default) or `"farmhash"`.
        salt: an int or pair of ints keying the hash (`"farmhash"` only).

    Call arguments:
        inputs: integers (arrays, nested lists, tensors), or indices with
            `invert`.

    Input shape:
        Any.

    Output shape:
        The input shape for `"int"`; the encodings' shapes otherwise.

    Returns:
        `int64` indices (or, with `invert`, values), or `float32` encodings.

    Example:
    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer([[12, 1138, 42], [42, 1000, 36]]).tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup supports only vocabulary_dtype='int64', received: "
                f"vocabulary_dtype={vocabulary_dtype!r}."
            )
        if oov_method not in OOV_METHODS:
            raise ValueError(
                f"IntegerLookup `oov_method` must be one of {OOV_METHODS}, "
                f"received: oov_method={oov_method!r}."
            )
        if salt is not None and oov_method != "farmhash":
            raise ValueError(
                "IntegerLookup `salt` needs oov_method='farmhash', received: "
                f"oov_method={oov_method!r}."
            )
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
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
        return int(token)

    def _oov_bucket(self, token: Any) -> int:
        if self.oov_method == "floormod":
            return token % self.num_oov_indices  # Python's % is a floor mod
        return self._hash_bucket(str(token).encode("ascii"))

    def _inverted_output(self, tokens: np.ndarray) -> Any:
        return torch.from_numpy(tokens.astype(np.int64))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "vocabulary_dtype": self.vocabulary_dtype,
            "oov_method": self.oov_method,
        }
