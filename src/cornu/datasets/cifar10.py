"""CIFAR-10: 50,000 + 10,000 colour 32x32 images of 10 object classes."""

from __future__ import annotations

import os

import numpy as np

from cornu.datasets._cifar import read_records, to_keras_layout
from cornu.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
# The MD5 listed for the binary version on https://www.cs.toronto.edu/~kriz/cifar.html
# (Keras's own hash is for the pickled python version, which cornu does not read).
# Confirm it against that page whenever the origin changes.
_FILE_HASH = "c32a1d4ab5d03f1284b67883e8d87530"


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-10, downloading it the first time.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        `(50000, 32, 32, 3)`, `(50000, 1)`, `(10000, 32, 32, 3)`, `(10000, 1)`
        (images are `(N, 3, 32, 32)` when the image data format is
        channels-first). Labels are class indices in `[0, 9]`.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    ```
    """
    root = get_file(
        fname="cifar-10-binary", origin=ORIGIN, extract=True, file_hash=_FILE_HASH
    )
    folder = os.path.join(root, "cifar-10-batches-bin")
    train = [
        read_records(os.path.join(folder, f"data_batch_{i}.bin"), label_bytes=1)
        for i in range(1, 6)
    ]
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    x_test, y_test = read_records(os.path.join(folder, "test_batch.bin"), 1)
    return to_keras_layout(x_train, y_train), to_keras_layout(x_test, y_test)
