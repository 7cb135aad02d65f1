"""What `fit`/`evaluate`/`predict` do differently across processes.

The trainer asks `for_model(model)` once per call; in a single process the
answer is `None` and nothing here runs. Across processes, a `Runtime`:

- starts the model identical on every rank (weights and RNG state of rank 0);
- splits each global batch into one contiguous part per rank, from one
  permutation per epoch drawn on rank 0 and broadcast;
- averages gradients inside `optimizer.apply` (one all-reduce of one flat
  buffer per step), weighting each rank by its number of samples, so a
  step equals the single-process step on the global batch for losses that
  average over samples (Keras's default `"sum_over_batch_size"`);
- sums metric states across ranks before epoch logs are read;
- gathers `predict` outputs back into input order;
- keeps the progress bar and file-writing callbacks on rank 0 (a fully
  sharded model's `ModelCheckpoint` runs on every rank to gather the
  weights; rank 0 alone writes).

Gradients are reduced in the optimizer step rather than by wrapping the
model in `DistributedDataParallel`: the trainer, an overridden `train_step`
and a `GradientTape` loop all end in `optimizer.apply` (or
`apply_gradients`), which under several processes calls
`apply_across_processes` once per step: the outermost `apply` averages, and
an optimizer it wraps (`LossScaleOptimizer`'s inner one) does not average
again. Averaging gradients that are already equal on every rank (a model the
user wrapped in DDP) changes nothing, so no update is averaged twice in
effect. The model the callbacks see is always the user's model.

Under `FullyShardedDataParallel` the model gets FSDP2 `fully_shard` on each
layer holding weights and on itself at its first call across processes:
FSDP gathers the weights for each layer's forward and backward and
reduce-scatters the gradients (averaged equally over ranks); a forward hook
scales each rank's output gradient by its share of the samples so uneven
splits still give the single-process step, and `optimizer.apply` then
updates the local shards without another reduction.

Under `ModelParallel` each weight becomes a DTensor laid out as the layout
map says (replicated when no key names it) at the first call across
processes; a pre-forward hook on each layer holding some gathers them
whole (a differentiable redistribute to `Replicate`, whose backward
averages the gradient over the mesh's batch axis and keeps each rank's
part) and a forward hook puts the DTensors back. Batches are split along
the batch axis only, and metrics and predictions are combined along it.
As under FSDP, `optimizer.apply` updates the local parts (see `layouts`).

Saving and `get_weights` read weights through `full_value`, and loading
and `set_weights` write them through `assign_full_value`: a sharded weight
is gathered whole (a collective, so every rank takes part even though rank
0 alone writes the file; `gathered_for_saving` does it for a whole save)
and set from a whole value by keeping this rank's part.

A collective that fails or waits longer than the process-group timeout
(`CORNU_DIST_TIMEOUT` seconds, see `process_group`) because another rank
died or hangs raises `DistributedError` naming the step, the rank and the
timeout, instead of hanging.
"""

from __future__ import annotations

import collections
import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

import torch
import torch.distributed as dist

from cornu import tree
from cornu.distribution import process_group

# Callbacks that write files or send data: rank 0 alone runs them.
# (`BackupAndRestore` runs on every rank: all read the backup, rank 0 writes.)
_WRITER_CALLBACKS = ("ModelCheckpoint", "CSVLogger", "TensorBoard", "RemoteMonitor")


class DistributedError(RuntimeError):
    """A collective across processes failed: a rank died, hung or diverged."""


class _State:
    """Process-wide data-parallel state shared by the trainer and optimizers."""

    def __init__(self) -> None:
        # The runtime of the `fit` in progress: its batch sizes weight the
        # gradients. None in a custom loop (equal weights).
        self.active: Runtime | None = None
        # True inside the outermost `apply`, so a wrapped optimizer's own
        # `apply` does not average the already averaged gradients again.
        self.reducing = False
        # Tensors already made equal to rank 0's, by `id` (the weak reference
        # tells a live tensor from a new one that reuses a freed `id`).
        self.synced: dict[int, weakref.ref] = {}

    def unsynced(self, tensors: Any) -> list[torch.Tensor]:
        """The tensors of `tensors` not yet made equal to rank 0's."""
        out = []
        for t in tensors:
            ref = self.synced.get(id(t))
            if ref is None or ref() is not t:
                out.append(t)
        return out

    def mark_synced(self, tensors: list[torch.Tensor]) -> None:
        self.synced.update((id(t), weakref.ref(t)) for t in tensors)


