"""MNIST: 60,000 + 10,000 grayscale 28x28 images of the 10 digits."""

from __future__ import annotations

import numpy as np

from cornu.datasets._common import ORIGIN_FOLDER, load_npz
from cornu.utils.file_utils import get_file

_FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(
    path: str = "mnist.npz",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST, downloading it into `~/.keras/datasets/` the first time.

    Args:
        path: the file name in the cache.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        `(60000, 28, 28)`, `(60000,)`, `(10000, 28, 28)`, `(10000,)`.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    ```
    """
    path = get_file(
        fname=path, origin=f"{ORIGIN_FOLDER}mnist.npz", file_hash=_FILE_HASH
    )
    x_train, y_train, x_test, y_test = load_npz(
        path, ("x_train", "y_train", "x_test", "y_test")
    )
    return (x_train, y_train), (x_test, y_test)
