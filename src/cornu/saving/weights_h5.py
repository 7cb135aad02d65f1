"""Model weights in Keras's HDF5 layout (`.weights.h5`, and inside `.keras`).

Each object that owns variables (see `object_tree`) has a group
`<path>/vars` holding datasets `"0"`, `"1"`, ... in the object's variable
order, and a `name` attribute. Reading is defensive: links, external or
virtual datasets and non-numeric data are refused, every dataset's shape
and dtype are checked against the model *before* any data is read, and
nothing is assigned until the whole file has been read and validated.
"""

from __future__ import annotations

import io
import math
import warnings
from typing import Any

import numpy as np
import torch

from cornu.saving.errors import InvalidFileError
from cornu.saving.object_tree import Saveable, walk

# A dataset whose declared size exceeds this and is more than
# `_MAX_EXPANSION` times what it stores on disk is a shape/decompression
# bomb. (Shapes are also checked against the model before reading, so a
# dataset read into memory is never larger than the variable it fills.)
_BOMB_FLOOR_BYTES = 1 << 28
_MAX_EXPANSION = 1000


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - h5py is a declared extra
        raise ImportError(
            "Reading and writing Keras weights files needs h5py: "
            "`pip install cornu[saving]` (or `pip install h5py`)."
        ) from e
    return h5py


# -- writing -------------------------------------------------------------------
def _to_numpy(value: Any) -> tuple[np.ndarray, str | None]:
    """A numpy array of the value, and a dtype tag for types numpy lacks."""
    if isinstance(value, torch.Tensor):
        # A fully sharded weight is gathered whole (see cornu.distribution).
        from cornu.distribution.runtime import full_value

        t = full_value(value).detach().cpu()
        if t.dtype is torch.bfloat16:
            # Keras stores bfloat16 as 2-byte opaque data tagged "bfloat16".
            raw = t.contiguous().view(torch.int16).numpy()
            return raw.view(np.dtype("V2")), "bfloat16"
        return t.numpy(), None
    arr = np.asarray(value)
    if arr.dtype.name == "bfloat16":
        return arr.view(np.dtype("V2")), "bfloat16"
    return arr, None


def write_weights(model: Any, h5file: Any) -> None:
    """Writes the variables of `model`'s whole object tree into an open h5 file.

    Args:
        model: a model or layer.
        h5file: an `h5py.File` opened for writing.
    """
    for saveable in walk(model):
        group_name = f"{saveable.path}/vars" if saveable.path else "vars"
        group = h5file.create_group(group_name)
        group.attrs["name"] = saveable.name
        if saveable.custom_io:
            store: dict[str, Any] = {}
            saveable.obj.save_own_variables(store)
            items = list(store.items())
        else:
            items = [(str(i), v) for i, v in enumerate(saveable.variables())]
        for key, value in items:
            arr, tag = _to_numpy(value)
            ds = group.create_dataset(key, data=arr)
            if tag:
                ds.attrs["dtype"] = tag


# -- reading -------------------------------------------------------------------
def open_h5(source: Any, what: str) -> Any:
    """Opens an HDF5 file (a path, bytes or a file object) read-only.

    Raises:
        InvalidFileError: the data is not a readable HDF5 file.
    """
    h5py = _h5py()
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    try:
        return h5py.File(source, "r")
    except (OSError, ValueError) as e:
        raise InvalidFileError(
            f"{what} is not a valid HDF5 weights file (it may be truncated or "
            f"corrupted): {e}"
        ) from None


def _child(parent: Any, key: str, where: str) -> Any:
    """`parent[key]`, refusing links that point elsewhere; None if absent."""
    h5py = _h5py()
    try:
        if key not in parent:
            return None
        link = parent.get(key, getlink=True)
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        raise InvalidFileError(
            f"Cannot read {where!r} in the weights file: {e}"
        ) from None
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise InvalidFileError(
            f"The weights file has a {type(link).__name__} at {where!r}; links "
            "are not allowed in weights files (they can point outside the file)."
        )
    try:
        return parent[key]
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        raise InvalidFileError(
            f"Cannot read {where!r} in the weights file: {e}"
        ) from None