_STATE = _State()


@contextlib.contextmanager
def collective(what: str) -> Iterator[None]:
    """Turns a failed or timed-out collective into a `DistributedError`.

    Args:
        what: the operation, for the message (e.g. `"averaging gradients"`).
    """
    try:
        yield
    except RuntimeError as e:
        if isinstance(e, DistributedError):
            raise
        raise DistributedError(
            f"Rank {process_group.rank()} of {process_group.world_size()}: "
            f"{what} across processes failed. Another process has probably "
            "died, hung, or is running different code; every rank must run "
            "the same `fit`/`evaluate`/`predict` calls. Collectives wait at "
            f"most {process_group.timeout_seconds():g} s (set "
            "`CORNU_DIST_TIMEOUT`, in seconds, before the process group "
            f"starts). Cause: {type(e).__name__}: {e}"
        ) from e


def _local(tensor: Any) -> Any:
    """A sharded weight's (or gradient's) own part, as the same tensor object
    at every step (so the optimizer keeps one slot per shard); else itself."""
    local = getattr(tensor, "_local_tensor", None)
    if local is None:
        return tensor
    _PARAM_OF_LOCAL[id(local)] = tensor
    return local


# A sharded weight's own part -> the weight (a DTensor): optimizer slots made
# from the part (`_slot_of`) are sharded like the weight, for saving.
_PARAM_OF_LOCAL: dict[int, Any] = {}


def _sharded_like(tensor: Any) -> Any:
    """The DTensor whose sharding `tensor` has: itself, the weight of an
    optimizer slot of a sharded weight, or None when it is not sharded."""
    if _is_dtensor(tensor):
        return tensor
    reference = getattr(tensor, "_slot_of", None)
    return None if reference is None else _PARAM_OF_LOCAL.get(id(reference))


def apply_across_processes(optimizer: Any, grads: Any, variables: Any) -> bool:
    """Runs `optimizer.apply` on gradients averaged over all processes.

    Called by `Optimizer.apply` when several processes run. The first call
    for a set of variables makes them equal to rank 0's; each call averages
    the gradients (weighted by each rank's number of samples during `fit`,
    equally in a custom loop) and applies them, once.

    Args:
        optimizer: the optimizer whose `apply` was called.
        grads: this rank's gradients.
        variables: the variables, or None for the optimizer's own.

    Returns:
        False when nothing was done here and the caller must apply as usual
        (one process, or already inside an averaged `apply`).
    """
    if _STATE.reducing or not process_group.initialize():
        return False
    runtime = _STATE.active
    if runtime is not None and runtime._splits_gradients:
        # FSDP (or the gather of ModelParallel's laid-out weights) reduced
        # the gradients in backward: each rank updates its own parts, with
        # optimizer slots shaped like them.
        parts = None if variables is None else [_local(v) for v in variables]
        if parts and _built_on_whole_weights(optimizer, variables, parts):
            _rebuild_on_parts(optimizer, parts)
        _STATE.reducing = True
        try:
            optimizer.apply([_local(g) for g in grads], parts)
        finally:
            _STATE.reducing = False
        return True
    targets = variables
    if targets is None:
        targets = getattr(optimizer, "_trainable_variables", None) or []
    unsynced = _STATE.unsynced(targets)
    if unsynced:
        with collective("broadcasting rank 0's weights"), torch.no_grad():
            for v in unsynced:
                dist.broadcast(v.data, src=0)
        _STATE.mark_synced(unsynced)
    count = 1.0
    if runtime is not None and runtime.batch_sizes:
        count = float(runtime.batch_sizes.popleft())
    grads = _average(list(grads), count)
    _STATE.reducing = True
    try:
        optimizer.apply(grads, variables)
    finally:
        _STATE.reducing = False
    return True


