"""`ExportArchive`: several named endpoints of tracked models in one folder.

Keras writes a TensorFlow SavedModel; on PyTorch each endpoint becomes its
own verified `torch.export` program (`<name>.pt2`, reloadable with
`torch.export.load`), with a `manifest.json` listing them and, when added,
variable collections in `variables.npz` (no pickle).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from cornu.export.export_lib import ExportResult, export_model


class _Endpoint(torch.nn.Module):
    """An endpoint function as a module that owns the tracked models' weights."""

    def __init__(self, name: str, fn: Callable[..., Any], tracked: list[Any]) -> None:
        super().__init__()
        self.name = name
        self.fn = fn
        self.built = True
        self.tracked = torch.nn.ModuleList(
            [m for m in tracked if isinstance(m, torch.nn.Module)]
        )

    def __call__(self, inputs: Any, training: bool = False) -> Any:
        if isinstance(inputs, (list, tuple)):
            return self.fn(*inputs)
        return self.fn(inputs)


class ExportArchive:
    """Collects models and endpoint functions, then writes and verifies them.

    Example:
    >>> import os, tempfile
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> archive = ExportArchive()
    >>> _ = archive.track(model)
    >>> _ = archive.add_endpoint(
    ...     name="serve",
    ...     fn=lambda x: model(x, training=False),
    ...     input_signature=[keras.InputSpec(shape=(None, 3), dtype="float32")],
    ... )
    >>> results = archive.write_out(tempfile.mkdtemp(), verbose=False)
    >>> sorted(results)
    ['serve']
    """

    def __init__(self) -> None:
        self._tracked: list[Any] = []
        self._endpoints: dict[str, tuple[Callable[..., Any], Any]] = {}
        self._variables: dict[str, list[Any]] = {}

    def track(self, resource: Any) -> Any:
        """Keeps `resource` (a layer or model) and its weights in the archive."""
        if not isinstance(resource, torch.nn.Module):
            raise ValueError(
                "ExportArchive can only track layers and models (torch.nn.Module); "
                f"received {resource!r} (of type {type(resource).__name__})."
            )
        self._tracked.append(resource)
        return resource

    def add_endpoint(
        self,
        name: str,
        fn: Callable[..., Any] | None = None,
        input_signature: Any = None,
    ) -> Callable[..., Any]:
        """Adds the endpoint `name`: `fn` called on inputs of `input_signature`.

        Args:
            name: the endpoint's name (also its file name).
            fn: the function to export, e.g. `lambda x: model(x, training=False)`.
            input_signature: a list with one `keras.InputSpec` (or shape or
                `keras.Input`) per argument of `fn`; `None` dims stay dynamic.
        """
        if name in self._endpoints:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        if fn is None or input_signature is None:
            raise ValueError(
                f"Endpoint '{name}' needs both `fn` and `input_signature` (a list "
                "of `keras.InputSpec`, one per argument of `fn`)."
            )
        self._endpoints[name] = (fn, input_signature)
        return fn

    def add_variable_collection(self, name: str, variables: Any) -> None:
        """Saves `variables` (a list of weights) under `name` in `variables.npz`."""
        variables = list(variables)
        if not all(isinstance(v, torch.Tensor) for v in variables):
            raise ValueError(
                f"Variable collection '{name}' must contain only variables or tensors."
            )
        self._variables[name] = variables

    def write_out(
        self, filepath: str | os.PathLike[str], verbose: bool = True
    ) -> dict[str, ExportResult]:
        """Writes one verified `<endpoint>.pt2` per endpoint into the folder `filepath`.

        Returns:
            `{endpoint name: ExportResult}` (runtime, max abs diff, ...).
        """
        if not self._endpoints:
            raise ValueError(
                "No endpoints have been set yet: call `add_endpoint()` first."
            )
        folder = os.fspath(filepath)
        os.makedirs(folder, exist_ok=True)
        results = {}
        for name, (fn, signature) in self._endpoints.items():
            endpoint = _Endpoint(name, fn, self._tracked)
            results[name] = export_model(
                endpoint,
                os.path.join(folder, f"{name}.pt2"),
                format="torch",
                verbose=verbose,
                input_signature=list(signature),
            )
        manifest: dict[str, Any] = {"endpoints": sorted(self._endpoints)}
        if self._variables:
            arrays = {
                f"{name}/{i}": v.detach().cpu().numpy()
                for name, values in self._variables.items()
                for i, v in enumerate(values)
            }
            np.savez(os.path.join(folder, "variables.npz"), **arrays)  # type: ignore[arg-type]
            manifest["variable_collections"] = {
                name: len(values) for name, values in self._variables.items()
            }
        with open(os.path.join(folder, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=2)
        return results
