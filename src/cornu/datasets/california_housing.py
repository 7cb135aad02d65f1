"""California Housing: 20,640 samples of 8 features; the target is the
median house value."""

from __future__ import annotations

import numpy as np

from cornu.datasets._common import ORIGIN_FOLDER, load_npz, shuffled_split
from cornu.utils.file_utils import get_file

_FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(
    version: str = "large",
    path: str = "california_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the California Housing dataset, downloading it the first time.

    Args:
        version: `"large"` (all 20,640 samples) or `"small"` (the first 600).
        path: the file name in the cache.
        test_split: the fraction of samples kept as the test set.
        seed: the seed of the shuffle before the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)` numpy arrays.

    Example:

    ```python
    (x_train, y_train), _ = keras.datasets.california_housing.load_data()
    ```
    """
    if version not in ("small", "large"):
        raise ValueError(
            "Argument `version` must be one of 'small', 'large'. "
            f"Received: version={version}"
        )
    path = get_file(
        path, origin=f"{ORIGIN_FOLDER}california_housing.npz", file_hash=_FILE_HASH
    )
    x, y = load_npz(path, ("x", "y"))
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffled_split(x, y, test_split, seed)