def _built_on_whole_weights(optimizer: Any, weights: Any, parts: list[Any]) -> bool:
    """True when `optimizer` was built on the whole `weights` (before they
    were sharded, or on the sharded weights themselves, as a restore from a
    backup or a file does before the first step) rather than on `parts`,
    their local parts."""
    indices = getattr(optimizer, "_trainable_variables_indices", None)
    if not getattr(optimizer, "built", False) or indices is None:
        return False
    if id(parts[0]) in indices:
        return False  # built on the parts: the usual case
    built = list(getattr(optimizer, "_trainable_variables", []))
    if len(built) != len(weights):
        return False  # other variables: the optimizer's own error follows
    return all(
        b is w or (getattr(b, "path", None) or 0) == getattr(w, "path", None)
        for b, w in zip(built, weights)
    )


def _rebuild_on_parts(optimizer: Any, parts: list[Any]) -> None:
    """Builds `optimizer` again on the local `parts` of its sharded weights;
    each new slot takes its part of the old (whole) slot's value."""
    old = [v for v in optimizer.variables if getattr(v, "_slot_of", None) is not None]
    for v in old:
        optimizer._untrack_variable(v)
    optimizer.built = False
    optimizer._slot_aliases.clear()
    optimizer.build(parts)
    new = [v for v in optimizer.variables if getattr(v, "_slot_of", None) is not None]
    if len(new) != len(old):
        raise ValueError(
            f"Optimizer {type(optimizer).__name__}: rebuilding its state on the "
            f"sharded weights made {len(new)} slot variable(s), expected "
            f"{len(old)}."
        )
    for whole, part in zip(old, new):
        assign_full_value(part, whole.detach())


def _is_permuted_dense(t: torch.Tensor) -> bool:
    """True for a tensor whose elements fill its memory in some dim order."""
    if t.is_contiguous():
        return True
    strides = t.stride()
    order = sorted(range(t.dim()), key=lambda d: -strides[d])
    return t.permute(order).is_contiguous()


def _memory_order(t: torch.Tensor) -> torch.Tensor:
    """`t`'s elements as a 1-D tensor in memory order (a view when dense)."""
    if t.is_contiguous():
        return t.view(-1)
    if _is_permuted_dense(t):
        return t.as_strided((t.numel(),), (1,))
    return t.reshape(-1)


def _average(grads: list[Any], count: float) -> list[Any]:
    """Gradients averaged over ranks, each weighted by `count` samples."""
    present = [g for g in grads if g is not None]
    if not present or dist.get_world_size() == 1:
        return grads  # one process: the average is the gradient itself
    flat = torch.cat(
        [_memory_order(g.detach()).float() for g in present]
        + [torch.ones(1, device=present[0].device)]
    )
    if count != 1.0:
        flat.mul_(count)
    with collective("averaging gradients"):
        dist.all_reduce(flat)
    flat.div_(flat[-1].clone())  # the total count, last
    out: list[Any] = []
    offset = 0
    for g in grads:
        if g is None:
            out.append(None)
            continue
        n = g.numel()
        part = flat[offset : offset + n]
        if _is_permuted_dense(g):
            # The gradient keeps its weight's layout (e.g. a transposed
            # kernel), without a copy: the optimizer's kernels are fastest
            # on equal strides.
            part = part.as_strided(g.shape, g.stride())
        else:
            part = part.view(g.shape)
        out.append(part.to(g.dtype))
        offset += n
    return out


