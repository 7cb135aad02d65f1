"""Model weights as `.safetensors`, keyed by Keras variable paths.

`safetensors` is the weights format the PyTorch ecosystem exchanges; it
holds raw tensors and a JSON header, so reading it can never run code.
Tensors are named by each variable's path (`"dense/kernel"`); the file's
metadata also records each variable's place in Keras's object tree, so a
model whose layers got other names (built in another session, or twice in
one) still loads it by structure.
"""

from __future__ import annotations

import json
from typing import Any

import torch

from cornu.saving.atomic import atomic_path
from cornu.saving.errors import InvalidFileError
from cornu.saving.object_tree import walk

_STRUCTURE_KEY = "keras_structure"


def _safetensors() -> Any:
    try:
        import safetensors
        import safetensors.torch
    except ImportError as e:
        raise ImportError(
            "Saving or loading `.safetensors` weights needs the `safetensors` "
            "package: `pip install cornu[safetensors]` (or `pip install "
            "safetensors`)."
        ) from e
    return safetensors


def _model_variables(model: Any) -> list[tuple[str, str, torch.Tensor]]:
    """(variable path, structural key, variable) for every model weight."""
    out = []
    for saveable in walk(model):
        if saveable.kind != "layer":
            continue
        group = f"{saveable.path}/vars" if saveable.path else "vars"
        for i, var in enumerate(saveable.variables()):
            path = str(getattr(var, "path", None) or f"{group}/{i}")
            out.append((path, f"{group}/{i}", var))
    return out


def save_weights(model: Any, filepath: str) -> None:
    """Writes the model's weights to `filepath` atomically.

    Args:
        model: a built model.
        filepath: the destination, ending in `.safetensors`.
    """
    st = _safetensors()
    entries = _model_variables(model)
    paths = [p for p, _, _ in entries]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise ValueError(
            f'Model "{model.name}" has several variables with the path(s) '
            f"{duplicates}, so they cannot be keys of a safetensors file. Give "
            "the weights distinct names, or save to `.weights.h5`."
        )
    # A fully sharded weight is gathered whole (see cornu.distribution).
    from cornu.distribution.runtime import full_value

    tensors = {
        p: full_value(v).detach().to("cpu").contiguous().clone() for p, _, v in entries
    }
    metadata = {
        "format": "pt",
        _STRUCTURE_KEY: json.dumps({p: s for p, s, _ in entries}),
    }
    with atomic_path(filepath) as tmp:
        st.torch.save_file(tensors, tmp, metadata=metadata)


def _open(filepath: str) -> Any:
    st = _safetensors()
    try:
        return st.safe_open(filepath, framework="pt", device="cpu")
    except Exception as e:  # noqa: BLE001 - the library raises several kinds
        raise InvalidFileError(
            f"File {filepath!r} is not a valid safetensors file (it may be "
            f"truncated or corrupted): {e}"
        ) from None


def _dtype_kind(dtype: torch.dtype) -> str:
    if dtype is torch.bool:
        return "b"
    if dtype.is_complex:
        return "c"
    return "f" if dtype.is_floating_point else "i"


_SAFETENSORS_KINDS = {
    "BOOL": "b",
    "U8": "i",
    "I8": "i",
    "U16": "i",
    "I16": "i",
    "U32": "i",
    "I32": "i",
    "U64": "i",
    "I64": "i",
    "F16": "f",
    "BF16": "f",
    "F32": "f",
    "F64": "f",
    "C64": "c",
}


def load_weights(model: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Loads weights saved by `save_weights`, checking everything before assigning.

    Args:
        model: a built model with the saved architecture.
        filepath: the `.safetensors` file.
        skip_mismatch: skip, with a warning, weights whose shape or dtype
            does not fit, instead of raising.

    Raises:
        InvalidFileError: the file is malformed or does not fit the model.
    """
    import warnings

    entries = _model_variables(model)
    with _open(filepath) as f:
        keys = set(f.keys())
        metadata = f.metadata() or {}
        by_path = {p: p for p, _, _ in entries}
        if set(by_path) != keys:
            by_path = _match_by_structure(entries, keys, metadata, filepath)
        staged: list[tuple[torch.Tensor, torch.Tensor]] = []
        problems: list[str] = []
        for path, _, var in entries:
            key = by_path[path]
            try:
                piece = f.get_slice(key)
                shape = tuple(piece.get_shape())
                dtype = str(piece.get_dtype())
            except Exception as e:  # noqa: BLE001
                raise InvalidFileError(
                    f"File {filepath!r}: cannot read tensor {key!r}: {e}"
                ) from None
            problem = None
            if shape != tuple(var.shape):
                problem = (
                    f"variable {path!r} has shape {tuple(var.shape)}, but the "
                    f"file's tensor {key!r} has shape {shape}."
                )
            elif _SAFETENSORS_KINDS.get(dtype) != _dtype_kind(var.dtype):
                problem = (
                    f"variable {path!r} has dtype "
                    f"{str(var.dtype).replace('torch.', '')}, but the file's "
                    f"tensor {key!r} has incompatible dtype {dtype}."
                )
            if problem:
                if skip_mismatch:
                    warnings.warn(f"Skipping {problem}", stacklevel=3)
                else:
                    problems.append(problem)
                continue
            try:
                value = f.get_tensor(key)
            except Exception as e:  # noqa: BLE001
                raise InvalidFileError(
                    f"File {filepath!r}: cannot read tensor {key!r} (the file "
                    f"may be truncated): {e}"
                ) from None
            staged.append((var, value.to(dtype=var.dtype, device=var.device)))
    if problems:
        listed = "\n  - ".join(problems)
        raise InvalidFileError(
            f"Cannot load {filepath!r}: it does not fit the model (nothing was "
            f"loaded):\n  - {listed}"
        )
    # A fully sharded weight keeps its own part (see cornu.distribution).
    from cornu.distribution.runtime import assign_full_value

    for var, value in staged:
        assign_full_value(var, value)


def _match_by_structure(
    entries: list[tuple[str, str, torch.Tensor]],
    keys: set[str],
    metadata: dict[str, str],
    filepath: str,
) -> dict[str, str]:
    structure: Any = None
    if _STRUCTURE_KEY in metadata:
        try:
            structure = json.loads(metadata[_STRUCTURE_KEY])
        except ValueError:
            structure = None
    if isinstance(structure, dict):
        by_slot = {str(s): str(p) for p, s in structure.items() if p in keys}
        if len(keys) == len(entries) and all(slot in by_slot for _, slot, _ in entries):
            return {path: by_slot[slot] for path, slot, _ in entries}
    missing = sorted(p for p, _, _ in entries if p not in keys)
    unexpected = sorted(keys - {p for p, _, _ in entries})
    raise InvalidFileError(
        f"Cannot load {filepath!r}: its tensors do not match the model's "
        f"variables (nothing was loaded). Missing: {missing[:10]}; "
        f"unexpected: {unexpected[:10]}."
    )


__all__ = ["save_weights", "load_weights"]
