"""The private base of `StringLookup` and `IntegerLookup`: a vocabulary."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from cornu.core import serialization
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.preprocessing._encoding import encode_categorical
from cornu.layers.preprocessing._hash import fingerprint64, siphash64
from cornu.layers.preprocessing.hashing import as_numpy

LOOKUP_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
# Keras sends masked inputs of the encodings to an id no encoding counts.
_MASKED = np.iinfo(np.int64).max
# The vocabulary file Keras writes among a lookup layer's assets.
VOCABULARY_FILENAME = "vocabulary.txt"


def _loading_safely() -> bool:
    """Whether a `load_model(..., safe_mode=True)` is deserializing now."""
    return getattr(serialization._SCOPE, "safe_mode", None) is True


def read_vocabulary_file(path: str, encoding: str = "utf-8") -> list[str]:
    """The lines of a vocabulary file (one token a line), trailing blanks dropped."""
    with open(path, encoding=encoding) as f:
        lines = f.read().split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return lines


class IndexLookup(Layer):
    """Maps tokens to indices `[mask] + [OOV] * num_oov_indices + vocabulary`.

    Subclasses say how tokens are normalized (`_token`) and hashed into the
    OOV buckets (`_oov_bucket`). See `StringLookup` for the arguments.
    """

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        # Keras writes these into its configs. The size shapes the encodings
        # of a model rebuilt before its vocabulary is read from the assets.
        frozen_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(**kwargs)
        layer = type(self).__name__
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in LOOKUP_MODES:
            raise ValueError(
                f"{layer} `output_mode` must be one of {LOOKUP_MODES}, received: "
                f"output_mode={output_mode!r}."
            )
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"{layer} `max_tokens` must be greater than 1 if set, received: "
                f"max_tokens={max_tokens!r}."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{layer}(pad_to_max_tokens=True) needs `max_tokens`.")
        if not isinstance(num_oov_indices, int) or num_oov_indices < 0:
            raise ValueError(
                f"{layer} `num_oov_indices` must be an integer >= 0, received: "
                f"num_oov_indices={num_oov_indices!r}."
            )
        if invert and output_mode != "int":
            raise ValueError(
                f"{layer}(invert=True) needs output_mode='int', received: "
                f"output_mode={output_mode!r}."
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{layer} `idf_weights` needs output_mode='tf_idf', received: "
                f"output_mode={output_mode!r}."
            )
        if sparse:
            raise ValueError(f"{layer}(sparse=True) is not supported.")
        if isinstance(salt, int) and not isinstance(salt, bool):
            salt = [salt, salt]
        elif isinstance(salt, (tuple, list)) and len(salt) == 2:
            salt = [int(s) for s in salt]
        elif salt is not None:
            raise ValueError(
                f"{layer} `salt` must be an integer or a pair of integers, "
                f"received: salt={salt!r}."
            )
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = invert
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.salt = salt
        self.autocast = False
        self.built = True  # no weights: nothing waits for an input shape
        # As Keras, a vocabulary file is read once: its tokens (not its path)
        # are what the config and the saved model carry.
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self._has_input_vocabulary = vocabulary is not None
        self.input_idf_weights = idf_weights
        self._frozen_size: int | None = frozen_size
        self._tokens: list[Any] = []
        self._index: dict[Any, int] = {}
        self.idf_weights: np.ndarray | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif output_mode == "tf_idf" and idf_weights is not None:
            raise ValueError(f"{layer} `idf_weights` needs a `vocabulary`.")

    # The subclasses' hooks.

    def _token(self, token: Any) -> Any:
        return token

    def _oov_bucket(self, token: Any) -> int:
        raise NotImplementedError

    def _hash_bucket(self, text: bytes) -> int:
        if self.salt is None:
            return fingerprint64(text) % self.num_oov_indices
        return siphash64((self.salt[0], self.salt[1]), text) % self.num_oov_indices

    # The vocabulary.

    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices, mask and OOV indices included."""
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The token of each index (mask and OOV tokens first, if included)."""
        specials = [self.mask_token] * self._oov_start_index()
        specials += [self.oov_token] * self.num_oov_indices
        return (specials if include_special_tokens else []) + list(self._tokens)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the tokens (optionally led by the mask and OOV tokens, in
        order) and, for `"tf_idf"`, their IDF weights."""
        layer = type(self).__name__
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{layer} with output_mode='tf_idf' needs `idf_weights`.")
        if isinstance(vocabulary, str):
            vocabulary = self._read_vocabulary_file(vocabulary)
        tokens = [self._token(t) for t in as_numpy(vocabulary).reshape(-1).tolist()]
        if not tokens:
            raise ValueError(f"{layer} cannot set an empty vocabulary.")
        start = self._token_start_index()
        specials = self.get_vocabulary()[:start]
        found_specials = tokens[:start] == specials
        if found_specials:
            tokens = tokens[start:]
        repeated = sorted({t for t, n in Counter(tokens).items() if n > 1}, key=str)
        if repeated:
            raise ValueError(
                f"{layer} vocabulary has repeated tokens: {repeated}; pass each "
                "token once."
            )
        reserved = [self.mask_token] + ([self.oov_token] if self.invert else [])
        for token in reserved:
            if token is not None and token in tokens:
                raise ValueError(
                    f"{layer} vocabulary contains the reserved token {token!r}; "
                    f"leave it out or put the special tokens {specials} first."
                )
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(
                f"{layer} vocabulary of size {start + len(tokens)} exceeds "
                f"max_tokens={self.max_tokens}."
            )
        self._tokens = tokens
        self._index = {t: start + i for i, t in enumerate(tokens)}
        if self.output_mode == "tf_idf":
            weights = as_numpy(idf_weights).astype("float32").reshape(-1)
            given = len(self._tokens) + (start if found_specials else 0)
            if weights.size != given:
                raise ValueError(
                    f"{layer} `idf_weights` must have one weight per vocabulary "
                    f"token: {given}, received {weights.size}."
                )
            front = 0 if found_specials else start
            self._set_idf(weights, front, float(np.mean(weights)))

    def _read_vocabulary_file(self, path: str) -> list[Any]:
        layer = type(self).__name__
        if _loading_safely():
            raise ValueError(
                f"{layer} was asked to read the vocabulary file {path!r}, outside "
                "the model archive, while loading in safe mode; a file could "
                "name any file on this machine. If you trust it, load with "
                "`safe_mode=False`."
            )
        if self.output_mode == "tf_idf":
            raise ValueError(
                f"{layer} with output_mode='tf_idf' cannot read its vocabulary "
                f"from a file (received: vocabulary={path!r}); pass a list and "
                "`idf_weights`."
            )
        if not os.path.isfile(path):
            raise ValueError(
                f"{layer} vocabulary file {path!r} does not exist; expected a "
                "text file with one token a line."
            )
        return read_vocabulary_file(path, getattr(self, "encoding", "utf-8"))

    def _set_idf(self, weights: np.ndarray, front: int, front_value: float) -> None:
        back = 0
        if self.pad_to_max_tokens and self.max_tokens is not None:
            back = self.max_tokens - front - weights.size
        self.idf_weights = np.pad(
            weights, (front, back), constant_values=(front_value, 0.0)
        ).astype("float32")

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learns the vocabulary: tokens by count (ties: higher token first),
        at most `max_tokens`; for `"tf_idf"`, also the document frequencies.

        `data` is an array, a tensor, a list (each element a document), or an
        iterable of batches (each batch's rows are documents).
        """
        if self._has_input_vocabulary:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) cannot adapt: it was '
                "given a `vocabulary`."
            )
        if isinstance(data, (np.ndarray, torch.Tensor, list, tuple)):
            array = as_numpy(data)
            batches = [array.reshape(-1, 1) if array.ndim <= 1 else array]
        elif isinstance(data, Iterable):
            batches = []
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                array = as_numpy(batch)
                batches.append(array.reshape(1, -1) if array.ndim <= 1 else array)
        else:
            raise ValueError(f"{type(self).__name__}.adapt cannot read {data!r}.")
        self._adapt_documents(
            row
            for batch in batches
            for row in batch.reshape(batch.shape[0], -1).tolist()
        )

    def _adapt_documents(self, documents: Iterable[Iterable[Any]]) -> None:
        """Learns the vocabulary from documents, each a sequence of tokens."""
        counts: Counter = Counter()
        document_counts: Counter = Counter()
        num_documents = 0
        for document in documents:
            tokens = [self._token(t) for t in document]
            counts.update(tokens)
            document_counts.update(set(tokens))
            num_documents += 1
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        ranked = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            ranked = ranked[: self.max_tokens - self._token_start_index()]
        start = self._token_start_index()
        self._tokens = ranked
        self._index = {t: start + i for i, t in enumerate(ranked)}
        if self.output_mode == "tf_idf":
            weights = np.array(
                [
                    math.log(1 + num_documents / (1 + document_counts[t]))
                    for t in ranked
                ],
                "float32",
            )
            mean = float(np.mean(weights)) if weights.size else 0.0
            self._set_idf(weights, start, mean)

    # The lookup.

    def _lookup(self, values: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(values.reshape(-1), return_inverse=True)
        table = [self._lookup_one(self._token(v)) for v in unique.tolist()]
        missing = [v for v, i in zip(unique.tolist(), table) if i is None]
        if missing:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) found tokens out of '
                f"its vocabulary: {missing[:10]}; with num_oov_indices=0 every "
                "input must be in the vocabulary (set num_oov_indices >= 1)."
            )
        return np.asarray(table, np.int64)[inverse].reshape(values.shape)

    def _lookup_one(self, token: Any) -> int | None:
        if self.mask_token is not None and token == self.mask_token:
            return 0 if self.output_mode == "int" else _MASKED
        index = self._index.get(token)
        if index is not None:
            return index
        if self.num_oov_indices == 0:
            return None
        bucket = 0 if self.num_oov_indices == 1 else self._oov_bucket(token)
        return self._oov_start_index() + bucket

    def _invert(self, values: np.ndarray) -> np.ndarray:
        start = self._token_start_index()
        size = self.vocabulary_size()
        out = [
            self.mask_token
            if self.mask_token is not None and i == 0
            else self._tokens[i - start]
            if start <= i < size
            else self.oov_token
            for i in values.reshape(-1).tolist()
        ]
        return np.array(out, dtype=object).reshape(values.shape)

    def call(self, inputs: Any) -> Any:
        if not self._tokens:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) has no vocabulary: '
                "pass `vocabulary` or call `adapt` first."
            )
        values = as_numpy(inputs)
        if self.invert:
            return self._inverted_output(self._invert(values.astype(np.int64)))
        ids = torch.from_numpy(self._lookup(values))
        if self.output_mode == "int":
            return ids
        depth = self._depth()
        dtype = self._compute_torch_dtype
        if self.output_mode != "tf_idf":
            return encode_categorical(ids, self.output_mode, depth, dtype)
        counts = encode_categorical(ids, "count", depth, dtype)
        assert self.idf_weights is not None
        return counts * torch.from_numpy(self.idf_weights).to(dtype)

    def _inverted_output(self, tokens: np.ndarray) -> Any:
        return tokens

    def _depth(self) -> int:
        if self.pad_to_max_tokens and self.max_tokens is not None:
            return self.max_tokens
        if not self._tokens and self._frozen_size is not None:
            return self._frozen_size
        return self.vocabulary_size()

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return (*shape[:-1], depth)
            return (*shape, depth)
        return (*shape[:-1], depth)

    def compute_output_spec(self, inputs: Any) -> Any:
        dtype = "int64" if self.output_mode == "int" else self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inputs, np.ndarray) and inputs.dtype.kind in "OSU":
            # The engine makes tensors of arrays; text stays in (nested) lists.
            inputs = inputs.tolist()
        return super().__call__(inputs, *args, **kwargs)

    # As Keras: the lookup builds nothing from its inputs' shapes (which
    # text inputs, kept as lists, do not have).
    def get_build_config(self) -> dict[str, Any]:
        return {}

    def build_from_config(self, config: dict[str, Any]) -> None:
        self.built = True

    def get_config(self) -> dict[str, Any]:
        # An adapted vocabulary (and its IDF weights) travels in the config,
        # special tokens first, so `from_config` rebuilds the same lookup.
        vocabulary, idf = self.input_vocabulary, self.input_idf_weights
        if vocabulary is None and self._tokens:
            vocabulary = self.get_vocabulary()
            if self.idf_weights is not None:
                idf = self.idf_weights[: self.vocabulary_size()].tolist()
        if isinstance(vocabulary, (np.ndarray, torch.Tensor)):
            vocabulary = as_numpy(vocabulary).tolist()
        if isinstance(idf, (np.ndarray, torch.Tensor)):
            idf = as_numpy(idf).tolist()
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "idf_weights": idf,
            "vocabulary": vocabulary,
            "salt": self.salt,
        }

    # Saving, as Keras: the IDF weights are the layer's variables, and a
    # vocabulary the config does not carry travels as `vocabulary.txt`.

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Writes the IDF weights (`"tf_idf"` only) into `store`."""
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = self.idf_weights

    def load_own_variables(self, store: Any) -> None:
        """Reads the IDF weights (`"tf_idf"` only) from `store`."""
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            weights = as_numpy(store["idf_weights"]).astype("float32").reshape(-1)
            self.idf_weights = weights

    def save_assets(self, dir_path: str) -> None:
        """Writes an adapted vocabulary to `dir_path/vocabulary.txt`."""
        if self.input_vocabulary is not None or not self._tokens:
            return
        path = os.path.join(dir_path, VOCABULARY_FILENAME)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(str(t) for t in self.get_vocabulary()))

    def load_assets(self, dir_path: str | None) -> None:
        """Reads the vocabulary that `save_assets` wrote, if the config had none."""
        if self.input_vocabulary is not None or dir_path is None:
            return
        path = os.path.join(dir_path, VOCABULARY_FILENAME)
        if not os.path.isfile(path):
            return
        tokens: list[Any] = read_vocabulary_file(path)
        if self.output_mode == "tf_idf":
            weights = self.idf_weights
            if weights is None:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}) found a '
                    "vocabulary among its assets but no `idf_weights` for "
                    "output_mode='tf_idf'."
                )
            self.set_vocabulary(tokens, weights[: len(tokens)])
        else:
            self.set_vocabulary(tokens)