def for_model(model: Any) -> Runtime | None:
    """The runtime for a `fit`/`evaluate`/`predict` call, or None.

    Args:
        model: the model being trained or run.

    Returns:
        A `Runtime` when the active distribution spans several processes;
        `None` otherwise (the trainer then runs its single-process path).
    """
    from cornu.distribution.distribution_lib import (
        FullyShardedDataParallel,
        ModelParallel,
        distribution,
    )

    strategy = distribution()
    if strategy is None and process_group.env_world_size() <= 1:
        model.__dict__["_dist_runtime"] = None
        return None
    if not process_group.initialize() or process_group.world_size() <= 1:
        model.__dict__["_dist_runtime"] = None
        return None
    runtime = model.__dict__.get("_dist_runtime")
    if runtime is None:
        runtime = Runtime(model)
        model.__dict__["_dist_runtime"] = runtime
    if isinstance(strategy, FullyShardedDataParallel):
        runtime.fully_sharded = True
    elif isinstance(strategy, ModelParallel) and runtime.layouts is None:
        runtime.layouts = strategy
    runtime.prepare()
    return runtime


class Runtime:
    """Data-parallel state for one model across the process group.

    Args:
        model: the user's model (never wrapped).
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.rank = process_group.rank()
        self.world_size = process_group.world_size()
        # Local sample counts of the training batches handed out, in order;
        # each optimizer step takes the first to weight its gradients.
        self.batch_sizes: collections.deque[int] = collections.deque()
        # Under FullyShardedDataParallel: the global batch size of each
        # training batch handed out, beside `batch_sizes`.
        self.global_sizes: collections.deque[int] = collections.deque()
        self.fully_sharded = False
        self._sharded = False
        # Under ModelParallel: the strategy, and whether the model's weights
        # are laid out as its layout map says.
        self.layouts: Any = None
        self._laid_out = False
        # The data-parallel part of the job: this rank's index among the
        # ranks that split each batch, their number and their process group
        # (None: all ranks). Under ModelParallel, the ranks along the batch
        # axis of the mesh; without one, each rank reads whole batches.
        self.data_rank = self.rank
        self.data_world = self.world_size
        self.data_group: Any = None

    # -- start ----------------------------------------------------------------
    def prepare(self) -> None:
        """Makes every rank start from rank 0's weights and random state."""
        model = self.model
        _STATE.active = self
        self.batch_sizes.clear()
        self.global_sizes.clear()
        if (self.fully_sharded and not self._sharded) or (
            self.layouts is not None and not self._laid_out
        ):
            _check_devices(
                model,
                "FullyShardedDataParallel" if self.fully_sharded else "ModelParallel",
            )
        state = [t for t in _STATE.unsynced(_model_state(model)) if not _is_dtensor(t)]
        with collective("broadcasting rank 0's weights and random state"):
            if state:
                with torch.no_grad():
                    for t in state:
                        dist.broadcast(t.data, src=0)
                _STATE.mark_synced(state)
            # Weights a model builds later (on its first batch) come out equal
            # on every rank when the random state is rank 0's.
            rng = torch.get_rng_state()
            buffer = rng if _cpu_collectives() else rng.to(_collective_device())
            dist.broadcast(buffer, src=0)
        torch.set_rng_state(buffer.cpu())
        if self.fully_sharded and not self._sharded:
            self._shard_model()
            self._sharded = True
        if self.layouts is not None and not self._laid_out:
            self._lay_out_model(self.layouts)
            self._laid_out = True

    @property
    def _splits_gradients(self) -> bool:
        # Weights are DTensors whose gradients are reduced in backward, and
        # each rank's output gradient is scaled by its share of the batch.
        return self._sharded or self._laid_out

    def _shard_model(self) -> None:
        """FSDP2 on each layer holding weights, then on the model."""
        from torch.distributed.fsdp import fully_shard

        model = self.model
        if not getattr(model, "built", True):
            raise ValueError(
                f'FullyShardedDataParallel needs a built model; model "{model.name}" '
                "is not built. Call it on a batch (or `build()` it) before `fit`."
            )
        with torch.no_grad():
            for t in _model_state(model):
                if not t.is_contiguous():
                    # FSDP shards contiguous weights only.
                    t.data = t.data.contiguous()
        blocks = getattr(model, "layers", None) or list(model.children())
        # `fully_shard` replaces each weight by a DTensor parameter; each
        # keeps its variable's `path` (files and messages name weights by it).
        paths = {
            (id(m), name): getattr(w, "path", None)
            for m in model.modules()
            for name, w in m._parameters.items()
        }
        for block in blocks:
            if any(True for _ in block.parameters()):
                fully_shard(block)
        fully_shard(model)
        for m in model.modules():
            for name, w in m._parameters.items():
                path = paths.get((id(m), name))
                if w is not None and path and getattr(w, "path", None) is None:
                    w.path = path  # type: ignore[attr-defined]
        model.register_forward_hook(self._weight_rank_gradients)
        _STATE.mark_synced(_model_state(model))

    def _lay_out_model(self, strategy: Any) -> None:
        """The model's weights become DTensors as `strategy` says (see
        `cornu.distribution.layouts`); batches split along its batch axis."""
        from cornu.distribution import layouts

        model = self.model
        if not getattr(model, "built", True):
            raise ValueError(
                f'ModelParallel needs a built model; model "{model.name}" is not '
                "built. Call it on a batch (or `build()` it) before `fit`."
            )
        self.data_rank, self.data_world, self.data_group = layouts.data_axis(strategy)
        layouts.lay_out(model, strategy, self.data_world)
        model.register_forward_hook(self._weight_rank_gradients)
        _STATE.mark_synced(_model_state(model))

    def _weight_rank_gradients(self, module: Any, args: Any, output: Any) -> Any:
        # FSDP averages the ranks' gradients equally; scaling this rank's
        # output gradient by world * local / global weights them by samples,
        # as a single process on the global batch would. Gradients of terms
        # that do not flow through the output (weight regularizers) are
        # equal on all ranks and stay unscaled.
        if not torch.is_grad_enabled() or not self.global_sizes:
            return output
        local = self.batch_sizes.popleft()
        scale = self.data_world * local / self.global_sizes.popleft()
        if scale == 1.0:
            return output
        return tree.map_structure(
            lambda t: (
                _ScaleGradient.apply(t, scale)
                if isinstance(t, torch.Tensor) and t.requires_grad
                else t
            ),
            output,
        )

    def forget_batches(self) -> None:
        """Drops the sizes of batches handed out but not trained on (those a
        run restored mid-epoch skips)."""
        self.batch_sizes.clear()
        self.global_sizes.clear()

    # -- metrics --------------------------------------------------------------
    def reduce_metrics(self, model: Any) -> None:
        """Combines every metric state across ranks, per its `aggregation`."""
        if self.data_world == 1:
            return  # every rank saw every batch
        group = self.data_group
        by_kind: dict[tuple[str, torch.dtype], list[Any]] = {}
        for v in model.metrics_variables:
            kind = getattr(v, "aggregation", "sum")
            if kind in ("sum", "mean", "only_first_replica"):
                by_kind.setdefault((kind, v.dtype), []).append(v)
        with torch.no_grad(), collective("combining metrics"):
            for (kind, _), variables in sorted(
                by_kind.items(), key=lambda item: (item[0][0], str(item[0][1]))
            ):
                flat = torch.cat([v.data.reshape(-1) for v in variables])
                if kind == "only_first_replica":
                    first = 0 if group is None else dist.get_global_rank(group, 0)
                    dist.broadcast(flat, src=first, group=group)
                else:
                    dist.all_reduce(flat, group=group)
                    if kind == "mean":
                        flat = flat / self.data_world
                offset = 0
                for v in variables:
                    n = v.numel()
                    v.data.copy_(flat[offset : offset + n].view_as(v.data))
                    offset += n

    # -- data -----------------------------------------------------------------
    def shard(self, adapter: Any, training: bool = False) -> None:
        """Makes `adapter` yield this rank's part of each global batch.

        In-memory arrays are split; other sources (generators, datasets) are
        read whole by every rank, which keeps results exact but repeats work.
        """
        from cornu.trainers.data_adapters import ArrayDataAdapter

        if isinstance(adapter, ArrayDataAdapter) and adapter.shard is None:
            adapter.shard = ArrayShard(self, training)

    def gather_predictions(self, outputs: list[Any], sharded: bool) -> list[Any]:
        """Every rank's `predict` outputs joined in input order (one batch)."""
        if not sharded or not outputs or self.data_world == 1:
            return outputs
        flat = [tree.flatten(o) for o in outputs]
        sizes = torch.tensor([int(f[0].shape[0]) for f in flat], dtype=torch.long)
        device = flat[0][0].device
        with collective("gathering predictions"):
            return self._gather(outputs, flat, sizes.to(device))

    def _gather(self, outputs: list[Any], flat: list[Any], sizes: Any) -> list[Any]:
        first = outputs[0]
        group, world = self.data_group, self.data_world
        all_sizes = _all_gather_same_shape(sizes, world, group)
        all_sizes = [s.cpu() for s in all_sizes]
        joined = []
        for i in range(len(flat[0])):
            local = torch.cat([f[i] for f in flat])
            parts = _all_gather_uneven(local, [int(s.sum()) for s in all_sizes], group)
            pieces = [p.split(s.tolist()) for p, s in zip(parts, all_sizes)]
            joined.append(
                torch.cat(
                    [pieces[r][b] for b in range(len(flat)) for r in range(world)]
                )
            )
        return [tree.pack_sequence_as(first, joined)]

    # -- callbacks ------------------------------------------------------------
    def rank_zero_callbacks(self, verbose: Any, callbacks: Any) -> tuple[Any, Any]:
        """`(verbose, callbacks)` for this rank: printing and writing on rank 0."""
        if self.rank == 0 or callbacks is None:
            return (verbose if self.rank == 0 else 0), callbacks
        from cornu.callbacks import CallbackList, ProgbarLogger

        if isinstance(callbacks, CallbackList):
            return 0, callbacks
        items = callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]
        kept = []
        for c in items:
            if isinstance(c, ProgbarLogger):
                continue
            name = type(c).__name__
            if name == "ModelCheckpoint" and (self.fully_sharded or self._laid_out):
                # Its saves gather the sharded weights, which needs every
                # rank; here a save writes nothing, and prints nothing. (The
                # same object on every fit: its `best` follows rank 0's.)
                c.verbose = 0
            elif name in _WRITER_CALLBACKS:
                continue
            kept.append(c)
        return 0, kept


