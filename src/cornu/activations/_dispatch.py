"""The path an activation takes when its input is not a torch tensor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cornu.core.keras_tensor import KerasTensor
from cornu.core.operation import symbolic_op
from cornu.ops.core import convert_to_tensor


def not_a_tensor(fn: Callable[..., Any], op_name: str, x: Any, **kwargs: Any) -> Any:
    """Runs activation `fn` on a KerasTensor, array or list.

    Activations test for a torch tensor first, so the training hot path is
    one `isinstance` plus the torch call; everything else lands here. On a
    KerasTensor the call becomes a graph node named as Keras names the
    operation (`op_name`); other inputs are converted to tensors.
    """
    if isinstance(x, KerasTensor):
        return symbolic_op(fn, op_name, (x,), kwargs)
    return fn(convert_to_tensor(x), **kwargs)
