"""The process group under `torchrun`: start on first use, device binding, exit.

`torchrun` sets `WORLD_SIZE`, `RANK`, `LOCAL_RANK`, `MASTER_ADDR` and
`MASTER_PORT` in each process it starts; cornu reads them, starts the
`torch.distributed` process group once (NCCL on CUDA, gloo on CPU), places
new weights on the process's own GPU and ends the group at exit.
"""

from __future__ import annotations

import atexit
import datetime
import os
from typing import Any

import torch
import torch.distributed as dist

from cornu import config

# Seconds a collective may wait for the other ranks before failing with an
# error instead of hanging (a dead or stuck rank). `CORNU_DIST_TIMEOUT` sets it.
DEFAULT_TIMEOUT_S = 1800.0


def timeout_seconds() -> float:
    """How long a collective waits for the other ranks, in seconds.

    Read from the `CORNU_DIST_TIMEOUT` environment variable when the process
    group starts (default 1800, as torch's own default); a rank that died or
    hangs makes the others fail with an error after at most this long.

    Returns:
        The timeout in seconds.

    Example:
    >>> from cornu.distribution import process_group
    >>> process_group.timeout_seconds() > 0
    True
    """
    raw = os.environ.get("CORNU_DIST_TIMEOUT", "")
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(
            "`CORNU_DIST_TIMEOUT` must be a positive number of seconds; "
            f"received {raw!r}."
        )
    return value


def env_world_size() -> int:
    """The number of processes `torchrun` started (1 without `torchrun`)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_initialized() -> bool:
    """True when the `torch.distributed` process group is running."""
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    """The number of processes taking part (1 in a single process)."""
    return dist.get_world_size() if is_initialized() else env_world_size()


def rank() -> int:
    """This process's global rank (0 in a single process)."""
    return dist.get_rank() if is_initialized() else int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    """This process's rank on its machine, from `LOCAL_RANK` (0 by default)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_rank_zero() -> bool:
    """True on the process that prints and writes files (global rank 0)."""
    return rank() == 0


def initialize(
    job_addresses: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> bool:
    """Starts the process group once; a no-op in a single process.

    Args:
        job_addresses: `"host:port"` of the rank-0 process (or a
            comma-separated list whose first entry is rank 0); defaults to
            `MASTER_ADDR`/`MASTER_PORT` as `torchrun` sets them.
        num_processes: the world size; defaults to `WORLD_SIZE`.
        process_id: this process's rank; defaults to `RANK`.

    Returns:
        True when a process group with more than one process is running.

    Example:
    >>> from cornu.distribution import process_group
    >>> process_group.initialize()  # one process: nothing to start
    False
    """
    if is_initialized():
        return dist.get_world_size() > 1
    size = int(num_processes) if num_processes is not None else env_world_size()
    if size <= 1:
        return False
    if job_addresses:
        host, _, port = job_addresses.split(",")[0].strip().rpartition(":")
        os.environ["MASTER_ADDR"] = host or "127.0.0.1"
        os.environ["MASTER_PORT"] = port
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")
    this_rank = int(process_id) if process_id is not None else rank()
    use_cuda = torch.cuda.is_available() and config.device().type == "cuda"
    if use_cuda:
        # One GPU per process: bind it before any weight or NCCL buffer exists.
        torch.cuda.set_device(local_rank())
        config.set_device(f"cuda:{local_rank()}")
    timeout = datetime.timedelta(seconds=timeout_seconds())
    dist.init_process_group(
        backend="nccl" if use_cuda else "gloo",
        store=_attempt_store(size, this_rank, timeout),
        world_size=size,
        rank=this_rank,
        timeout=timeout,
    )
    atexit.register(shutdown)
    _enable_hooks()
    return True


def _attempt_store(size: int, this_rank: int, timeout: datetime.timedelta) -> Any:
    """Under `torchrun --max-restarts`, a store namespace of its own per attempt.

    The launcher's store outlives a failed attempt; without a prefix, a
    restarted rank could read the addresses a dead rank published there and
    fail (or wait) while connecting. None elsewhere: torch's own `env://`.
    """
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT")
    if attempt is None:
        return None
    agent_store = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    store = dist.TCPStore(
        os.environ["MASTER_ADDR"],
        int(os.environ["MASTER_PORT"]),
        size,
        is_master=not agent_store and this_rank == 0,
        timeout=timeout,
    )
    return dist.PrefixStore(f"cornu/attempt_{attempt}", store)


def _enable_hooks() -> None:
    # A group started without `WORLD_SIZE` in the environment (arguments to
    # `initialize`) still needs the trainer's and optimizers' hooks on.
    from cornu.optimizers import optimizer
    from cornu.trainers import trainer

    optimizer._MULTI_PROCESS = True
    trainer._MULTI_PROCESS = True


def shutdown() -> None:
    """Ends the process group if it runs (registered at exit by `initialize`)."""
    if is_initialized():
        dist.destroy_process_group()


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of all processes, as Keras names them (`"gpu:0"`, `"cpu:1"`).

    Args:
        device_type: `"cpu"` or `"gpu"`; defaults to `"gpu"` when CUDA is
            available, else `"cpu"`.

    Returns:
        One name per device taking part: with several processes, one per
        process (each process drives one device); else the local devices.

    Example:
    >>> from cornu.distribution import list_devices
    >>> list_devices("cpu")
    ['cpu:0']
    """
    kind = _device_type(device_type)
    size = world_size()
    if size > 1:
        return [f"{kind}:{i}" for i in range(size)]
    count = torch.cuda.device_count() if kind == "gpu" else 1
    return [f"{kind}:{i}" for i in range(count)]


def get_device_count(device_type: str | None = None) -> int:
    """The number of devices `list_devices(device_type)` returns.

    Args:
        device_type: `"cpu"` or `"gpu"`; defaults as in `list_devices`.

    Returns:
        The number of devices.

    Example:
    >>> from cornu.distribution import get_device_count
    >>> get_device_count("cpu")
    1
    """
    return len(list_devices(device_type))


def _device_type(device_type: str | None) -> str:
    if device_type is None:
        return "gpu" if torch.cuda.is_available() else "cpu"
    kind = device_type.lower()
    if kind == "cuda":
        kind = "gpu"
    if kind not in ("cpu", "gpu"):
        raise ValueError(
            f'`device_type` must be "cpu" or "gpu"; received {device_type!r}.'
        )
    return kind