class ArrayShard:
    """Yields one rank's contiguous part of each global batch of an array adapter.

    Args:
        runtime: the data-parallel runtime (rank, world size, batch counts).
        training: record each part's size for the gradient weighting.
    """

    def __init__(self, runtime: Runtime, training: bool) -> None:
        self.runtime = runtime
        self.training = training

    def epoch(self, adapter: Any) -> Iterator[Any]:
        from cornu.trainers import data_adapters

        rank, world = self.runtime.data_rank, self.runtime.data_world
        n, bs = adapter.num_samples, adapter.batch_size
        tail = n % bs
        if bs < world or 0 < tail < world:
            raise ValueError(
                f"With {world} processes every global batch needs at least {world} "
                f"samples; received batch_size={bs} for {n} samples (last batch "
                f"{tail or bs}). Change `batch_size` or the number of samples."
            )
        leaves = adapter._leaves
        perm = None
        if adapter.shuffle:
            device = leaves[0].device
            if adapter.shuffle == "batch":
                perm = data_adapters._batch_shuffle(n, bs, device)
            else:
                perm = torch.randperm(n, device=device)
            with collective("sharing the shuffle"):
                dist.broadcast(perm, src=0)  # rank 0's order, everywhere
        if self.training:
            self.runtime.batch_sizes.clear()
            self.runtime.global_sizes.clear()
        structure = adapter._structure
        for start in range(0, n, bs):
            size = min(bs, n - start)
            q, r = divmod(size, world)
            lo = start + rank * q + min(rank, r)
            hi = lo + q + (1 if rank < r else 0)
            if self.training:
                self.runtime.batch_sizes.append(hi - lo)
                if self.runtime.fully_sharded or self.runtime.layouts is not None:
                    self.runtime.global_sizes.append(size)
            if perm is None:
                parts = [
                    t[lo:hi] if isinstance(t, torch.Tensor) else t
                    for t in tree.flatten(structure)
                ]
            else:
                idx = perm[lo:hi]
                parts = [
                    t.index_select(0, idx) if isinstance(t, torch.Tensor) else t
                    for t in tree.flatten(structure)
                ]
            yield tree.pack_sequence_as(structure, parts)


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; multiplies the gradient by `scale` in backward."""

    @staticmethod
    def forward(ctx: Any, t: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return t.view_as(t)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad * ctx.scale, None


# -- whole values of sharded weights (saving, get_weights, set_weights) --------
# Whole values gathered for the save in progress on rank 0, by `id`.
_GATHERED: dict[int, torch.Tensor] = {}


def full_value(tensor: torch.Tensor) -> torch.Tensor:
    """The whole value of a weight, gathered from every rank when it is sharded.

    Saving and `get_weights` read weights through this. A weight of a fully
    sharded model is a DTensor holding one part per rank; gathering it is a
    collective, so every rank must ask for the same weights in the same
    order. Any other tensor is returned as it is.

    Args:
        tensor: a weight (a variable, parameter or DTensor).

    Returns:
        A tensor with the weight's full shape (not a DTensor).
    """
    if _sharded_like(tensor) is None:
        return tensor
    gathered = _GATHERED.get(id(tensor))
    if gathered is not None:
        return gathered
    with torch.no_grad(), collective("gathering a sharded weight"):
        return as_sharded(tensor).full_tensor()  # type: ignore[attr-defined]


def full_shape(tensor: torch.Tensor) -> tuple[int, ...]:
    """The shape of a weight's whole value (an optimizer slot of a sharded
    weight holds only this rank's part of it)."""
    like = _sharded_like(tensor)
    return tuple((tensor if like is None else like).shape)


