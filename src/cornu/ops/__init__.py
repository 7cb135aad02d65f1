"""`keras.ops`: numpy-like functions over torch tensors, also usable on KerasTensors."""

from cornu.ops.core import *  # noqa: F403
from cornu.ops.core import (
    cast,
    convert_to_numpy,
    convert_to_tensor,
    dtype,
    get_item,
    is_tensor,
    shape,
    stop_gradient,
)
