"""Core operations: tensor conversion, casting, shapes, indexing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch

from cornu import config
from cornu.core.keras_tensor import KerasTensor, any_symbolic
from cornu.core.operation import OPS_BY_CLASS_NAME, compute_spec, symbolic_op

F = TypeVar("F", bound=Callable[..., Any])


def keras_op(class_name: str) -> Callable[[F], F]:
    """Makes a torch-level function also work on KerasTensors.

    On tensors the function runs as written; on KerasTensors it is recorded
    as a graph node named `class_name` (Keras's name for the operation).
    """

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if any_symbolic(args, kwargs):
                return symbolic_op(fn, class_name, args, kwargs)
            return fn(*args, **kwargs)

        wrapper.__keras_op__ = class_name  # type: ignore[attr-defined]
        OPS_BY_CLASS_NAME.setdefault(class_name, fn)
        return wrapper  # type: ignore[return-value]

    return deco


def _default_float(x: Any) -> torch.dtype | None:
    if isinstance(x, float) or (
        isinstance(x, (list, tuple)) and any(isinstance(v, float) for v in x)
    ):
        return config.torch_dtype(config.floatx())
    return None


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None) -> Any:
    """Returns `x` as a torch tensor on the current device.

    numpy arrays are wrapped without a copy on the CPU; Python floats take
    `floatx()`, Python ints `int32`, as in Keras.
    """
    if isinstance(x, KerasTensor):
        return x if dtype is None else cast(x, dtype)
    want = config.torch_dtype(dtype) if dtype is not None else None
    if isinstance(x, torch.Tensor):
        if want is not None and x.dtype != want:
            x = x.to(want)
        return x
    if isinstance(x, np.ndarray):
        if not x.flags.writeable or x.dtype == object:
            x = np.array(x)
        t = torch.from_numpy(np.ascontiguousarray(x))
    elif isinstance(x, (bool, np.bool_)):
        t = torch.tensor(bool(x))
    elif isinstance(x, int) and not isinstance(x, bool):
        t = torch.tensor(x, dtype=torch.int32)
    elif isinstance(x, np.generic):
        t = torch.from_numpy(np.asarray(x))
    elif hasattr(x, "__array__") and not isinstance(x, (list, tuple)):
        t = torch.from_numpy(np.array(x))
    else:
        default = _default_float(x)
        if isinstance(x, (list, tuple)) and any(
            isinstance(v, torch.Tensor) for v in x
        ):
            t = torch.stack([convert_to_tensor(v) for v in x])
        else:
            arr = np.asarray(x)
            if arr.dtype == np.int64 and default is None and not isinstance(x, np.ndarray):
                arr = arr.astype(np.int32)
            t = torch.from_numpy(arr)
        if default is not None and t.is_floating_point():
            t = t.to(default)
    dev = config.device()
    if t.device != dev:
        t = t.to(dev)
    if want is not None and t.dtype != want:
        t = t.to(want)
    return t


def convert_to_numpy(x: Any) -> np.ndarray:
    """Returns `x` as a numpy array (copied to the host when needed)."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    return isinstance(x, torch.Tensor)


def cast(x: Any, dtype: Any) -> Any:
    """Casts `x` to `dtype` (a name or torch dtype)."""
    if isinstance(x, KerasTensor):
        return symbolic_op(cast, "Cast", (x,), {"dtype": dtype})
    return convert_to_tensor(x).to(config.torch_dtype(dtype))


def shape(x: Any) -> tuple:
    """The shape of `x` as a tuple (`None` for unknown symbolic sizes)."""
    return tuple(x.shape)


def dtype(x: Any) -> str:
    """The dtype of `x` as a Keras name (`"float32"`)."""
    if isinstance(x, KerasTensor):
        return x.dtype
    return config.standardize_dtype(convert_to_tensor(x).dtype)


def _get_item(x: Any, key: Any) -> Any:
    return x[key]


def get_item(x: Any, key: Any) -> Any:
    if isinstance(x, KerasTensor):
        return symbolic_op(_get_item, "GetItem", (x,), {"key": key})
    return x[key]


def stop_gradient(x: Any) -> Any:
    return x.detach() if isinstance(x, torch.Tensor) else x


def compute_output_spec(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The KerasTensor(s) `fn` would return for these (symbolic) arguments."""
    return compute_spec(fn, args, kwargs)