def as_sharded(tensor: torch.Tensor) -> torch.Tensor:
    """An optimizer slot of a sharded weight as a DTensor sharded like the
    weight (sharing the slot's memory); any other tensor as it is."""
    like = _sharded_like(tensor)
    if like is None or like is tensor:
        return tensor
    from torch.distributed.tensor import DTensor

    return DTensor.from_local(
        tensor,
        like.device_mesh,
        like.placements,
        run_check=False,
        shape=like.shape,
        stride=like.stride(),
    )


def assign_full_value(tensor: torch.Tensor, value: torch.Tensor) -> None:
    """Sets a weight to `value`, its whole value; a sharded weight keeps its part.

    Loading and `set_weights` write weights through this. Every rank holds
    the whole value (each reads the same file), so a sharded weight takes
    its own part of it without any communication.

    Args:
        tensor: the weight to overwrite in place.
        value: a tensor of the weight's full shape.
    """
    value = value.to(device=tensor.device, dtype=tensor.dtype)
    like = _sharded_like(tensor)
    if like is None and tuple(value.shape) != tuple(tensor.shape):
        raise ValueError(
            f"Cannot assign a value of shape {tuple(value.shape)} to a variable "
            f"of shape {tuple(tensor.shape)}."
        )
    with torch.no_grad():
        if like is not None:
            from torch.distributed.tensor import distribute_tensor

            value = distribute_tensor(
                value,
                like.device_mesh,
                like.placements,
                src_data_rank=None,  # every rank slices its own copy
            )
            if like is not tensor:  # an optimizer slot: keep this rank's part
                value = value.to_local()
        tensor.copy_(value)


