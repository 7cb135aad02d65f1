"""Readers for the CIFAR *binary* archives (fixed-size records, no pickle).

Keras downloads the "python version" archives, whose batches are pickled dicts:
loading one runs whatever the pickle says. The binary versions from the same
page hold the same images as plain records, so cornu reads those instead.
"""

from __future__ import annotations

import os

import numpy as np

from cornu import config

_PIXELS = 3 * 32 * 32  # one image: 1024 red, then 1024 green, then 1024 blue bytes


def read_records(path: str, label_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Reads a CIFAR binary file of `label_bytes` label bytes + 3072 pixel bytes.

    Returns:
        `(images, labels)`: uint8 arrays of shapes `(N, 3, 32, 32)` and
        `(N, label_bytes)`.
    """
    raw = np.fromfile(path, dtype=np.uint8)
    record = label_bytes + _PIXELS
    if raw.size == 0 or raw.size % record:
        raise ValueError(
            f"Expected {os.path.basename(path)!r} to hold whole CIFAR records of "
            f"{record} bytes, received a file of {raw.size} bytes."
        )
    records = raw.reshape(-1, record)
    images = records[:, label_bytes:].reshape(-1, 3, 32, 32)
    return images, records[:, :label_bytes]


def to_keras_layout(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's return layout: images `(N, 32, 32, 3)` when channels-last (else
    `(N, 3, 32, 32)`), labels `(N, 1)`, all contiguous uint8."""
    if config.image_data_format() == "channels_last":
        x = x.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x), np.ascontiguousarray(y.reshape(-1, 1))