def _vars_group(h5file: Any, path: str) -> Any:
    h5py = _h5py()
    node = h5file
    parts = [p for p in path.split("/") if p] + ["vars"]
    where = ""
    for part in parts:
        where = f"{where}/{part}" if where else part
        node = _child(node, part, where)
        if node is None:
            return None
        if not isinstance(node, h5py.Group):
            raise InvalidFileError(
                f"The weights file has a {type(node).__name__} at {where!r} "
                "where Keras's layout has a group."
            )
    return node


def _datasets(group: Any, where: str) -> dict[str, Any]:
    h5py = _h5py()
    out: dict[str, Any] = {}
    for key in list(group.keys()):
        ds = _child(group, key, f"{where}/{key}")
        if not isinstance(ds, h5py.Dataset):
            raise InvalidFileError(
                f"The weights file has a group at {where}/{key!r} where Keras's "
                "layout has a dataset."
            )
        if ds.external:
            raise InvalidFileError(
                f"The weights file's dataset {where}/{key} stores its data in "
                "external files; that is not allowed."
            )
        if ds.is_virtual:
            raise InvalidFileError(
                f"The weights file's dataset {where}/{key} is a virtual dataset "
                "(data mapped from other files); that is not allowed."
            )
        out[key] = ds
    return out


def _declared_dtype(ds: Any) -> np.dtype | str:
    tag = ds.attrs.get("dtype") if "dtype" in ds.attrs else None
    if isinstance(tag, bytes):
        tag = tag.decode("ascii", "replace")
    if tag == "bfloat16" and ds.dtype.itemsize == 2 and ds.dtype.kind == "V":
        return "bfloat16"
    return ds.dtype


def _kind_of_torch(dtype: torch.dtype) -> str:
    if dtype is torch.bool:
        return "b"
    if dtype.is_complex:
        return "c"
    if dtype.is_floating_point:
        return "f"
    return "i"


def _compatible(target: torch.dtype, stored: np.dtype | str) -> bool:
    want = _kind_of_torch(target)
    if stored == "bfloat16":
        return want == "f"
    kind = stored.kind  # type: ignore[union-attr]
    if want == "f":
        return kind == "f"
    if want == "i":
        return kind in "iu"
    if want == "b":
        return kind == "b"
    return kind in "fc"


def _stored_name(stored: np.dtype | str) -> str:
    return stored if isinstance(stored, str) else str(stored)


def _check_bomb(ds: Any, where: str) -> None:
    declared = math.prod(ds.shape or ()) * ds.dtype.itemsize
    if declared <= _BOMB_FLOOR_BYTES:
        return
    try:
        stored = ds.id.get_storage_size()
    except Exception:  # noqa: BLE001 - the size is only a heuristic
        stored = 0
    if declared > _MAX_EXPANSION * max(stored, 1):
        raise InvalidFileError(
            f"The weights file's dataset {where} declares {declared} bytes but "
            f"stores only {stored}: refusing a possible decompression bomb."
        )


def _read(ds: Any, stored: np.dtype | str, where: str) -> np.ndarray:
    _check_bomb(ds, where)
    try:
        arr = ds[()]
    except (OSError, ValueError, TypeError, RuntimeError) as e:
        raise InvalidFileError(
            f"Cannot read the data of {where} (the file may be truncated or "
            f"corrupted): {e}"
        ) from None
    arr = np.asarray(arr)
    if stored == "bfloat16":
        arr = arr.view(np.int16)
    return arr


def _to_tensor(
    arr: np.ndarray, stored: np.dtype | str, target: torch.Tensor
) -> torch.Tensor:
    if stored == "bfloat16":
        t = torch.from_numpy(np.ascontiguousarray(arr).reshape(arr.shape)).view(
            torch.bfloat16
        )
    else:
        t = torch.from_numpy(np.ascontiguousarray(arr).reshape(arr.shape))
    return t.to(dtype=target.dtype, device=target.device)


def _expected_names(variables: list[torch.Tensor]) -> list[str]:
    return [str(getattr(v, "path", getattr(v, "name", "?"))) for v in variables]


def _read_custom(saveable: Saveable, datasets: dict[str, Any], where: str) -> dict:
    store: dict[str, Any] = {}
    for key, ds in datasets.items():
        stored = _declared_dtype(ds)
        if isinstance(stored, np.dtype) and stored.kind not in "biufc":
            raise InvalidFileError(
                f"{where}/{key} holds data of type {stored}; weights must be numeric."
            )
        arr = _read(ds, stored, f"{where}/{key}")
        if stored == "bfloat16":
            store[key] = torch.from_numpy(
                np.ascontiguousarray(arr).reshape(arr.shape)
            ).view(torch.bfloat16)
        else:
            store[key] = arr
    return store