@contextlib.contextmanager
def gathered_for_saving(obj: Any) -> Iterator[None]:
    """Gathers every sharded weight of `obj` on every rank, for one save.

    A save writes on rank 0 only, but gathering a sharded weight needs every
    rank: all ranks enter this block and gather the weights of `obj`'s
    object tree in its order (the same on every rank); rank 0 keeps the
    whole values (on the CPU) for `full_value` until the block ends, while
    the other ranks skip the write. The block runs under `own_classes`.
    Without sharded weights it does nothing.

    Args:
        obj: the model (or layer) being saved.
    """
    distributed = dist.is_available() and dist.is_initialized()
    if not (distributed and isinstance(obj, torch.nn.Module)):
        yield
        return
    from cornu.saving.object_tree import walk

    keep = dist.get_rank() == 0
    ids: dict[int, None] = {}  # ordered, each weight once
    with own_classes(obj):
        try:
            for saveable in walk(obj):
                for v in saveable.variables():
                    if _sharded_like(v) is None or id(v) in ids:
                        continue
                    ids[id(v)] = None
                    whole = full_value(v)
                    if keep:
                        _GATHERED[id(v)] = whole.cpu()
            yield
        finally:
            for i in ids:
                _GATHERED.pop(i, None)


@contextlib.contextmanager
def own_classes(obj: Any) -> Iterator[None]:
    """Gives the modules of `obj` that `fully_shard` wrapped their own class back.

    `fully_shard` changes a module's class to a subclass it generates
    (`Dense` becomes `FSDPDense`). Files name layers and write configs by
    class, so a save or load of a fully sharded model runs inside this
    block and sees the classes one process would; nothing is called
    meanwhile. Without sharded modules it does nothing.

    Args:
        obj: the model (or layer) being saved or loaded.
    """
    distributed = dist.is_available() and dist.is_initialized()
    if not (distributed and isinstance(obj, torch.nn.Module)):
        yield  # `fully_shard` needs a process group
        return
    from torch.distributed.fsdp import FSDPModule

    wrapped: list[tuple[Any, type]] = [
        (m, type(m)) for m in obj.modules() if isinstance(m, FSDPModule)
    ]
    try:
        for m, cls in wrapped:
            # `fully_shard` derives `FSDP<Name>` from (FSDPModule, <Name>).
            m.__class__ = next(
                b for b in cls.__bases__ if not issubclass(b, FSDPModule)
            )
        yield
    finally:
        for m, cls in wrapped:
            m.__class__ = cls


