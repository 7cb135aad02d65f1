"""`keras.distribution`'s objects, over `torch.distributed`'s own.

`DeviceMesh` becomes a `torch.distributed.device_mesh.DeviceMesh`,
`TensorLayout` a list of DTensor placements, and `distribute_tensor` a
DTensor. `DataParallel` is what `fit` uses under `torchrun` when nothing
else is set (see `cornu.distribution.runtime`).

Choosing a mode:

- one process: nothing to do; `fit` runs as usual;
- `torchrun --nproc-per-node=N train.py`: data parallel (`DataParallel`),
  each rank holds all weights and 1/N of each batch;
- `ModelParallel(layout_map=...)`: weights split over the mesh as the
  layout map says (DTensors; each layer gathers its own for its forward
  and backward), batches split along the mesh's `batch_dim_name` axis;
- `FullyShardedDataParallel()`: data parallel where each rank keeps only
  1/N of every weight, gradient and optimizer state (FSDP2
  `torch.distributed.fsdp.fully_shard` on each layer and on the model), for
  models whose weights, gradients and optimizer state do not fit one device.
  Choose it with `set_distribution(FullyShardedDataParallel())` before
  `fit`; it costs one all-gather per layer per forward and backward, so
  prefer `DataParallel` whenever the model fits.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import numpy as np
import torch

from cornu.distribution import process_group

_CURRENT: list[Distribution | None] = [None]


class DeviceMesh:
    """A grid of devices with named axes (e.g. `("batch", "model")`).

    Args:
        shape: the size of each axis; their product is the number of devices.
        axis_names: one name per axis.
        devices: the devices (Keras names such as `"cpu:0"`); defaults to
            `list_devices()`, one per process.

    Example:
    >>> mesh = DeviceMesh((1,), ["batch"], devices=["cpu:0"])
    >>> mesh.shape, mesh.axis_names
    ((1,), ['batch'])
    """

    def __init__(
        self,
        shape: Sequence[int],
        axis_names: Sequence[str],
        devices: Sequence[Any] | None = None,
    ) -> None:
        if not shape or not axis_names:
            raise ValueError(
                "`shape` and `axis_names` must not be empty; received "
                f"shape={shape}, axis_names={axis_names}."
            )
        if len(shape) != len(axis_names):
            raise ValueError(
                "`shape` and `axis_names` must have the same length; received "
                f"shape={shape}, axis_names={axis_names}."
            )
        if devices is None:
            devices = process_group.list_devices()
        array = np.array(devices)
        if math.prod(shape) != array.size:
            raise ValueError(
                f"A DeviceMesh of shape {tuple(shape)} needs {math.prod(shape)} "
                f"devices; received {array.size} ({list(array.reshape(-1))}). "
                f"This job has {process_group.world_size()} process(es)."
            )
        self._shape = tuple(int(s) for s in shape)
        self._axis_names = list(axis_names)
        self._devices = array.reshape(self._shape)
        self._backend_mesh: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def axis_names(self) -> list[str]:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self) -> Any:
        """The `torch.distributed.device_mesh.DeviceMesh` (starts the group)."""
        if self._backend_mesh is None:
            from torch.distributed.device_mesh import init_device_mesh

            size = math.prod(self._shape)
            process_group.initialize()
            if size != process_group.world_size():
                raise ValueError(
                    f"A DeviceMesh of shape {self._shape} spans {size} devices, but "
                    f"this job has {process_group.world_size()} process(es); start "
                    f"it with `torchrun --nproc-per-node={size}`."
                )
            kind = (
                "cuda" if str(self._devices.reshape(-1)[0]).startswith("gpu") else "cpu"
            )
            self._backend_mesh = init_device_mesh(
                kind, self._shape, mesh_dim_names=tuple(self._axis_names)
            )
        return self._backend_mesh

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self._shape}, axis_names={self._axis_names}>"


class TensorLayout:
    """How a tensor's dimensions map onto a mesh's axes (None: not split).

    Args:
        axes: one mesh axis name (or None) per tensor dimension.
        device_mesh: the mesh; may be set later, once.

    Example:
    >>> TensorLayout((None, "model")).axes
    (None, 'model')
    """

    def __init__(
        self, axes: Sequence[str | None], device_mesh: DeviceMesh | None = None
    ) -> None:
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self) -> tuple[str | None, ...]:
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(
                f"Cannot override device mesh value. Existing value is "
                f"{self._device_mesh}."
            )
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self) -> list[Any]:
        """DTensor placements: `Shard(dim)` per named axis, else `Replicate()`."""
        from torch.distributed.tensor import Replicate, Shard

        mesh = self._require_mesh()
        return [
            Shard(self._axes.index(name)) if name in self._axes else Replicate()
            for name in mesh.axis_names
        ]

    def _require_mesh(self) -> DeviceMesh:
        if self._device_mesh is None:
            raise ValueError(f"{self} has no device mesh; give one first.")
        return self._device_mesh

    def _validate_axes(self) -> None:
        if self._device_mesh is None:
            return
        unknown = {a for a in self._axes if a is not None} - set(
            self._device_mesh.axis_names
        )
        if unknown:
            raise ValueError(
                f"TensorLayout axes {sorted(unknown)} are not axes of the mesh "
                f"(valid: {self._device_mesh.axis_names})."
            )

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self._axes}, device_mesh={self._device_mesh}>"


class LayoutMap(MutableMapping):
    """Variable paths (regular expressions) to `TensorLayout`s.

    A lookup tries the exact key, then every key as a regex matched against
    the whole path; more than one match is an error, none gives `None`.

    Args:
        device_mesh: the mesh given to the layouts stored.

    Example:
    >>> mesh = DeviceMesh((1,), ["model"], devices=["cpu:0"])
    >>> layout_map = LayoutMap(mesh)
    >>> layout_map[".*dense.*kernel"] = (None, "model")
    >>> layout_map["dense_1/kernel"].axes
    (None, 'model')
    """

    def __init__(self, device_mesh: DeviceMesh | None) -> None:
        self._layout_map: dict[str, TensorLayout] = {}
        self._device_mesh = device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:  # type: ignore[override]
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [p for p in self._layout_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path {key!r} matches several LayoutMap keys: {matches}. Each "
                "variable path may match at most one key."
            )
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key: str, layout: Any) -> None:
        if key in self._layout_map:
            raise ValueError(f"{key!r} is already in the LayoutMap.")
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(tuple(layout))
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"A LayoutMap value must be a TensorLayout or a tuple of axis "
                f"names; received {type(layout).__name__}."
            )
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> None:
        del self._layout_map[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout_map)

    def __len__(self) -> int:
        return len(self._layout_map)

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh


class Distribution:
    """Base of the strategies: a mesh, the batch axis, and a scope.

    Args:
        device_mesh: the `DeviceMesh`.
        batch_dim_name: the mesh axis the batch is split along.
        auto_shard_dataset: split the data across processes (default True).
    """

    def __init__(
        self,
        device_mesh: DeviceMesh,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
    ) -> None:
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = process_group.world_size()
        self._process_id = process_group.rank()

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str | None:
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value: bool) -> None:
        self._auto_shard_dataset = bool(value)

    @property
    def num_processes(self) -> int:
        return self._num_processes

    @property
    def process_id(self) -> int:
        return self._process_id

    def get_data_layout(self, data_shape: Sequence[int]) -> TensorLayout:
        """The layout of a batch: split along the batch axis."""
        axes: list[str | None] = [None] * len(data_shape)
        if axes:
            axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        """The layout of a variable: replicated unless a subclass says otherwise."""
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        """The layout of an intermediate tensor named `path` (None: unchanged)."""
        return None

    @contextlib.contextmanager
    def scope(self) -> Iterator[Distribution]:
        """Makes this the active distribution inside a `with` block."""
        previous = _CURRENT[0]
        _CURRENT[0] = self
        try:
            yield self
        finally:
            _CURRENT[0] = previous

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_mesh={self._device_mesh}>"


class DataParallel(Distribution):
    """Every rank holds all weights and trains on its part of each batch.

    The default under `torchrun` (world size > 1). `batch_size` stays the
    global batch; gradients are averaged across ranks at each step, metrics
    summed before logs are read, and only rank 0 prints and writes files.

    Args:
        device_mesh: a 1-D mesh (the first axis is used if it has more).
        devices: devices for a 1-D mesh, instead of `device_mesh`.
        auto_shard_dataset: split the data across processes (default True).

    Example:
    >>> strategy = DataParallel(devices=["cpu:0"])
    >>> strategy.batch_dim_name
    'batch'
    """

    def __init__(
        self,
        device_mesh: DeviceMesh | None = None,
        devices: Sequence[Any] | None = None,
        auto_shard_dataset: bool = True,
    ) -> None:
        if device_mesh is None:
            devices = list(devices) if devices else process_group.list_devices()
            device_mesh = DeviceMesh((len(devices),), ["batch"], devices)
        super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)

    @property
    def num_model_replicas(self) -> int:
        return int(self.device_mesh.devices.size)


class FullyShardedDataParallel(DataParallel):
    """Data parallel with every weight sharded across ranks (FSDP2).

    Each rank trains on its part of each global batch, as with
    `DataParallel`, but keeps only 1/N of each weight, gradient and
    optimizer state: at its first `fit`, `evaluate` or `predict` across
    processes, the model gets `torch.distributed.fsdp.fully_shard` on each
    of its layers holding weights, then on itself. A layer's weights are
    gathered for its forward and backward and freed after; gradients are
    reduce-scattered. The model's weights become DTensors (sharded on dim 0),
    `get_weights()` and saving gather the full values (on every rank; rank
    0 writes), and `save_checkpoint` writes each rank's shards without
    gathering. In one process it is plain training.

    Args:
        device_mesh: a 1-D mesh (the first axis is used if it has more).
        devices: devices for a 1-D mesh, instead of `device_mesh`.
        auto_shard_dataset: split the data across processes (default True).

    Example:
    >>> strategy = FullyShardedDataParallel(devices=["cpu:0"])
    >>> strategy.batch_dim_name
    'batch'
    """


class ModelParallel(Distribution):
    """Weights split over a mesh as a `LayoutMap` says (others replicated).

    Across processes, at the first `fit`, `evaluate` or `predict`, each
    weight whose path a key matches becomes a DTensor split as its layout
    says (`Shard(dim)` along each named mesh axis); the other trainable
    weights become replicated DTensors. Each rank keeps only its part and
    so do the optimizer slots; each layer gathers its weights whole for its
    forward and backward, and the backward gives each part its gradient.
    Each batch is split along the mesh axis `batch_dim_name` (a name that
    is no mesh axis: every rank reads whole batches), and the gradients
    are averaged along it, so training equals one process on the same
    global batches. Saving and `get_weights` gather the whole weights (on
    every rank; rank 0 writes). A key that names no variable, a layout with
    the wrong number of dimensions, a dimension the mesh axis does not
    divide, or a mesh that is not the size of the job raise `ValueError`
    then. In one process it is plain training.

    Args:
        layout_map: variable-path patterns to layouts (its mesh is used).
        batch_dim_name: the mesh axis for the batch (default: the first).
        auto_shard_dataset: split the data across processes (default True).

    Example:
    >>> mesh = DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
    >>> layout_map = LayoutMap(mesh)
    >>> layout_map[".*kernel"] = (None, "model")
    >>> ModelParallel(layout_map=layout_map).batch_dim_name
    'batch'
    """

    def __init__(
        self,
        *,
        layout_map: LayoutMap | None = None,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("device_mesh", None)
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "Argument `layout_map` must be a `LayoutMap` instance; received "
                f"{type(layout_map).__name__}."
            )
        mesh = layout_map.device_mesh
        if mesh is None:
            raise ValueError("The `layout_map` of ModelParallel needs a device mesh.")
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def layout_map(self) -> LayoutMap:
        return self._layout_map

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        layout = self._layout_map[variable.path]
        return layout if layout is not None else super().get_variable_layout(variable)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        return self._layout_map[path]

    def check_layout_map(self, model: Any) -> None:
        """Raises if a layout-map key names no variable of `model`.

        Args:
            model: the built model whose `variables` have `path`s.
        """
        paths = [v.path for v in model.variables]
        for key in self._layout_map:
            if not any(key == p or re.fullmatch(key, p) for p in paths):
                raise ValueError(
                    f"The LayoutMap key {key!r} matches no variable of the model. "
                    f"Variable paths are: {paths}."
                )


def distribute_tensor(tensor: Any, layout: TensorLayout) -> Any:
    """`tensor` laid out over the mesh as a DTensor (unchanged in one process).

    Args:
        tensor: a torch tensor (the full value, the same on every rank).
        layout: the `TensorLayout`, with its mesh.

    Returns:
        A `torch.distributed.tensor.DTensor`, or `tensor` itself when the job
        has a single process (or for symbolic `KerasTensor`s).

    Example:
    >>> t = torch.ones(2, 2)
    >>> mesh = DeviceMesh((1,), ["batch"], devices=["cpu:0"])
    >>> distribute_tensor(t, TensorLayout(("batch", None), mesh)) is t
    True
    """
    if not isinstance(tensor, torch.Tensor) or process_group.world_size() <= 1:
        return tensor
    from torch.distributed.tensor import distribute_tensor as to_dtensor

    mesh = layout._require_mesh()
    return to_dtensor(tensor, mesh.backend_mesh, layout.backend_layout)


def distribution() -> Distribution | None:
    """The active distribution (`set_distribution` or a `scope()`), or None.

    Returns:
        The active `Distribution`; under `torchrun` with nothing set, a
        `DataParallel` over all processes (made once).

    Example:
    >>> distribution() is None  # one process, nothing set
    True
    """
    current = _CURRENT[0]
    if current is None and process_group.env_world_size() > 1:
        current = _CURRENT[0] = DataParallel()
    return current


class _Restore(contextlib.AbstractContextManager):
    def __init__(self, previous: Distribution | None) -> None:
        self.previous = previous

    def __exit__(self, *exc: Any) -> None:
        _CURRENT[0] = self.previous


def set_distribution(value: Distribution | None) -> _Restore:
    """Makes `value` the active distribution (None: the default again).

    Args:
        value: a `Distribution`, or None.

    Returns:
        A context manager; `with set_distribution(d):` restores the previous
        distribution at the end of the block.

    Example:
    >>> with set_distribution(DataParallel(devices=["cpu:0"])):
    ...     type(distribution()).__name__
    'DataParallel'
    >>> distribution() is None
    True
    """
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(
            "`set_distribution` expects a Distribution (e.g. DataParallel()) or "
            f"None; received {type(value).__name__}."
        )
    previous = _CURRENT[0]
    _CURRENT[0] = value
    return _Restore(previous)
