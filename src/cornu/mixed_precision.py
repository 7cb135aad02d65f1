"""`keras.mixed_precision`: the global dtype policy and loss scaling.

Example:
    >>> set_global_policy("mixed_bfloat16")
    >>> global_policy().compute_dtype
    'bfloat16'
    >>> set_global_policy("float32")
"""

from __future__ import annotations

from cornu.core.dtype_policy import DTypePolicy, dtype_policy, set_dtype_policy
from cornu.optimizers.loss_scale_optimizer import LossScaleOptimizer

# Keras's older names for the same objects.
Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = [
    "DTypePolicy",
    "LossScaleOptimizer",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]