def _is_dtensor(t: Any) -> bool:
    if not (dist.is_available() and dist.is_initialized()):
        return False  # a DTensor lives on a mesh of a process group
    from torch.distributed.tensor import DTensor

    return isinstance(t, DTensor)


def _check_devices(model: Any, strategy: str = "FullyShardedDataParallel") -> None:
    from cornu import config

    expected = config.device()
    named = list(model.named_parameters()) + list(model.named_buffers())
    for name, t in named:
        if t.device.type != expected.type or (
            expected.index is not None and t.device.index != expected.index
        ):
            name = getattr(t, "path", None) or name
            raise ValueError(
                f'{strategy}: model "{model.name}" has weight '
                f"{name!r} on {t.device}, but this process (rank "
                f"{process_group.rank()}) trains on {expected}. Build the model "
                "after the process group starts, on this process's device (or "
                "move it there) before `fit`."
            )


def _model_state(model: Any) -> list[torch.Tensor]:
    return list(model.parameters()) + list(model.buffers())


def _cpu_collectives() -> bool:
    return dist.get_backend() == "gloo"


def _collective_device() -> torch.device:
    from cornu import config

    return config.device()


def _all_gather_same_shape(
    t: torch.Tensor, world: int, group: Any = None
) -> list[torch.Tensor]:
    out = [torch.empty_like(t) for _ in range(world)]
    dist.all_gather(out, t.contiguous(), group=group)
    return out


def _all_gather_uneven(
    t: torch.Tensor, lengths: list[int], group: Any = None
) -> list[torch.Tensor]:
    # all_gather needs equal shapes: pad to the longest, then trim.
    longest = max(lengths)
    padded = torch.zeros((longest, *t.shape[1:]), dtype=t.dtype, device=t.device)
    padded[: t.shape[0]] = t
    out = [torch.empty_like(padded) for _ in lengths]
    dist.all_gather(out, padded, group=group)
    return [o[:n] for o, n in zip(out, lengths)]
