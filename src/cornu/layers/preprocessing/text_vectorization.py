"""`TextVectorization`: turns strings into token indices or token encodings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch

from cornu.core import serialization
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.preprocessing._encoding import encode_categorical, one_hot
from cornu.layers.preprocessing._index_lookup import LOOKUP_MODES
from cornu.layers.preprocessing._text import (
    SPLIT_MODES,
    STANDARDIZE_MODES,
    as_text_array,
    ngrams_of,
    split_text,
    standardize_text,
)
from cornu.layers.preprocessing.string_lookup import StringLookup


class TextVectorization(Layer):
    """Maps strings to sequences of token indices, or to token encodings.

    Each string is standardized (lowercased and/or stripped of ASCII
    punctuation), split into tokens (at ASCII whitespace, or into
    characters), optionally expanded into n-grams, then looked up in a
    vocabulary (index 0 is padding `""`, index 1 the OOV token `"[UNK]"`),
    as Keras. `"int"` outputs are padded with 0 to `output_sequence_length`
    (or to the longest sequence of the batch); the other modes encode each
    sample's tokens into one vector. The vocabulary is given or learned by
    `adapt` (most frequent first).

    Args:
        max_tokens: the largest vocabulary size, padding and OOV included.
        standardize: `"lower_and_strip_punctuation"` (default), `"lower"`,
            `"strip_punctuation"`, `None`, or a callable taking a numpy
            array of strings and returning one.
        split: `"whitespace"` (default), `"character"`, `None` (inputs are
            already tokens, along the last axis), or a callable taking a
            1-d numpy array of strings and returning one token list per
            string.
        ngrams: `None`, an int `n` (all n-grams up to `n`), or a tuple of
            n-gram widths.
        output_mode: `"int"` (default), `"multi_hot"`, `"count"`,
            `"tf_idf"` or `"one_hot"` (each token encoded).
        output_sequence_length: the length of `"int"` outputs (padded or
            truncated); `None` pads to the longest sequence.
        pad_to_max_tokens: encode over `max_tokens` rather than the
            vocabulary size.
        vocabulary: a list or array of strings, or the path of a text file
            with one token a line.
        idf_weights: the IDF weights for `output_mode="tf_idf"`.
        sparse: must be `False`.
        ragged: must be `False`.
        encoding: the text encoding of `bytes` inputs (default `"utf-8"`).

    Call arguments:
        inputs: strings: a list, a numpy array of shape `(batch,)` or
            `(batch, 1)`, or a single string.

    Input shape:
        `(batch,)` or `(batch, 1)` (with `split=None`, `(batch, tokens)`).

    Output shape:
        `(batch, output_sequence_length)` for `"int"`; `(batch, tokens,
        depth)` for `"one_hot"` (`(batch, depth)` with `split=None` and
        one token per sample); `(batch, depth)` otherwise.

    Returns:
        `int64` token indices, or `float32` encodings.

    Example:
    >>> layer = TextVectorization(vocabulary=["the", "cat", "sat"])
    >>> layer(["The cat sat.", "the dog"]).tolist()
    [[2, 3, 4], [2, 1, 0]]
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable | None = "lower_and_strip_punctuation",
        split: str | Callable | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Keras writes these into its configs (the size shapes a model
        # rebuilt before the vocabulary is read from the assets).
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _check_mode("standardize", standardize, STANDARDIZE_MODES)
        _check_mode("split", split, SPLIT_MODES)
        if output_mode not in LOOKUP_MODES:
            raise ValueError(
                f"TextVectorization `output_mode` must be one of {LOOKUP_MODES}, "
                f"received: output_mode={output_mode!r}."
            )
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
            or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))
        ):
            raise ValueError(
                "TextVectorization `ngrams` must be None, an integer or a tuple "
                f"of integers, received: ngrams={ngrams!r}."
            )
        if output_mode == "int" and not (
            output_sequence_length is None or isinstance(output_sequence_length, int)
        ):
            raise ValueError(
                "TextVectorization `output_sequence_length` must be None or an "
                f"integer, received: output_sequence_length={output_sequence_length!r}."
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "TextVectorization `output_sequence_length` applies to "
                f"output_mode='int' only, received: output_mode={output_mode!r} "
                f"and output_sequence_length={output_sequence_length!r}."
            )
        if sparse:
            raise ValueError(
                "TextVectorization(sparse=True) is not supported: cornu has no "
                "sparse tensors."
            )
        if ragged:
            raise ValueError(
                "TextVectorization(ragged=True) is not supported: cornu has no "
                "ragged tensors; use output_sequence_length (or the default "
                "padding to the longest sequence) instead."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "TextVectorization(pad_to_max_tokens=True) needs `max_tokens`."
            )
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = (
            tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        )
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._ragged = ragged
        self._encoding = encoding
        self.autocast = False
        self.built = True  # no weights: nothing waits for an input shape
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )

    # The vocabulary.

    def adapt(
        self, data: Any, batch_size: int | None = None, steps: int | None = None
    ) -> None:
        """Learns the vocabulary (by token count, ties: higher token first).

        Args:
            data: a list or array of strings (each one a document), or an
                iterable of such batches.
            batch_size: accepted for Keras compatibility; unused.
            steps: the number of batches to read from an iterable.
        """
        if self._lookup_layer._has_input_vocabulary:
            raise ValueError(
                f'Layer "{self.name}" (TextVectorization) cannot adapt: it was '
                "given a `vocabulary`."
            )
        if isinstance(data, (np.ndarray, list, tuple, str, bytes)):
            batches: Iterable[Any] = [data]
        elif isinstance(data, Iterable):
            batches = (b for i, b in enumerate(data) if steps is None or i < steps)
        else:
            raise ValueError(
                "TextVectorization.adapt expects strings: a list, an array or an "
                f"iterable of batches, received: {type(data).__name__}."
            )
        self._lookup_layer._adapt_documents(
            row for batch in batches for row in self._tokenize(batch)[0]
        )

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The token of each index (padding and OOV tokens first, if included)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (a list, array or file path) and IDF weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def vocabulary_size(self) -> int:
        """The number of indices, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    # The computation.

    def _tokenize(self, inputs: Any) -> tuple[list[list[str]], tuple[int, ...]]:
        """The token rows of `inputs` and the leading shape of the rows.

        With `split=None`, inputs of rank 0 or 1 are one token per sample
        (rows of one); the leading shape is then the input's own.
        """
        texts = standardize_text(
            as_text_array(inputs, self._encoding), self._standardize
        )
        if self._split is None:
            if texts.ndim == 0:
                texts = texts.reshape(1)
            lead = texts.shape[:-1] if texts.ndim > 1 else texts.shape
            rows = texts.reshape(-1, texts.shape[-1] if texts.ndim > 1 else 1).tolist()
        else:
            if texts.ndim > 1 and texts.shape[-1] != 1:
                raise ValueError(
                    f'Layer "{self.name}" (TextVectorization) splits strings, so '
                    "it expects inputs of shape (batch,) or (batch, 1), received "
                    f"shape {texts.shape}."
                )
            if texts.ndim > 1:
                texts = texts.reshape(texts.shape[:-1])
            lead = texts.shape
            rows = split_text(texts.reshape(-1), self._split)
        if self._ngrams is not None:
            rows = ngrams_of(rows, self._ngrams)
        return rows, lead

    def call(self, inputs: Any) -> torch.Tensor:
        if not self._lookup_layer._tokens:
            raise ValueError(
                f'Layer "{self.name}" (TextVectorization) has no vocabulary: pass '
                "`vocabulary` or call `adapt` first."
            )
        rows, lead = self._tokenize(inputs)
        ids = self._lookup_rows(rows)  # (samples, tokens), padded
        if self._output_mode != "int":
            encoded = self._encode(ids)
            return encoded.reshape(*lead, *encoded.shape[1:])
        given = self._split is None and _rank(inputs) <= 1
        if given and self._output_sequence_length is None:
            return ids.reshape(lead)  # one given token per sample
        return ids.reshape(*lead, ids.shape[1])

    def _lookup_rows(self, rows: list[list[str]]) -> torch.Tensor:
        """Token indices, padded (or truncated) to the output length."""
        lookup = self._lookup_layer
        width = self._output_sequence_length
        if width is None:
            width = max((len(r) for r in rows), default=0)
        flat = lookup._lookup(np.array([t for r in rows for t in r], dtype=object))
        # "int" pads with 0 (the padding index); the encodings with -1,
        # which encodes to nothing.
        pad = 0 if self._output_mode == "int" else -1
        padded = np.full((len(rows), width), pad, dtype=np.int64)
        start = 0
        for i, row in enumerate(rows):
            n = min(len(row), width)
            padded[i, :n] = flat[start : start + n]
            start += len(row)
        return torch.from_numpy(padded)

    def _encode(self, ids: torch.Tensor) -> torch.Tensor:
        """`(samples, tokens)` indices in the output mode's encoding."""
        lookup = self._lookup_layer
        dtype = self._compute_torch_dtype
        depth = lookup._depth()
        if self._output_mode == "one_hot":
            # Each token is encoded: (samples, tokens, depth), or (samples,
            # depth) for one given token per sample.
            encoded = one_hot(ids, depth, dtype)
            return (
                encoded.squeeze(1)
                if self._split is None and ids.shape[1] == 1
                else encoded
            )
        if self._output_mode != "tf_idf":
            return encode_categorical(ids, self._output_mode, depth, dtype)
        assert lookup.idf_weights is not None
        counts = encode_categorical(ids, "count", depth, dtype)
        return counts * torch.from_numpy(lookup.idf_weights).to(dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if self._output_mode == "int":
            return (shape[0] if shape else None, self._output_sequence_length)
        if self._split is None:
            if len(shape) <= 1:
                shape = (*shape, 1)
        else:
            if len(shape) > 1 and shape[-1] == 1:
                shape = shape[:-1]
            shape = (*shape, None)
        return self._lookup_layer.compute_output_shape(shape)

    def compute_output_spec(self, inputs: Any) -> Any:
        dtype = "int64" if self._output_mode == "int" else self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def get_build_config(self) -> dict[str, Any]:
        return {}

    def build_from_config(self, config: dict[str, Any]) -> None:
        self.built = True

    # Saving, as Keras: the lookup layer holds the state.

    def save_own_variables(self, store: dict[str, Any]) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store: Any) -> None:
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path: str) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str | None) -> None:
        self._lookup_layer.load_assets(dir_path)

    def get_config(self) -> dict[str, Any]:
        lookup = self._lookup_layer.get_config()
        return {
            **super().get_config(),
            "max_tokens": self._lookup_layer.max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens,
            "sparse": False,
            "ragged": self._ragged,
            "vocabulary": lookup["vocabulary"],
            "idf_weights": lookup["idf_weights"],
            "encoding": self._encoding,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TextVectorization:
        config = dict(config)
        for key in ("standardize", "split"):
            if isinstance(config.get(key), dict):
                config[key] = serialization.deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)  # type: ignore[return-value]


def _check_mode(arg: str, value: Any, modes: tuple[str, ...]) -> None:
    if value is None or callable(value) or value in modes:
        return
    raise ValueError(
        f"TextVectorization `{arg}` must be one of {modes}, None or a callable, "
        f"received: {arg}={value!r}."
    )


def _rank(inputs: Any) -> int:
    return (
        int(np.ndim(inputs)) if not isinstance(inputs, torch.Tensor) else inputs.dim()
    )
