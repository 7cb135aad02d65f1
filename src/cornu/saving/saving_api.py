"""`save_model`, `load_model`, `save_weights`, `load_weights`, JSON configs.

Formats, chosen by the file name as in Keras:

- `.keras`: Keras 3's zip archive (config, metadata and weights);
- `.weights.h5`: Keras's HDF5 weights layout (model and optimizer state);
- `.safetensors`: model weights keyed by variable path, for the PyTorch
  ecosystem (needs the `safetensors` package).

Every save is atomic; every load validates the whole file before it builds
or changes anything, and never runs code from the file.
"""

from __future__ import annotations

import functools
import io
import json
import os
import warnings
from collections.abc import Iterator
from typing import Any

import torch

from cornu.core import serialization
from cornu.saving import keras_archive, weights_h5
from cornu.saving.assets import collect_assets, restore_assets
from cornu.saving.atomic import atomic_path, scratch_file_beside
from cornu.saving.errors import InvalidFileError

PathLike = str | os.PathLike[str]


def _describe(filepath: Any) -> str:
    if isinstance(filepath, (str, os.PathLike)):
        return f"File {os.fspath(filepath)!r}"
    return "The file object"


def _check_built(model: Any, action: str) -> None:
    if not getattr(model, "built", False):
        raise ValueError(
            f'Cannot {action}: model "{getattr(model, "name", "?")}" is not built '
            "yet, so it has no weights. Build it first, by calling it on data "
            "or with `model.build(input_shape)`."
        )


# -- .keras archives -------------------------------------------------------------
def to_json_config(model: Any) -> str:
    """Serializes `model` (architecture, and compile config if compiled) to JSON."""
    return json.dumps(serialization.serialize_keras_object(model))


def _only_rank_zero(save: Any) -> Any:
    """Under torchrun, only global rank 0 writes (the others return at once).

    No barrier: rank-0-only callbacks (ModelCheckpoint) save from one rank.
    A fully sharded model is the exception: every rank must take part in
    gathering its weights, so every rank calls the save and the others
    return once the weights are gathered.
    """

    @functools.wraps(save)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Imported here: cornu.distribution sits above cornu.saving.
        from cornu.distribution.runtime import gathered_for_saving

        distributed = (
            torch.distributed.is_available() and torch.distributed.is_initialized()
        )
        rank = (
            torch.distributed.get_rank()
            if distributed
            else int(os.environ.get("RANK", "0"))
        )
        model = args[0] if args else kwargs.get("model")
        with gathered_for_saving(model):
            return save(*args, **kwargs) if rank == 0 else None

    return wrapper


@_only_rank_zero
def save_model(
    model: Any, filepath: PathLike | io.IOBase, overwrite: bool = True, **kwargs: Any
) -> None:
    """Saves a model as a `.keras` archive that Keras 3 can load.

    The archive holds the architecture (`config.json`), the weights and,
    for a compiled model, the compile configuration and optimizer state.
    The file is written to a temporary file beside `filepath` and renamed
    into place, so an interrupted save leaves any previous file intact.

    Args:
        model: the model to save.
        filepath: a path ending in `.keras`, or a writable binary file.
        overwrite: whether to replace an existing file; if False and the
            file exists, raises `FileExistsError`.
        **kwargs: `zipped` (only `True` is supported) and Keras's other
            keywords, accepted for compatibility.

    Returns:
        None.

    Example:
    >>> import os, tempfile
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> save_model(model, path)
    >>> keras.saving.load_model(path).get_weights()[0].shape
    (3, 2)
    """
    zipped = kwargs.pop("zipped", None)
    if zipped is False:
        raise ValueError(
            "cornu saves `.keras` files as zip archives only; `zipped=False` "
            "(an unzipped directory) is not supported."
        )
    if kwargs:
        raise TypeError(
            f"save_model() got unexpected keyword arguments {sorted(kwargs)}."
        )
    if not getattr(model, "built", False):
        warnings.warn(
            f'Model "{model.name}" is not built yet, so the file will hold no '
            "weights. Call it on data (or `build()` it) before saving.",
            stacklevel=2,
        )
    config_json = to_json_config(model)
    if not isinstance(filepath, io.IOBase) and not _is_writer():
        return  # cornu.distribution: rank 0 alone writes files
    if isinstance(filepath, io.IOBase):
        _write_keras(model, config_json, filepath, scratch_dir=None)
        return
    path = os.fspath(filepath)
    if path.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"cornu does not write Keras 2's legacy HDF5 model format "
            f"({path!r}); save to a `.keras` file instead, or use "
            "`save_weights('....weights.h5')` for the weights alone."
        )
    if not path.endswith(".keras"):
        raise ValueError(
            f"Invalid filepath {path!r}: a model file must end in `.keras` "
            "(or use `save_weights` with `.weights.h5` or `.safetensors`)."
        )
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} exists and `overwrite=False`; pass `overwrite=True` to "
            "replace it."
        )
    with atomic_path(path) as tmp, open(tmp, "w+b") as f:
        _write_keras(model, config_json, f, scratch_dir=path)


