"""Sharded checkpoints: each rank writes and reads only its part of the weights.

`model.save` and `save_weights` gather a fully sharded model's weights onto
rank 0 and write one file; for models too large for that, `save_checkpoint`
writes a `torch.distributed.checkpoint` directory in which every rank writes
its own shards (no gathering), and `load_checkpoint` reads one back into a
model sharded over any number of ranks, or into a single process.

Each weight (and optimizer variable) is keyed as in a `.weights.h5` file
(`"layers/dense/vars/0"`), so a checkpoint fits any model with the same
architecture, sharded or not.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from typing import Any

import torch

from cornu.distribution.runtime import as_sharded, own_classes


def _state(model: Any) -> dict[str, torch.Tensor]:
    """`model`'s variables (sharded or not) keyed by their place in the tree."""
    from cornu.saving.object_tree import walk

    state: dict[str, torch.Tensor] = {}
    for saveable in walk(model):
        group = f"{saveable.path}/vars" if saveable.path else "vars"
        for i, v in enumerate(saveable.variables()):
            state[f"{group}/{i}"] = as_sharded(v)
    return state


def _alone() -> bool:
    """True without a process group: one process reads or writes everything."""
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized())


@contextlib.contextmanager
def _quiet_alone() -> Iterator[None]:
    # In one process, torch warns that it assumes one process: that is meant.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="torch.distributed is disabled", category=UserWarning
        )
        yield


def _check_model(model: Any, action: str) -> None:
    if not getattr(model, "built", False):
        raise ValueError(
            f'Cannot {action}: model "{getattr(model, "name", "?")}" is not '
            "built yet, so it has no weights. Build it first, by calling it on "
            "data or with `model.build(input_shape)`."
        )


def save_checkpoint(model: Any, directory: str | os.PathLike[str]) -> None:
    """Writes `model`'s weights and optimizer state as a sharded checkpoint.

    Every rank writes its own part of each weight (no gathering) into
    `directory`, with `torch.distributed.checkpoint`; across processes it is
    a collective, so call it on every rank, with the same directory (on a
    file system all ranks see). In one process it writes everything.

    Args:
        model: a built model, fully sharded or not.
        directory: the checkpoint directory (created if missing; by
            convention its name ends in `.distcp`).

    Returns:
        None.

    Example:
    >>> import os, tempfile
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.distcp")
    >>> keras.distribution.save_checkpoint(model, path)
    >>> keras.distribution.load_checkpoint(model, path)
    """
    import torch.distributed.checkpoint as dcp

    _check_model(model, "save a checkpoint")
    with own_classes(model), torch.no_grad(), _quiet_alone():
        dcp.save(_state(model), checkpoint_id=os.fspath(directory), no_dist=_alone())


def load_checkpoint(model: Any, directory: str | os.PathLike[str]) -> None:
    """Reads a checkpoint written by `save_checkpoint` into `model`, in place.

    Each rank reads only the parts of the weights it holds, whatever the
    number of ranks that wrote the checkpoint; a single process reads whole
    weights. Across processes call it on every rank.

    Args:
        model: a built model with the architecture of the saved one.
        directory: the checkpoint directory.

    Returns:
        None.

    Raises:
        FileNotFoundError: `directory` holds no checkpoint.
        ValueError: the model is not built.
    """
    import torch.distributed.checkpoint as dcp

    _check_model(model, "load a checkpoint")
    path = os.fspath(directory)
    if not os.path.isfile(os.path.join(path, ".metadata")):
        raise FileNotFoundError(
            f"No checkpoint in {path!r}: expected a directory written by "
            "`keras.distribution.save_checkpoint` (with a `.metadata` file)."
        )
    with own_classes(model), torch.no_grad(), _quiet_alone():
        dcp.load(_state(model), checkpoint_id=path, no_dist=_alone())
