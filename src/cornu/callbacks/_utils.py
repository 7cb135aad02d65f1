"""Small helpers shared by the callbacks."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch


def to_float(value: Any) -> float:
    """A Python float from a float, a numpy scalar or a 0-d tensor."""
    if isinstance(value, torch.Tensor):
        return float(value.detach().cpu())
    return float(np.asarray(value))


def get_learning_rate(optimizer: Any) -> float:
    """The optimizer's current learning rate, as a Python float."""
    return to_float(optimizer.learning_rate)


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yields a temporary path beside `path`; moves it onto `path` on success.

    The temporary name keeps `path`'s file name as its suffix, so savers that
    check extensions (`.keras`, `.weights.h5`) accept it. If the body raises,
    the temporary file is removed and `path` is left as it was.
    """
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".tmp-{uuid.uuid4().hex[:12]}-{name}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
