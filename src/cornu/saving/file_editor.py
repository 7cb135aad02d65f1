"""`KerasFileEditor`: inspect and edit the weights of `.keras` and `.weights.h5` files.

The editor reads every weight of a file into a tree of dicts (an object's
path in the file's layout, e.g. `layers/dense`, down to its weights `"0"`,
`"1"`, ...), lets you rename, delete and add objects and weights, compares
the tree with a model, and writes the result as a `.weights.h5` file. The
file is read with the same checks as loading (no links, no external or
virtual data, bounded sizes, numeric data only) and nothing in it is run:
a `.keras` archive's config is kept as parsed JSON, never deserialized.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from cornu.saving import keras_archive, weights_h5
from cornu.saving.atomic import atomic_path
from cornu.saving.errors import InvalidFileError
from cornu.saving.object_tree import walk

# Largest dataset the editor reads into memory, as Keras's editor allows.
MAX_DATASET_BYTES = 1 << 32
MAX_RANK = 64

WeightsTree = dict[str, Any]
Printer = Callable[[str], None]


class KerasFileEditor:
    """Inspects, edits and re-saves the weights of a Keras model file.

    Useful to adapt a saved file to a changed architecture: rename or drop
    the weights of a layer, add those of a new one, check the result
    against the new model with `compare`, then `save` a weights file that
    `model.load_weights` accepts.

    Args:
        filepath: a `.keras` archive or a `.weights.h5` file.

    Attributes:
        weights_dict: the file's weights as nested dicts of NumPy arrays.
        object_metadata: the attributes of each object's group in the file
            (e.g. `{"/layers/dense": {"name": "dense_1"}}`).
        config: a `.keras` archive's model config (parsed JSON), else None.
        metadata: a `.keras` archive's `metadata.json`, else None.

    Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
    >>> model.save_weights(path)
    >>> editor = KerasFileEditor(path)  # doctest: +ELLIPSIS
    Keras model file '...m.weights.h5'
    >>> editor.rename_object("dense", "renamed")
    >>> editor.add_weights("renamed", {"2": np.zeros(2, "float32")})
    >>> sorted(editor.weights_dict["layers"]["renamed"])
    ['0', '1', '2']
    """

    def __init__(self, filepath: str | os.PathLike[str]) -> None:
        self.filepath = os.fspath(filepath)
        self.config: dict[str, Any] | None = None
        self.metadata: dict[str, Any] | None = None
        self.model = None
        what = f"The file {self.filepath!r}"
        if self.filepath.endswith(".keras"):
            contents = keras_archive.read_archive(self.filepath, what)
            self.config = contents.config
            self.metadata = contents.metadata
            h5file = weights_h5.open_h5(contents.weights_h5, what)
        elif self.filepath.endswith(".weights.h5"):
            if not os.path.exists(self.filepath):
                raise FileNotFoundError(f"No such file: {self.filepath!r}")
            h5file = weights_h5.open_h5(self.filepath, what)
        else:
            raise ValueError(
                "Invalid filename: expected a `.keras` or `.weights.h5` "
                f"extension. Received: filepath={self.filepath}"
            )
        self.object_metadata: dict[str, dict[str, Any]] = {}
        with h5file:
            self.weights_dict: WeightsTree = self._read_group(h5file, "")
        print(f"Keras model file '{self.filepath}'")
        if self.metadata:
            version = self.metadata.get("keras_version", "unknown")
            date = self.metadata.get("date_saved", "unknown")
            print(f"Saved with Keras {version} - date: {date}")

    # -- reading -----------------------------------------------------------
    def _read_group(self, group: Any, path: str) -> WeightsTree:
        """The weights under an h5 group; an object's `vars` are merged in.

        The attributes of each object with weights (its `name`) go to
        `object_metadata`, under the object's path.
        """
        h5py = weights_h5._h5py()
        tree: WeightsTree = {}
        attrs = {k: _attr_value(v) for k, v in group.attrs.items()}
        for key in list(group.keys()):
            where = f"{path}/{key}"
            child = weights_h5._child(group, key, where.lstrip("/"))
            if isinstance(child, h5py.Group) and key == "vars":
                attrs = {k: _attr_value(v) for k, v in child.attrs.items()} or attrs
                tree.update(self._read_group(child, path))
            elif isinstance(child, h5py.Group):
                subtree = self._read_group(child, where)
                if subtree:
                    tree[key] = subtree
            elif isinstance(child, h5py.Dataset):
                tree[key] = _read_dataset(child, where)
        if tree and attrs:
            self.object_metadata.setdefault(path or "/", attrs)
        return tree

    # -- inspection ----------------------------------------------------------
    def summary(self) -> None:
        """Prints the structure of the file's weights (objects, shapes, dtypes)."""
        self.weights_summary()

    def weights_summary(self) -> None:
        """Prints the tree of objects and weights, with shapes and dtypes."""
        print("Weights structure")
        for line in self._tree_lines(self.weights_dict, "", "  ", True):
            print(line)

    def _tree_lines(
        self, tree: WeightsTree, path: str, prefix: str, first: bool
    ) -> list[str]:
        lines = []
        items = list(tree.items())
        for i, (key, value) in enumerate(items):
            last = i == len(items) - 1
            connector = "> " if first else ("└─ " if last else "├─ ")
            first = False
            inner = f"{path}/{key}"
            if isinstance(value, dict):
                label = f"{prefix}{connector}{key}"
                name = self.object_metadata.get(inner, {}).get("name")
                if name is not None:
                    label += f" ('{name}')"
                lines.append(label)
                lines.extend(
                    self._tree_lines(
                        value, inner, prefix + ("    " if last else "│   "), False
                    )
                )
            else:
                lines.append(
                    f"{prefix}{connector}{key}: shape={tuple(value.shape)}, "
                    f"dtype={_dtype_name(value)}"
                )
        return lines

    def compare(self, reference_model: Any) -> dict[str, Any]:
        """Lists every difference between the file and a model's weights.

        Objects or weights present on one side only, and weights whose
        shapes differ, are printed and counted as errors.

        Args:
            reference_model: the model (or layer) the file should fit.

        Returns:
            A dict with `"status"` (`"success"` or `"error"`),
            `"error_count"` and `"match_count"` (weights of equal shape).
        """
        print("Running comparison")
        reference = weight_spec(reference_model)
        errors, matches = _compare(
            self.weights_dict, reference, "", "saved file", "reference model"
        )
        print("─────────────────────")
        if errors == 0:
            plural = "" if matches == 1 else "s"
            print(
                "Comparison successful: saved file is compatible with the "
                "reference model"
            )
            print(f"    Found {matches} matching weight{plural}")
        else:
            plural = "" if errors == 1 else "s"
            print(
                f"Found {errors} error{plural}: saved file is not compatible "
                "with the reference model"
            )
        return {
            "status": "success" if errors == 0 else "error",
            "error_count": errors,
            "match_count": matches,
        }

    # -- editing ---------------------------------------------------------------
    def _locate(self, object_name: str) -> list[tuple[WeightsTree, str]]:
        """The (parent dict, key) of an object given by path or unique name."""
        if "/" in object_name.strip("/"):
            parts = object_name.strip("/").split("/")
            node: Any = self.weights_dict
            for part in parts[:-1]:
                if not isinstance(node, dict) or part not in node:
                    raise ValueError(f"Path '{object_name}' not found in model.")
                node = node[part]
            if not isinstance(node, dict) or parts[-1] not in node:
                raise ValueError(f"Path '{object_name}' not found in model.")
            return [(node, parts[-1])]
        name = object_name.strip("/")
        found: list[tuple[WeightsTree, str]] = []

        def search(tree: WeightsTree) -> None:
            for key, value in tree.items():
                if key == name:
                    found.append((tree, key))
                if isinstance(value, dict):
                    search(value)

        search(self.weights_dict)
        if len(found) > 1:
            raise ValueError(
                f"Name '{name}' occurs more than once in the model "
                f"({len(found)} times); try passing a complete path."
            )
        if not found:
            raise ValueError(
                f"Source name '{name}' does not appear in the model. Use "
                "`editor.weights_summary()` to list all objects."
            )
        return found

    def rename_object(self, object_name: str, new_name: str) -> None:
        """Renames an object (e.g. a layer).

        Args:
            object_name: the object's name or path (`"dense_2"` or
                `"layers/dense_2"`).
            new_name: its new name (a name, not a path).
        """
        if "/" in new_name:
            raise ValueError(
                "Argument `target_name` should be a leaf name, not a full path "
                f"name. Received: target_name='{new_name}'"
            )
        for parent, key in self._locate(object_name):
            if new_name in parent and new_name != key:
                raise ValueError(
                    f"Cannot rename '{object_name}' to '{new_name}': an object "
                    f"named '{new_name}' already exists there."
                )
            # Rebuilt to keep the object's position among its siblings.
            items = [(new_name if k == key else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)

    def delete_object(self, object_name: str) -> None:
        """Removes an object (e.g. a layer) and all its weights.

        Args:
            object_name: the object's name or path (`"dense_2"` or
                `"layers/dense_2"`).
        """
        for parent, key in self._locate(object_name):
            parent.pop(key)

    def add_object(self, object_path: str, weights: dict[str, Any]) -> None:
        """Adds a new object (e.g. a layer) with its weights.

        Args:
            object_path: the object's full path (e.g. `"layers/dense_2"`);
                its parent must exist.
            weights: its weights by name, usually `{"0": kernel, "1": bias}`.
        """
        checked = _check_weights(weights)
        parts = object_path.strip("/").split("/")
        node: Any = self.weights_dict
        for part in parts[:-1]:
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"Path '{'/'.join(parts[:-1])}' not found in model.")
            node = node[part]
        if parts[-1] in node:
            raise ValueError(
                f"Cannot add '{object_path}': an object of that path already "
                "exists. Use `add_weights` to add weights to it."
            )
        node[parts[-1]] = checked

    def delete_weight(self, object_name: str, weight_name: str) -> None:
        """Removes one weight of an object.

        Args:
            object_name: the object's name or path.
            weight_name: the weight's name (e.g. `"0"`).
        """
        for parent, key in self._locate(object_name):
            target = parent[key]
            if not isinstance(target, dict) or weight_name not in target:
                found = list(target) if isinstance(target, dict) else []
                raise ValueError(
                    f"Weight {weight_name} not found in object {object_name}. "
                    f"Weights found: {found}"
                )
            target.pop(weight_name)

    def add_weights(self, object_name: str, weights: dict[str, Any]) -> None:
        """Adds weights to an existing object.

        Args:
            object_name: the object's name or path.
            weights: the weights by name, e.g. `{"2": array}`.
        """
        checked = _check_weights(weights)
        for parent, key in self._locate(object_name):
            if not isinstance(parent[key], dict):
                raise ValueError(
                    f"'{object_name}' is a weight, not an object: weights can "
                    "only be added to objects."
                )
            parent[key].update(checked)

    # -- writing -------------------------------------------------------------------
    def save(self, filepath: str | os.PathLike[str]) -> None:
        """Writes the edited weights to a `.weights.h5` file (atomically).

        Args:
            filepath: the file to write; it must end in `.weights.h5`.
        """
        path = os.fspath(filepath)
        if not path.endswith(".weights.h5"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.weights.h5` "
                f"extension. Received: filepath={path}"
            )
        h5py = weights_h5._h5py()
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
            _write_tree(h5, self.weights_dict, "")

    def resave_weights(self, filepath: str | os.PathLike[str]) -> None:
        """Same as `save`."""
        self.save(filepath)


# -- helpers ------------------------------------------------------------------------
def _attr_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _dtype_name(value: np.ndarray) -> str:
    return "bfloat16" if _is_bfloat16(value) else str(value.dtype)


def _is_bfloat16(value: np.ndarray) -> bool:
    return value.dtype.kind == "V" and value.dtype.itemsize == 2


def _read_dataset(ds: Any, where: str) -> np.ndarray:
    if ds.external:
        raise InvalidFileError(
            f"Not allowed: the dataset {where} stores its data in external files."
        )
    if ds.is_virtual:
        raise InvalidFileError(
            f"Not allowed: the dataset {where} is a virtual dataset (data "
            "mapped from other files)."
        )
    shape = tuple(ds.shape or ())
    if len(shape) > MAX_RANK:
        raise InvalidFileError(
            f"The dataset {where} has rank {len(shape)}; at most {MAX_RANK} "
            "is accepted."
        )
    stored = weights_h5._declared_dtype(ds)
    if stored != "bfloat16" and ds.dtype.kind not in "biufc":
        raise InvalidFileError(
            f"The dataset {where} holds data of type {ds.dtype}; weights must "
            "be numeric."
        )
    size = math.prod(shape) * ds.dtype.itemsize
    if size > MAX_DATASET_BYTES:
        raise InvalidFileError(
            f"The dataset {where} is too large to load safely ({size} bytes; "
            f"the limit is {MAX_DATASET_BYTES})."
        )
    return np.asarray(weights_h5._read(ds, stored, where)).view(ds.dtype)


def _check_weights(weights: Any) -> dict[str, np.ndarray]:
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names "
            "(usually '0', '1', etc.) and values are NumPy arrays. "
            f"Received: type(weights)={type(weights)}"
        )
    checked = {}
    for name, value in weights.items():
        if not isinstance(name, str) or "/" in name or not name:
            raise ValueError(
                f"Weight names must be non-empty strings without '/'; received {name!r}."
            )
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        array = np.asarray(value)
        if array.dtype.kind not in "biufc" and not _is_bfloat16(array):
            raise ValueError(
                f"Weight {name!r} must be a numeric array; received dtype "
                f"{array.dtype}."
            )
        checked[name] = array
    return checked


def _write_tree(h5: Any, tree: WeightsTree, path: str) -> None:
    arrays = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    if arrays:
        group = h5.create_group(f"{path}/vars" if path else "vars")
        for name, value in arrays.items():
            ds = group.create_dataset(name, data=value)
            if _is_bfloat16(value):
                ds.attrs["dtype"] = "bfloat16"
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            _write_tree(h5, value, f"{path}/{key}" if path else key)


def weight_spec(model: Any) -> WeightsTree:
    """The weights tree a file saved from `model` has: shapes, not values.

    Args:
        model: a model or layer (its optimizer included, when it has one).

    Returns:
        Nested dicts, as `KerasFileEditor.weights_dict`, of `(shape, dtype)`.
    """
    spec: WeightsTree = {}
    for saveable in walk(model):
        if saveable.custom_io:
            store: dict[str, Any] = {}
            saveable.obj.save_own_variables(store)
            entries = {k: _shape_and_dtype(v) for k, v in store.items()}
        else:
            entries = {
                str(i): _shape_and_dtype(v) for i, v in enumerate(saveable.variables())
            }
        if not entries:
            continue
        node = spec
        for part in [p for p in saveable.path.split("/") if p]:
            node = node.setdefault(part, {})
        node.update(entries)
    return spec


def _shape_and_dtype(value: Any) -> tuple[tuple[int, ...], str]:
    dtype = getattr(value, "dtype", None)
    return tuple(int(d) for d in value.shape), str(dtype).replace("torch.", "")


def _shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, tuple):
        return value[0]
    return tuple(value.shape)


def _compare(
    saved: WeightsTree,
    reference: WeightsTree,
    path: str,
    saved_name: str,
    reference_name: str,
) -> tuple[int, int]:
    """Counts (errors, matching weights) between the two trees, printing each error."""
    errors = matches = 0
    for key in list(reference) + [k for k in saved if k not in reference]:
        inner = f"{path}/{key}"
        in_ref, in_saved = key in reference, key in saved
        if in_ref and in_saved:
            ref_value, saved_value = reference[key], saved[key]
            if isinstance(ref_value, dict) and isinstance(saved_value, dict):
                e, m = _compare(
                    saved_value, ref_value, inner, saved_name, reference_name
                )
                errors, matches = errors + e, matches + m
            elif isinstance(ref_value, dict) or isinstance(saved_value, dict):
                errors += 1
                print(
                    f"...{inner} is an object in one of {reference_name} and "
                    f"{saved_name}, a weight in the other"
                )
            elif _shape(ref_value) != _shape(saved_value):
                errors += 1
                print(
                    f"...Weight shape mismatch for {inner}\n"
                    f"    In {reference_name}: shape={_shape(ref_value)}\n"
                    f"    In {saved_name}: shape={_shape(saved_value)}"
                )
            else:
                matches += 1
            continue
        errors += 1
        present, missing = (
            (reference_name, saved_name) if in_ref else (saved_name, reference_name)
        )
        value = reference[key] if in_ref else saved[key]
        kind = "Object" if isinstance(value, dict) else "Weight"
        print(f"...{kind} {inner} present in {present}, missing from {missing}")
        if isinstance(value, dict):
            print(
                f"    In {present}, {inner} contains the following keys: {list(value)}"
            )
    return errors, matches


__all__ = ["KerasFileEditor", "weight_spec"]
