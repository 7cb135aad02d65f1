"""Training on many devices and machines: `keras.distribution` on torch.

Launch the same script with `torchrun --nproc-per-node=N train.py`; `fit`,
`evaluate` and `predict` then run data parallel (see `runtime`).
"""

from cornu.distribution.checkpoint import load_checkpoint, save_checkpoint
from cornu.distribution.distribution_lib import (
    DataParallel,
    DeviceMesh,
    Distribution,
    FullyShardedDataParallel,
    LayoutMap,
    ModelParallel,
    TensorLayout,
    distribute_tensor,
    distribution,
    set_distribution,
)
from cornu.distribution.process_group import (
    get_device_count,
    initialize,
    is_rank_zero,
    list_devices,
)

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "Distribution",
    "FullyShardedDataParallel",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribute_tensor",
    "distribution",
    "get_device_count",
    "initialize",
    "is_rank_zero",
    "list_devices",
    "load_checkpoint",
    "save_checkpoint",
    "set_distribution",
]
