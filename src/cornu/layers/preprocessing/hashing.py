"""`Hashing`: hashes strings or integers into a fixed number of bins."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.preprocessing._encoding import OUTPUT_MODES, encode_categorical
from cornu.layers.preprocessing._hash import fingerprint64, siphash64


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    # Numbers hash as their decimal text (floats truncated), as in Keras.
    return str(int(value)).encode("ascii")


def as_numpy(inputs: Any) -> np.ndarray:
    """Inputs (tensor, array, nested lists of str/bytes/numbers) as an array."""
    if isinstance(inputs, torch.Tensor):
        return inputs.detach().cpu().numpy()
    return np.asarray(inputs)


class Hashing(Layer):
    """Maps each string or integer to one of `num_bins` bins by its hash.

    Equal to Keras (which hashes in TensorFlow): without `salt`, a value's
    bin is FarmHash Fingerprint64 of its text modulo the number of bins;
    with `salt`, SipHash-2-4 keyed by the salt. Integers (and floats,
    truncated) hash as their decimal text. With `mask_value`, that value
    maps to bin 0 and the others to bins `1 ... num_bins - 1`.

    Args:
        num_bins: the number of bins (including the mask bin, if any).
        mask_value: a value sent to bin 0, or `None`.
        salt: an int or a pair of ints keying a strong (SipHash) hash; `None`
            (default) uses the fast FarmHash.
        output_mode: `"int"` (default; bin indices), `"one_hot"`,
            `"multi_hot"` or `"count"`.
        sparse: must be `False`.

    Call arguments:
        inputs: strings, bytes or integers (arrays, nested lists, tensors).

    Input shape:
        Any.

    Output shape:
        The input shape for `"int"`; the encodings' shapes otherwise.

    Returns:
        `int64` bin indices, or `float32` encodings.

    Example:
    >>> Hashing(num_bins=3)([["A"], ["B"], ["C"]]).tolist()
    [[1], [0], [1]]
    """

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Any = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if not isinstance(num_bins, int) or isinstance(num_bins, bool) or num_bins < 1:
            raise ValueError(
                "Hashing `num_bins` must be a positive integer, received: "
                f"num_bins={num_bins!r}."
            )
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Hashing `output_mode` must be one of {OUTPUT_MODES}, received: "
                f"output_mode={output_mode!r}."
            )
        if output_mode == "int" and self.compute_dtype not in ("int32", "int64"):
            raise ValueError(
                "Hashing with output_mode='int' needs an integer `dtype` ('int32' "
                f"or 'int64'), received: dtype={self.compute_dtype!r}."
            )
        if sparse:
            raise ValueError("Hashing(sparse=True) is not supported.")
        if isinstance(salt, (tuple, list)) and len(salt) == 2:
            salt = [int(s) for s in salt]
        elif isinstance(salt, int) and not isinstance(salt, bool):
            salt = [salt, salt]
        elif salt is not None:
            raise ValueError(
                "Hashing `salt` must be an integer or a pair of integers, "
                f"received: salt={salt!r}."
            )
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = sparse
        self.autocast = False

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inputs, np.ndarray) and inputs.dtype.kind in "OSU":
            # The engine makes tensors of arrays; text stays in (nested) lists.
            inputs = inputs.tolist()
        return super().__call__(inputs, *args, **kwargs)

    def _maybe_build(self, first: Any) -> None:
        # Text arrives as (nested) lists: record its shape, not its values.
        self._build_with(tuple(np.shape(first)))

    def _hash(self, value: Any, bins: int) -> int:
        data = _as_bytes(value)
        if self.salt is None:
            return fingerprint64(data) % bins
        return siphash64((self.salt[0], self.salt[1]), data) % bins

    def hash_to_bins(self, inputs: Any) -> torch.Tensor:
        """The `int64` bin of every value of `inputs`, shaped like `inputs`."""
        values = as_numpy(inputs)
        masked = self.mask_value is not None and self.num_bins > 1
        bins = self.num_bins - 1 if masked else self.num_bins
        # Each distinct value is hashed once.
        unique, inverse = np.unique(values.reshape(-1), return_inverse=True)
        table = [
            0 if masked and v == self.mask_value else self._hash(v, bins) + masked
            for v in unique.tolist()
        ]
        ids = np.asarray(table, dtype=np.int64)[inverse].reshape(values.shape)
        return torch.from_numpy(ids)

    def call(self, inputs: Any) -> torch.Tensor:
        ids = self.hash_to_bins(inputs)
        if self.output_mode == "int":
            return ids.to(self._compute_torch_dtype)
        return encode_categorical(
            ids, self.output_mode, self.num_bins, self._compute_torch_dtype
        )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        if not shape:
            return (self.num_bins,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return (*shape, self.num_bins)
        return (*shape[:-1], self.num_bins)

    def compute_output_spec(self, inputs: Any) -> Any:
        return KerasTensor(
            self.compute_output_shape(inputs.shape), dtype=self.compute_dtype
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
