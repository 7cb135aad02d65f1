"""`HashedCrossing`: crosses categorical features into hashed bins."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.preprocessing._encoding import encode_categorical
from cornu.layers.preprocessing._hash import MASK, fingerprint64
from cornu.layers.preprocessing.hashing import as_numpy

CROSSING_MODES = ("int", "one_hot")
# The seed of TensorFlow's hashed feature cross (`tf.sparse.cross_hashed`).
_CROSS_SEED = 0xDECAFCAFFE
_CAT_MUL = 0xC6A4A7935BD1E995


def _shift_mix(x: int) -> int:
    return x ^ (x >> 47)


def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """Combines two 64-bit fingerprints (TensorFlow's `FingerprintCat64`)."""
    result = fp1 ^ _CAT_MUL
    result ^= (_shift_mix((fp2 * _CAT_MUL) & MASK) * _CAT_MUL) & MASK
    result = (result * _CAT_MUL) & MASK
    result = (_shift_mix(result) * _CAT_MUL) & MASK
    return _shift_mix(result)


def _feature_hash(value: Any) -> int:
    # Strings hash by FarmHash Fingerprint64; integers enter the cross as
    # their own (two's complement) bits.
    if isinstance(value, str):
        return fingerprint64(value.encode("utf-8"))
    if isinstance(value, bytes):
        return fingerprint64(value)
    return int(value) & MASK


def cross_hash(values: tuple[Any, ...], num_bins: int) -> int:
    """The bin of one combination of feature values."""
    hashed = _CROSS_SEED
    for value in values:
        hashed = fingerprint_cat64(hashed, _feature_hash(value))
    return hashed % num_bins


class HashedCrossing(Layer):
    """Crosses categorical features by hashing each combination into a bin.

    Conceptually `hash(concatenate(features)) % num_bins`; equal to Keras
    (TensorFlow's hashed feature cross: strings hashed by FarmHash
    Fingerprint64, integers as they are, combined with `FingerprintCat64`).
    Each input holds one scalar feature per sample.

    Args:
        num_bins: the number of hash bins.
        output_mode: `"int"` (default; bin indices) or `"one_hot"`.
        sparse: must be `False`.

    Call arguments:
        inputs: a list or tuple of at least two features (strings or
            integers) of equal shape `()`, `(batch,)` or `(batch, 1)`.

    Input shape:
        A list of `()`, `(batch,)` or `(batch, 1)` shapes, all equal.

    Output shape:
        The inputs' shape for `"int"`; for `"one_hot"`, `(batch, num_bins)`.

    Returns:
        `int64` bin indices, or `float32` one-hot rows.

    Example:
    >>> import numpy as np
    >>> layer = HashedCrossing(num_bins=5)
    >>> layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102]))).tolist()
    [1, 4, 1, 1, 3]
    """

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if not isinstance(num_bins, int) or isinstance(num_bins, bool) or num_bins < 1:
            raise ValueError(
                "HashedCrossing `num_bins` must be a positive integer, received: "
                f"num_bins={num_bins!r}."
            )
        if output_mode not in CROSSING_MODES:
            raise ValueError(
                f"HashedCrossing `output_mode` must be one of {CROSSING_MODES}, "
                f"received: output_mode={output_mode!r}."
            )
        if sparse:
            raise ValueError(
                "HashedCrossing(sparse=True) is not supported: cornu has no sparse "
                "tensors."
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse
        self.autocast = False

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inputs, (list, tuple)):
            # Text features stay in lists: the engine makes tensors of arrays.
            inputs = type(inputs)(
                x.tolist() if isinstance(x, np.ndarray) and x.dtype.kind in "OSU" else x
                for x in inputs
            )
        return super().__call__(inputs, *args, **kwargs)

    def _maybe_build(self, first: Any) -> None:
        # Text features arrive as lists: record their shapes, not their values.
        shapes = (
            [tuple(np.shape(x)) for x in first]
            if isinstance(first, (list, tuple))
            else None
        )
        self._build_with(shapes)

    def _features(self, inputs: Any) -> list[np.ndarray]:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'Layer "{self.name}" (HashedCrossing) should be called on a list '
                f"or tuple of inputs, received: {type(inputs).__name__}."
            )
        if len(inputs) < 2:
            raise ValueError(
                f'Layer "{self.name}" (HashedCrossing) should be called on at '
                f"least two inputs, received {len(inputs)}."
            )
        features = [as_numpy(x) for x in inputs]
        shape = features[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                f'Layer "{self.name}" (HashedCrossing) inputs should have shape '
                f"(), (batch_size,) or (batch_size, 1), received shape {shape}."
            )
        if any(f.shape != shape for f in features[1:]):
            raise ValueError(
                f'Layer "{self.name}" (HashedCrossing) inputs should have equal '
                f"shapes, received {[f.shape for f in features]}."
            )
        for f in features:
            if f.dtype.kind not in "iuUSO":
                raise ValueError(
                    f'Layer "{self.name}" (HashedCrossing) inputs should be '
                    f"integers or strings, received dtype {f.dtype}."
                )
        return features

    def call(self, inputs: Any) -> torch.Tensor:
        features = self._features(inputs)
        shape = features[0].shape
        columns = [f.reshape(-1).tolist() for f in features]
        bins = [cross_hash(values, self.num_bins) for values in zip(*columns)]
        ids = torch.tensor(bins, dtype=torch.int64).reshape(shape)
        out = encode_categorical(
            ids, self.output_mode, self.num_bins, self._compute_torch_dtype
        )
        return out.reshape(self.num_bins) if shape == () and out.dim() > 1 else out

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2:
            raise ValueError(
                "HashedCrossing expects a list of at least two input shapes, "
                f"received input_shape={input_shape}."
            )
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if shape and shape[-1] == 1:
            return (*shape[:-1], self.num_bins)
        return (*shape, self.num_bins)

    def compute_output_spec(self, inputs: Any) -> Any:
        shapes = [tuple(x.shape) for x in inputs]
        return KerasTensor(self.compute_output_shape(shapes), dtype=self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
