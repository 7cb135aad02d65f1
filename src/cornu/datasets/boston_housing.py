"""Boston Housing: 506 samples of 13 features; the target is the median price."""

from __future__ import annotations

import numpy as np

from cornu.datasets._common import ORIGIN_FOLDER, load_npz, shuffled_split
from cornu.utils.file_utils import get_file

_FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(
    path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Boston Housing dataset, downloading it the first time.

    Args:
        path: the file name in the cache.
        test_split: the fraction of samples kept as the test set.
        seed: the seed of the shuffle before the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)` numpy arrays.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data()
    ```
    """
    if not 0 <= test_split < 1:
        raise ValueError(
            f"`test_split` must be between 0 and 1. Received: test_split={test_split}"
        )
    path = get_file(
        path, origin=f"{ORIGIN_FOLDER}boston_housing.npz", file_hash=_FILE_HASH
    )
    x, y = load_npz(path, ("x", "y"))
    return shuffled_split(x, y, test_split, seed)