def _is_writer() -> bool:
    # Across processes the ranks hold equal (or gathered) weights: rank 0
    # writes, so a file is never written by several processes at once.
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def _write_keras(
    model: Any, config_json: str, fileobj: Any, scratch_dir: str | None
) -> None:
    h5py = weights_h5._h5py()
    if scratch_dir is None:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as h5:
            weights_h5.write_weights(model, h5)
        keras_archive.write_archive(
            fileobj,
            config_json,
            weights_h5_bytes=buffer.getvalue(),
            assets=collect_assets(model),
        )
        return
    # The weights go through a scratch file on the destination's disk, not
    # through memory: a model may be larger than the RAM left over.
    scratch = scratch_file_beside(scratch_dir, ".weights.h5")
    try:
        with h5py.File(scratch, "w") as h5:
            weights_h5.write_weights(model, h5)
        keras_archive.write_archive(
            fileobj, config_json, weights_h5_path=scratch, assets=collect_assets(model)
        )
    finally:
        os.remove(scratch)


def _iter_dicts(node: Any, path: str) -> Iterator[tuple[str, dict]]:
    # Iterative, so a deeply nested (hostile) config cannot blow the stack.
    stack = [(node, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            yield where, item
            for k, v in item.items():
                stack.append((v, f"{where}.{k}"))
        elif isinstance(item, list):
            for i, v in enumerate(item):
                stack.append((v, f"{where}[{i}]"))


def check_config_safety(config: Any, safe_mode: bool, what: str) -> None:
    """Refuses, in safe mode, any object in `config` that carries code.

    Python lambdas (Keras's `__lambda__` entries, usually inside a `Lambda`
    layer) would run bytecode stored in the file when rebuilt.

    Raises:
        InvalidFileError: safe mode is on and the config stores code.
    """
    if not safe_mode:
        return
    for where, d in _iter_dicts(config, "config"):
        if d.get("class_name") == "__lambda__":
            raise InvalidFileError(
                f"{what} stores a Python lambda (at {where}), e.g. in a Lambda "
                "layer. Loading it would run code from the file, which safe "
                "mode forbids. If you trust the file's source, pass "
                "`safe_mode=False` to `load_model` (or call "
                "`keras.config.enable_unsafe_deserialization()`)."
            )


def model_from_config_dict(
    config: dict[str, Any],
    custom_objects: dict[str, Any] | None,
    safe_mode: bool,
    what: str,
    compile: bool = True,
) -> Any:
    """Rebuilds a model from its serialized config; errors name the file."""
    # `enable_unsafe_deserialization()` overrides `safe_mode=True`, as in Keras.
    safe_mode = safe_mode and serialization.in_safe_mode()
    config = dict(config)
    compile_config = config.pop("compile_config", None)
    check_config_safety(config, safe_mode, what)
    try:
        with (
            serialization.CustomObjectScope(custom_objects or {}),
            serialization.safe_mode_scope(safe_mode),
        ):
            model = serialization.deserialize_keras_object(
                config, custom_objects=custom_objects, safe_mode=safe_mode
            )
    except RecursionError:
        raise InvalidFileError(
            f"{what}: the model config is nested too deeply."
        ) from None
    except Exception as e:  # noqa: BLE001 - every failure becomes one clear error
        raise InvalidFileError(
            f"{what}: cannot rebuild the model from its config: {type(e).__name__}: {e}"
        ) from e
    if not isinstance(model, torch.nn.Module):
        raise InvalidFileError(
            f"{what}: the config describes a {type(model).__name__}, not a model."
        )
    if compile and compile_config:
        with serialization.CustomObjectScope(custom_objects or {}):
            compile_from_config(model, compile_config)
    return model


def compile_from_config(model: Any, config: dict[str, Any]) -> None:
    """Compiles `model` from a saved compile config and builds its optimizer.

    Uses the model's own `compile_from_config` when it has one. A model
    without a `compile` (or a custom one it cannot rebuild) stays
    uncompiled, with a warning, as in Keras.
    """
    if hasattr(model, "compile_from_config"):
        model.compile_from_config(config)
    else:
        compile_fn = getattr(type(model), "compile", None)
        if compile_fn is None or compile_fn is torch.nn.Module.compile:
            warnings.warn(
                f'The file has a compile config but model "{model.name}" has no '
                "`compile()`; it is loaded uncompiled.",
                stacklevel=3,
            )
            return
        kwargs = {
            k: serialization.deserialize_keras_object(v)
            if isinstance(v, dict) and "class_name" in v
            else v
            for k, v in config.items()
        }
        model.compile(**kwargs)
    optimizer = getattr(model, "optimizer", None)
    build = getattr(optimizer, "build", None)
    if (
        callable(build)
        and getattr(model, "built", False)
        and not getattr(optimizer, "built", False)
    ):
        # Creates the optimizer's slots so the saved state can fill them.
        build(model.trainable_variables)


def load_model(
    filepath: PathLike | io.IOBase,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Loads a model from a `.keras` archive (written by cornu or Keras 3).

    The archive is validated before anything is built: member names,
    sizes and compression ratios (no path traversal, no zip bombs), the
    JSON, and every weight's shape and dtype. Classes are looked up among
    `custom_objects`, registered objects and cornu's own; no module named
    in the file is imported and no code from it runs.

    Args:
        filepath: a `.keras` path or a readable binary file.
        custom_objects: a dict of names to classes or functions that the
            config refers to.
        compile: whether to compile the model from the saved compile config
            (restoring the optimizer's state too).
        safe_mode: refuse objects that carry code (Python lambdas). Pass
            False only for files from a source you trust.

    Returns:
        The model.

    Raises:
        InvalidFileError (a ValueError): the file is malformed, unsafe or
            inconsistent; nothing is returned.

    Example:
    >>> import os, tempfile
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> model.save(path)
    >>> restored = load_model(path)
    >>> [w.shape for w in restored.get_weights()]
    [(3, 2), (2,)]
    """
    what = _describe(filepath)
    if not isinstance(filepath, io.IOBase):
        path = os.fspath(filepath)
        if path.endswith(".weights.h5") or path.endswith(".safetensors"):
            raise ValueError(
                f"{path!r} holds weights only; rebuild the model and call "
                "`model.load_weights(...)` instead of `load_model`."
            )
        if path.endswith((".h5", ".hdf5")):
            raise ValueError(
                f"{path!r} looks like Keras 2's legacy HDF5 model format, which "
                "cornu does not read; re-save the model as `.keras` with Keras."
            )
        if os.path.isdir(path):
            raise ValueError(
                f"{path!r} is a directory; cornu loads `.keras` archives (a "
                "TensorFlow SavedModel cannot be loaded)."
            )
        if not path.endswith(".keras"):
            raise ValueError(f"Invalid filepath {path!r}: expected a `.keras` file.")
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file: {path!r}.")
    contents = keras_archive.read_archive(filepath, what)
    config = dict(contents.config)
    model = model_from_config_dict(config, custom_objects, safe_mode, what, compile)
    h5 = weights_h5.open_h5(
        contents.weights_h5, f"{what} (its {keras_archive.WEIGHTS_H5_FILENAME})"
    )
    with h5:
        weights_h5.load_weights(model, h5, source=f"{what}'s weights")
    restore_assets(model, contents.assets)
    return model


# -- weights files ---------------------------------------------------------------
@_only_rank_zero
def save_weights(
    model: Any, filepath: PathLike, overwrite: bool = True, **kwargs: Any
) -> None:
    """Saves the weights (and optimizer state) to `.weights.h5` or `.safetensors`.

    `.weights.h5` uses Keras's layout, so Keras 3 reads it; `.safetensors`
    holds the model's weights keyed by variable path (e.g.
    `"dense/kernel"`). Both are written atomically.

    Args:
        model: a built model.
        filepath: a path ending in `.weights.h5` or `.safetensors`.
        overwrite: whether to replace an existing file.
        **kwargs: `max_shard_size` is not supported.

    Returns:
        None.

    Example:
    >>> import os, tempfile
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
    >>> model.save_weights(path)
    >>> model.load_weights(path)
    """
    if kwargs.pop("max_shard_size", None) is not None:
        raise NotImplementedError(
            "cornu does not write sharded weights (`max_shard_size`)."
        )
    if kwargs:
        raise TypeError(
            f"save_weights() got unexpected keyword arguments {sorted(kwargs)}."
        )
    path = os.fspath(filepath)
    _check_built(model, "save weights")
    if not _is_writer():
        return  # cornu.distribution: rank 0 alone writes files
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} exists and `overwrite=False`; pass `overwrite=True` to "
            "replace it."
        )
    if path.endswith(".safetensors"):
        from cornu.saving import safetensors_io

        safetensors_io.save_weights(model, path)
        return
    if not path.endswith(".weights.h5"):
        raise ValueError(
            f"Invalid filepath {path!r}: a weights file must end in "
            "`.weights.h5` (Keras's format) or `.safetensors`."
        )
    h5py = weights_h5._h5py()
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        weights_h5.write_weights(model, h5)


def load_weights(
    model: Any, filepath: PathLike, skip_mismatch: bool = False, **kwargs: Any
) -> None:
    """Loads weights from `.weights.h5`, `.keras` or `.safetensors`, all or nothing.

    The whole file is read and checked against the model (counts, shapes,
    dtypes) before any weight changes; on any error the model keeps its
    current weights.

    Args:
        model: a built model with the architecture of the saved one.
        filepath: the weights file.
        skip_mismatch: skip, with a warning, layers whose weights do not fit
            instead of raising.

    Returns:
        None.

    Raises:
        InvalidFileError (a ValueError): the file is malformed, unsafe or
            does not fit the model.

    Example:
    >>> import os, tempfile
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
    >>> model.save_weights(path)
    >>> model.load_weights(path)
    """
    if kwargs:
        raise TypeError(
            f"load_weights() got unexpected keyword arguments {sorted(kwargs)}."
        )
    path = os.fspath(filepath)
    _check_built(model, "load weights")
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}.")
    # Imported here: cornu.distribution sits above cornu.saving.
    from cornu.distribution.runtime import own_classes

    with own_classes(model):  # a fully sharded model's layers keep their names
        _load_weights(model, path, skip_mismatch)


def _load_weights(model: Any, path: str, skip_mismatch: bool) -> None:
    what = _describe(path)
    if path.endswith(".safetensors"):
        from cornu.saving import safetensors_io

        safetensors_io.load_weights(model, path, skip_mismatch=skip_mismatch)
        return
    if path.endswith(".keras"):
        contents = keras_archive.read_archive(path, what)
        source: Any = contents.weights_h5
    elif path.endswith(".weights.h5"):
        source = path
    elif path.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"{path!r}: cornu reads Keras 3 weights files, which end in "
            "`.weights.h5`; Keras 2's legacy `.h5` layout is not supported."
        )
    else:
        raise ValueError(
            f"Invalid filepath {path!r}: expected a `.weights.h5`, `.keras` or "
            "`.safetensors` file."
        )
    with weights_h5.open_h5(source, what) as h5:
        weights_h5.load_weights(model, h5, skip_mismatch=skip_mismatch, source=what)


def model_from_json(
    json_string: str, custom_objects: dict[str, Any] | None = None
) -> Any:
    """Rebuilds a model (without weights) from `model.to_json()`'s output.

    Args:
        json_string: the JSON config.
        custom_objects: names of custom classes or functions it refers to.

    Returns:
        A new, uncompiled-weights model (compiled if the JSON has a compile
        config).

    Example:
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> clone = model_from_json(model.to_json())
    >>> [w.shape for w in clone.get_weights()]
    [(3, 2), (2,)]
    """
    what = "The JSON config"
    try:
        config = json.loads(json_string)
    except RecursionError:
        raise InvalidFileError(f"{what} is nested too deeply.") from None
    except ValueError as e:
        raise InvalidFileError(f"{what} is not valid JSON: {e}") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise InvalidFileError(
            f"{what} must be a serialized model (with 'class_name')."
        )
    return model_from_config_dict(config, custom_objects, True, what)


__all__ = [
    "save_model",
    "load_model",
    "save_weights",
    "load_weights",
    "model_from_json",
    "to_json_config",
]
