"""`ModelParallel` across processes: weights laid out over a mesh as DTensors.

At the first `fit`, `evaluate` or `predict` across processes, each weight
whose path a key of the layout map matches becomes a DTensor parameter
split as its `TensorLayout` says (`Shard(dim)` along each named mesh axis),
and every other trainable weight a replicated DTensor; each rank keeps its
own part only. Non-trainable weights no key names stay plain tensors.

Layers call torch on whole weights: a pre-forward hook on each layer
holding DTensor weights gathers them whole (`redistribute` to `Replicate`,
then `to_local`, both differentiable) and a forward hook puts the DTensors
back. The backward of that gather hands each DTensor weight the gradient of
its own part: the gathered gradient is declared partial along the batch
axis of the mesh (each rank saw its part of the batch; the runtime scales
each rank's output gradient by its share of the samples) and whole along
the others, so DTensor averages it along the batch axis and keeps each
rank's part (a reduce-scatter or an all-reduce), as one process on the
global batch would compute it.
"""

from __future__ import annotations

from typing import Any

import torch

from cornu.distribution.runtime import _is_dtensor, collective


def data_axis(strategy: Any) -> tuple[int, int, Any]:
    """How `strategy`'s mesh splits batches: `(rank, size, process group)`
    along its batch axis, or `(0, 1, None)` when each rank reads whole
    batches (no such axis, or one of size 1)."""
    mesh = strategy.device_mesh
    backend = mesh.backend_mesh  # checks the mesh against the world size
    axis = strategy.batch_dim_name
    if axis not in mesh.axis_names or mesh.shape[mesh.axis_names.index(axis)] == 1:
        return 0, 1, None
    size = mesh.shape[mesh.axis_names.index(axis)]
    return backend.get_local_rank(axis), size, backend.get_group(axis)


def lay_out(model: Any, strategy: Any, data_world: int) -> None:
    """Replaces `model`'s weights by DTensors laid out as `strategy` says and
    hooks each layer holding some to gather them for its forward.

    Args:
        model: the built model (every rank holds the same whole weights).
        strategy: the `ModelParallel` distribution.
        data_world: the number of ranks each batch is split over.
    """
    from torch.distributed.tensor import Partial, Replicate

    mesh = strategy.device_mesh
    backend = mesh.backend_mesh
    strategy.check_layout_map(model)
    # Every weight's placements first: a bad layout changes nothing.
    where = {
        id(w): placements(w, strategy, backend.ndim)
        for m in model.modules()
        for w in m._parameters.values()
        if w is not None
    }
    gather = _Gather(
        [
            Partial("avg")
            if name == strategy.batch_dim_name and data_world > 1
            else Replicate()
            for name in mesh.axis_names
        ]
    )
    placed: dict[int, Any] = {}
    for module in model.modules():
        held = False
        for name, weight in list(module._parameters.items()):
            chosen = None if weight is None else where[id(weight)]
            if chosen is None:
                continue
            if id(weight) not in placed:
                placed[id(weight)] = _laid_out(weight, backend, chosen)
            module._parameters[name] = placed[id(weight)]
            held = True
        if held:
            module.register_forward_pre_hook(gather.before)
            module.register_forward_hook(gather.after, always_call=True)


def placements(weight: Any, strategy: Any, mesh_ndim: int) -> list[Any] | None:
    """The DTensor placements of `weight` under `strategy`'s layout map.

    Args:
        weight: a model weight (with its `path`).
        strategy: the `ModelParallel` distribution.
        mesh_ndim: the number of axes of the mesh.

    Returns:
        One placement per mesh axis, or None for a weight that stays a
        plain tensor (a non-trainable one that no key names: each rank
        keeps and updates its own).
    """
    from torch.distributed.tensor import Replicate

    path = getattr(weight, "path", None)
    layout = strategy.layout_map[path] if path else None
    if layout is None and not weight.requires_grad:
        return None
    for what in ("regularizer", "constraint"):
        if getattr(weight, what, None) is not None:
            raise ValueError(
                f"ModelParallel: variable {path!r} has a {what}; weights with a "
                f"{what} cannot be laid out over a mesh yet. Train this model "
                f"without the {what}, or with DataParallel."
            )
    if layout is None:
        return [Replicate()] * mesh_ndim
    check_layout(weight, str(path), layout, strategy.device_mesh)
    return list(layout.backend_layout)


def check_layout(weight: Any, path: str, layout: Any, mesh: Any) -> None:
    """Raises unless `layout` gives one axis per dimension of `weight` and
    each mesh axis it names divides the dimension it splits.

    Args:
        weight: the weight (its shape is checked).
        path: the weight's path, for the message.
        layout: its `TensorLayout`.
        mesh: the `DeviceMesh`.
    """
    shape = tuple(weight.shape)
    if len(layout.axes) != len(shape):
        raise ValueError(
            f"ModelParallel: the layout {layout.axes} of variable {path!r} names "
            f"{len(layout.axes)} dimension(s), but the variable has shape {shape}. "
            "Give one mesh axis name (or None) per dimension."
        )
    for dim, name in enumerate(layout.axes):
        if name is None:
            continue
        size = mesh.shape[mesh.axis_names.index(name)]
        if shape[dim] % size:
            raise ValueError(
                f"ModelParallel: variable {path!r} of shape {shape} cannot be split "
                f"along dimension {dim} over mesh axis {name!r}: {shape[dim]} is "
                f"not divisible by the axis size {size}."
            )


def _laid_out(weight: Any, backend: Any, chosen: list[Any]) -> Any:
    """`weight` as a DTensor parameter placed as `chosen` over `backend`."""
    from torch.distributed.tensor import distribute_tensor

    with torch.no_grad():
        # Every rank holds the same whole value: each keeps its own part.
        value = distribute_tensor(
            weight.detach().contiguous(), backend, chosen, src_data_rank=None
        )
    laid_out = torch.nn.Parameter(value, requires_grad=weight.requires_grad)
    # Files and messages name weights by their path.
    laid_out.path = getattr(weight, "path", None)  # type: ignore[attr-defined]
    return laid_out


class _Gather:
    """The hooks that give a layer its DTensor weights whole for one call.

    Args:
        grad_placements: how the gradient of a gathered weight lies on each
            mesh axis (partial along the batch axis, whole elsewhere).
    """

    def __init__(self, grad_placements: list[Any]) -> None:
        self.grad_placements = grad_placements

    def before(self, module: Any, args: Any) -> None:
        from torch.distributed.tensor import Replicate

        held = {name: w for name, w in module._parameters.items() if _is_dtensor(w)}
        if not held:
            return
        module.__dict__["_laid_out_weights"] = held
        with collective("gathering laid-out weights"):
            for name, w in held.items():
                mesh = w.device_mesh
                whole = w.redistribute(mesh, [Replicate()] * mesh.ndim)
                module._parameters[name] = whole.to_local(
                    grad_placements=self.grad_placements
                )

    def after(self, module: Any, args: Any, output: Any) -> None:
        held = module.__dict__.pop("_laid_out_weights", None)
        if held:
            module._parameters.update(held)