def load_weights(
    model: Any,
    h5file: Any,
    skip_mismatch: bool = False,
    source: str = "the weights file",
) -> None:
    """Loads an open Keras h5 weights file into `model`, all or nothing.

    Every object in the model's tree is matched to its group in the file;
    counts, shapes and dtypes are checked and every array is read into
    memory first. Only when the whole file fits is anything assigned, so a
    bad file leaves the model's weights as they were.

    Args:
        model: the model (or layer) to fill.
        h5file: an `h5py.File` opened for reading.
        skip_mismatch: skip (with a warning) objects whose weights do not
            fit, instead of raising.
        source: how to name the file in errors.

    Raises:
        InvalidFileError: the file is unsafe, malformed or does not fit.
    """
    staged: list[tuple[torch.Tensor, torch.Tensor]] = []
    custom: list[tuple[Any, dict]] = []
    problems: list[str] = []
    for saveable in walk(model):
        where = f"{saveable.path}/vars" if saveable.path else "vars"
        group = _vars_group(h5file, saveable.path)
        datasets = _datasets(group, where) if group is not None else {}
        if saveable.custom_io:
            custom.append((saveable.obj, _read_custom(saveable, datasets, where)))
            continue
        variables = saveable.variables()
        label = _label(saveable)
        if len(datasets) != len(variables):
            message = (
                f"{label} expects {len(variables)} variable(s) "
                f"{_expected_names(variables)}, but {source} has "
                f"{len(datasets)} at {where!r}."
            )
            if saveable.kind == "optimizer":
                # As Keras: optimizer state that does not fit (e.g. the
                # optimizer is not built yet) is skipped, the weights load.
                warnings.warn(f"Skipping the optimizer state: {message}", stacklevel=3)
                continue
            if skip_mismatch:
                warnings.warn(f"Skipping {message}", stacklevel=3)
                continue
            problems.append(message)
            continue
        own: list[tuple[torch.Tensor, torch.Tensor]] = []
        own_problems: list[str] = []
        for i, var in enumerate(variables):
            ds = datasets.get(str(i))
            name = _expected_names([var])[0]
            if ds is None:
                own_problems.append(
                    f"{label} variable {name!r}: {source} has no dataset "
                    f"{where}/{i} (it has {sorted(datasets)})."
                )
                continue
            stored = _declared_dtype(ds)
            if tuple(ds.shape or ()) != tuple(var.shape):
                own_problems.append(
                    f"{label} variable {name!r} has shape {tuple(var.shape)}, "
                    f"but {source} has shape {tuple(ds.shape or ())} at {where}/{i}."
                )
                continue
            if not _compatible(var.dtype, stored):
                own_problems.append(
                    f"{label} variable {name!r} has dtype "
                    f"{str(var.dtype).replace('torch.', '')}, but {source} has "
                    f"incompatible dtype {_stored_name(stored)} at {where}/{i}."
                )
                continue
            arr = _read(ds, stored, f"{where}/{i}")
            own.append((var, _to_tensor(arr, stored, var)))
        if own_problems:
            if skip_mismatch:
                warnings.warn("Skipping: " + " ".join(own_problems), stacklevel=3)
                continue
            problems.extend(own_problems)
            continue
        staged.extend(own)
    if problems:
        listed = "\n  - ".join(problems)
        raise InvalidFileError(
            f"Cannot load {source}: it does not fit the model (nothing was "
            f"loaded):\n  - {listed}"
        )
    # A fully sharded weight keeps its own part (see cornu.distribution).
    from cornu.distribution.runtime import assign_full_value

    for var, value in staged:
        assign_full_value(var, value)
    for obj, store in custom:
        obj.load_own_variables(store)


def _label(saveable: Saveable) -> str:
    kind = "Optimizer" if saveable.kind == "optimizer" else "Layer"
    return f'{kind} "{saveable.name}" ({type(saveable.obj).__name__})'


__all__ = ["write_weights", "load_weights", "open_h5"]
