"""Reads `.npz` files that hold object arrays, without running untrusted code.

IMDB and Reuters store their ragged sequences as `dtype=object` arrays of int
lists, which numpy can only save as a pickle stream. `np.load(allow_pickle=True)`
would let a tampered file call anything (`os.system`, `eval`, ...) while loading.
Here object members are unpickled by `RestrictedUnpickler`, which resolves only
the callables numpy needs to rebuild an array; numeric members are read with
pickling disabled.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from typing import Any

import numpy as np

# Rebuilding an object ndarray references exactly these globals; the int lists
# inside it are plain pickle data that needs none. `numpy.core` is how files
# written under numpy < 2 spell the module, `numpy._core` under numpy >= 2.
_ALLOWED = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only numpy's array-reconstruction callables."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            allowed = ", ".join(sorted(f"{m}.{n}" for m, n in _ALLOWED))
            raise pickle.UnpicklingError(
                f"Refusing to load the global {module}.{name} from a dataset "
                f"file: only numpy array reconstruction ({allowed}) is allowed. "
                "The file may be corrupted or malicious."
            )
        return super().find_class(module, name)


def _read_member(buffer: io.BytesIO, where: str) -> np.ndarray:
    version = np.lib.format.read_magic(buffer)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(buffer)
    elif version in ((2, 0), (3, 0)):
        # Version 3.0 differs from 2.0 only in allowing a UTF-8 header string.
        shape, _, dtype = np.lib.format.read_array_header_2_0(buffer)
    else:
        raise ValueError(f"Unsupported .npy format version {version} in {where}.")
    if not dtype.hasobject:
        buffer.seek(0)
        return np.lib.format.read_array(buffer, allow_pickle=False)
    array = RestrictedUnpickler(buffer).load()
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise ValueError(
            f"Expected {where} to hold an object array of shape {shape}, "
            f"received {type(array).__name__}."
        )
    return array


def load_npz_objects(path: str, keys: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """Reads `keys` from the `.npz` at `path`, unpickling object arrays safely.

    Raises:
        pickle.UnpicklingError: a member references anything but numpy array
            reconstruction.
        KeyError: a key is missing from the archive.
    """
    arrays = []
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for key in keys:
            member = f"{key}.npy"
            if member not in names:
                raise KeyError(
                    f"Expected {path!r} to hold the array {key!r}, "
                    f"received members {sorted(names)}."
                )
            buffer = io.BytesIO(archive.read(member))
            arrays.append(_read_member(buffer, f"{path}:{member}"))
    return tuple(arrays)
