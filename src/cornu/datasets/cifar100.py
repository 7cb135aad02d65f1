"""CIFAR-100: 50,000 + 10,000 colour 32x32 images of 100 classes in 20 groups."""

from __future__ import annotations

import os

import numpy as np

from cornu.datasets._cifar import read_records, to_keras_layout
from cornu.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
# The MD5 listed for the binary version on https://www.cs.toronto.edu/~kriz/cifar.html
# (Keras's own hash is for the pickled python version, which cornu does not read).
# Confirm it against that page whenever the origin changes.
_FILE_HASH = "03b5dce01913d631647c71ecec9e9cb8"
_LABEL_BYTE = {"coarse": 0, "fine": 1}  # each record starts: coarse, fine, pixels


def load_data(
    label_mode: str = "fine",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-100, downloading it the first time.

    Args:
        label_mode: `"fine"` (100 classes) or `"coarse"` (20 super-classes).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        `(50000, 32, 32, 3)`, `(50000, 1)`, `(10000, 32, 32, 3)`, `(10000, 1)`
        (images are `(N, 3, 32, 32)` when the image data format is
        channels-first).

    Example:

    ```python
    (x_train, y_train), _ = keras.datasets.cifar100.load_data(label_mode="coarse")
    ```
    """
    if label_mode not in _LABEL_BYTE:
        raise ValueError(
            '`label_mode` must be one of `"fine"`, `"coarse"`. '
            f"Received: label_mode={label_mode}."
        )
    root = get_file(
        fname="cifar-100-binary", origin=ORIGIN, extract=True, file_hash=_FILE_HASH
    )
    folder = os.path.join(root, "cifar-100-binary")
    column = _LABEL_BYTE[label_mode]
    splits = []
    for name in ("train.bin", "test.bin"):
        x, labels = read_records(os.path.join(folder, name), label_bytes=2)
        splits.append(to_keras_layout(x, labels[:, column]))
    return splits[0], splits[1]
