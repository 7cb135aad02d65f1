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
- keeps the progress bar and file-writing callbacks on rank 0.

Gradients are reduced in the optimizer step rather than by wrapping the
model in `DistributedDataParallel`: the trainer (and any overridden
`train_step` or `GradientTape` loop that calls `model.optimizer.apply`) keeps
calling the user's model, and every replica update is averaged exactly once.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import torch
import torch.distributed as dist

from cornu import tree
from cornu.distribution import process_group

# Callbacks that write files or send data: rank 0 alone runs them.
_WRITER_CALLBACKS = ("ModelCheckpoint", "CSVLogger", "TensorBoard", "RemoteMonitor")


def for_model(model: Any) -> Runtime | None:
    """The runtime for a `fit`/`evaluate`/`predict` call, or None.

    Args:
        model: the model being trained or run.

    Returns:
        A `Runtime` when the active distribution spans several processes;
        `None` otherwise (the trainer then runs its single-process path).
    """
    from cornu.distribution.distribution_lib import ModelParallel, distribution

    strategy = distribution()
    if isinstance(strategy, ModelParallel) and process_group.world_size() > 1:
        raise NotImplementedError(
            "fit/evaluate/predict under ModelParallel across processes is not "
            "implemented yet; use DataParallel (the default under torchrun)."
        )
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
        self._synced: set[int] = set()

    # -- start ----------------------------------------------------------------
    def prepare(self) -> None:
        """Makes every rank start from rank 0's weights, RNG and optimizer hook."""
        model = self.model
        state = [t for t in _model_state(model) if id(t) not in self._synced]
        if state:
            with torch.no_grad():
                for t in state:
                    dist.broadcast(t.data, src=0)
            self._synced.update(id(t) for t in state)
        # Weights a model builds later (on its first batch) come out equal on
        # every rank when the random state is rank 0's.
        rng = torch.get_rng_state()
        buffer = rng if _cpu_collectives() else rng.to(_collective_device())
        dist.broadcast(buffer, src=0)
        torch.set_rng_state(buffer.cpu())
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and "apply" not in optimizer.__dict__:
            optimizer.__dict__["apply"] = _ReducingApply(self, optimizer)

    # -- gradients ------------------------------------------------------------
    def reduce_gradients(self, grads: list[Any]) -> list[Any]:
        """Averages gradients over ranks, weighted by each rank's sample count.

        Args:
            grads: this rank's gradients (None entries stay None).

        Returns:
            The gradients of the global batch, equal on every rank.
        """
        count = float(self.batch_sizes.popleft()) if self.batch_sizes else 1.0
        present = [g for g in grads if g is not None]
        if not present:
            return list(grads)
        flat = torch.cat(
            [g.detach().reshape(-1).float() for g in present]
            + [torch.ones(1, device=present[0].device)]
        )
        flat.mul_(count)
        dist.all_reduce(flat)
        flat = flat[:-1] / flat[-1]
        out: list[Any] = []
        offset = 0
        for g in grads:
            if g is None:
                out.append(None)
                continue
            n = g.numel()
            out.append(flat[offset : offset + n].view_as(g).to(g.dtype))
            offset += n
        return out

    # -- metrics --------------------------------------------------------------
    def reduce_metrics(self, model: Any) -> None:
        """Combines every metric state across ranks, per its `aggregation`."""
        by_kind: dict[tuple[str, torch.dtype], list[Any]] = {}
        for v in model.metrics_variables:
            kind = getattr(v, "aggregation", "sum")
            if kind in ("sum", "mean", "only_first_replica"):
                by_kind.setdefault((kind, v.dtype), []).append(v)
        with torch.no_grad():
            for (kind, _), variables in sorted(
                by_kind.items(), key=lambda item: (item[0][0], str(item[0][1]))
            ):
                flat = torch.cat([v.data.reshape(-1) for v in variables])
                if kind == "only_first_replica":
                    dist.broadcast(flat, src=0)
                else:
                    dist.all_reduce(flat)
                    if kind == "mean":
                        flat = flat / self.world_size
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
        if not sharded or not outputs:
            return outputs
        first = outputs[0]
        flat = [tree.flatten(o) for o in outputs]
        sizes = torch.tensor([int(f[0].shape[0]) for f in flat], dtype=torch.long)
        device = flat[0][0].device
        all_sizes = _all_gather_same_shape(sizes.to(device), self.world_size)
        all_sizes = [s.cpu() for s in all_sizes]
        joined = []
        for i in range(len(flat[0])):
            local = torch.cat([f[i] for f in flat])
            parts = _all_gather_uneven(local, [int(s.sum()) for s in all_sizes])
            pieces = [p.split(s.tolist()) for p, s in zip(parts, all_sizes)]
            joined.append(
                torch.cat(
                    [
                        pieces[r][b]
                        for b in range(len(flat))
                        for r in range(self.world_size)
                    ]
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
        kept = [
            c
            for c in items
            if not isinstance(c, ProgbarLogger)
            and type(c).__name__ not in _WRITER_CALLBACKS
        ]
        return 0, kept


class _ReducingApply:
    """`optimizer.apply` that first averages the gradients across ranks."""

    def __init__(self, runtime: Runtime, optimizer: Any) -> None:
        self.runtime = runtime
        self.inner = type(optimizer).apply.__get__(optimizer)

    def __call__(self, grads: Any, trainable_variables: Any = None) -> None:
        grads = self.runtime.reduce_gradients(list(grads))
        self.inner(grads, trainable_variables)


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

        rank, world = self.runtime.rank, self.runtime.world_size
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
            dist.broadcast(perm, src=0)  # rank 0's order, everywhere
        if self.training:
            self.runtime.batch_sizes.clear()
        structure = adapter._structure
        for start in range(0, n, bs):
            size = min(bs, n - start)
            q, r = divmod(size, world)
            lo = start + rank * q + min(rank, r)
            hi = lo + q + (1 if rank < r else 0)
            if self.training:
                self.runtime.batch_sizes.append(hi - lo)
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


def _model_state(model: Any) -> list[torch.Tensor]:
    return list(model.parameters()) + list(model.buffers())


def _cpu_collectives() -> bool:
    return dist.get_backend() == "gloo"


def _collective_device() -> torch.device:
    from cornu import config

    return config.device()


def _all_gather_same_shape(t: torch.Tensor, world: int) -> list[torch.Tensor]:
    out = [torch.empty_like(t) for _ in range(world)]
    dist.all_gather(out, t.contiguous())
    return out


def _all_gather_uneven(t: torch.Tensor, lengths: list[int]) -> list[torch.Tensor]:
    # all_gather needs equal shapes: pad to the longest, then trim.
    longest = max(lengths)
    padded = torch.zeros((longest, *t.shape[1:]), dtype=t.dtype, device=t.device)
    padded[: t.shape[0]] = t
    out = [torch.empty_like(padded) for _ in lengths]
    dist.all_gather(out, padded)
    return [o[:n] for o, n in zip(out, lengths)]
