"""Shared pieces of the loaders: Keras's origin folder and safe `.npz` reads."""

from __future__ import annotations

import numpy as np

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def load_npz(path: str, keys: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """Reads `keys` from an `.npz` file; pickled (object) arrays are refused."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return tuple(np.asarray(f[k]) for k in keys)
    except ValueError as e:
        if "allow_pickle" in str(e) or "pickle" in str(e):
            raise ValueError(
                f"Refusing to load {path!r}: it holds pickled Python objects, "
                "which could run code when loaded."
            ) from e
        raise


def shuffled_split(
    x: np.ndarray, y: np.ndarray, test_split: float, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Keras's housing split: shuffle with `RandomState(seed)`, then cut."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (
        np.array(x[cut:]),
        np.array(y[cut:]),
    )
