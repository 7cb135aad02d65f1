"""Global settings: default float type, fuzz factor, image layout and device."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:  # at run time these come through `__getattr__` below
    from cornu.core.dtype_policy import dtype_policy as dtype_policy
    from cornu.core.dtype_policy import set_dtype_policy as set_dtype_policy
    from cornu.utils.io_utils import (
        disable_interactive_logging as disable_interactive_logging,
    )
    from cornu.utils.io_utils import (
        enable_interactive_logging as enable_interactive_logging,
    )
    from cornu.utils.io_utils import (
        is_interactive_logging_enabled as is_interactive_logging_enabled,
    )

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DEVICE: torch.device | None = None

_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "uint8": torch.uint8,
    "uint16": torch.uint16,
    "uint32": torch.uint32,
    "uint64": torch.uint64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
_NAMES = {v: k for k, v in _DTYPES.items()}
_ALIASES = {"float": "float32", "int": "int64", "double": "float64", "half": "float16"}


def floatx() -> str:
    """Returns the default float type, as a string (`"float32"`)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Sets the default float type (`"float16"`, `"bfloat16"`, `"float32"`...)."""
    global _FLOATX
    value = standardize_dtype(value)
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(
            f"Unknown `floatx` value: {value!r}. Expected one of "
            "'float16', 'bfloat16', 'float32', 'float64'."
        )
    _FLOATX = value


def epsilon() -> float:
    """Returns the fuzz factor used in numeric expressions (`1e-7`)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """Returns `"channels_last"` (the default) or `"channels_first"`."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Sets the default image layout for convolution and pooling layers."""
    global _IMAGE_DATA_FORMAT
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "`data_format` must be 'channels_first' or 'channels_last', "
            f"received: {data_format!r}."
        )
    _IMAGE_DATA_FORMAT = data_format


def backend() -> str:
    """The name of the tensor engine: always `"torch"`."""
    return "torch"


def device() -> torch.device:
    """The device new tensors and weights are placed on.

    CUDA when available, else CPU, unless `CORNU_DEVICE` or `set_device`
    says otherwise.
    """
    global _DEVICE
    if _DEVICE is None:
        name = os.environ.get("CORNU_DEVICE")
        if name is None:
            # Under torchrun each process takes the GPU of its LOCAL_RANK.
            local = os.environ.get("LOCAL_RANK")
            if torch.cuda.is_available():
                name = f"cuda:{local}" if local is not None else "cuda"
            else:
                name = "cpu"
        _DEVICE = torch.device(name)
    return _DEVICE


def set_device(value: str | torch.device) -> None:
    """Places new tensors and weights on `value` (e.g. `"cpu"`, `"cuda:1"`)."""
    global _DEVICE
    _DEVICE = torch.device(value)


def standardize_dtype(dtype: object) -> str:
    """Returns the Keras name of a dtype given as a string, torch or numpy type."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, torch.dtype):
        if dtype in _NAMES:
            return _NAMES[dtype]
        raise ValueError(f"Unsupported dtype: {dtype}.")
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name  # numpy dtypes, DTypePolicy
    elif isinstance(dtype, type):
        dtype = dtype.__name__  # float, int, np.float32
    name = str(dtype)
    name = _ALIASES.get(name, name)
    if name.startswith("torch."):
        name = name[len("torch.") :]
    if name in ("string", "str"):
        return "string"  # text: numpy arrays or lists, no torch dtype
    if name not in _DTYPES:
        raise ValueError(f"Unknown dtype: {dtype!r}.")
    return name


def torch_dtype(dtype: object) -> torch.dtype:
    """Returns the torch dtype for a dtype given in any accepted form."""
    if isinstance(dtype, torch.dtype):
        return dtype
    return _DTYPES[standardize_dtype(dtype)]


def is_float_dtype(dtype: object) -> bool:
    return torch_dtype(dtype).is_floating_point


# --------------------------------------------------------------------------
# Keras's debugging and feature switches.

_FLASH_ATTENTION: bool | None = None
_TRACEBACK_FILTERING = True
_MAX_EPOCHS: int | None = (
    int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None
)
_MAX_STEPS_PER_EPOCH: int | None = (
    int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
    if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ
    else None
)


def enable_flash_attention() -> None:
    """Lets attention layers use flash attention where the hardware allows.

    As in Keras, this restores the default, "automatic" state: afterwards
    `is_flash_attention_enabled()` returns `None`.
    """
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention() -> None:
    """Keeps attention layers off the flash attention kernel."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled() -> bool | None:
    """`False` after `disable_flash_attention()`, else `None` (automatic).

    Example:
        >>> is_flash_attention_enabled() is None
        True
    """
    return _FLASH_ATTENTION


def enable_traceback_filtering() -> None:
    """Turns traceback filtering on (the default; a stored flag in cornu)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering() -> None:
    """Turns traceback filtering off (a stored flag in cornu)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled() -> bool:
    """Whether traceback filtering is on (default `True`).

    cornu keeps tracebacks whole either way; the flag exists so that Keras
    code that sets or reads it runs unchanged.
    """
    return _TRACEBACK_FILTERING


def enable_unsafe_deserialization() -> None:
    """Turns safe mode off for every later load, as `safe_mode=False` would.

    Loading may then run Python bytecode stored in a file (lambdas); do it
    only for files from sources you trust.
    """
    from cornu.core import serialization

    serialization.UNSAFE_DESERIALIZATION = True


def _limit(value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"`{what}` must be a positive int or None, received: {value!r}."
        )
    return value


def set_max_epochs(max_epochs: int | None) -> None:
    """Caps the number of epochs of every `fit()` (for quick debugging runs).

    Also set by the `KERAS_MAX_EPOCHS` environment variable; `None` removes
    the cap.
    """
    global _MAX_EPOCHS
    _MAX_EPOCHS = _limit(max_epochs, "max_epochs")


def max_epochs() -> int | None:
    """The cap on `fit()` epochs, or `None` (no cap)."""
    return _MAX_EPOCHS


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Caps the steps of each epoch of `fit()`, `evaluate()` and `predict()`.

    Also set by the `KERAS_MAX_STEPS_PER_EPOCH` environment variable; `None`
    removes the cap.
    """
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = _limit(max_steps_per_epoch, "max_steps_per_epoch")


def max_steps_per_epoch() -> int | None:
    """The cap on steps per epoch, or `None` (no cap)."""
    return _MAX_STEPS_PER_EPOCH


def is_nnx_enabled() -> bool:
    """Always `False`: NNX is a feature of another engine."""
    return False


def set_backend(backend: str) -> None:
    """Accepts `"torch"`, the only engine cornu runs on.

    Raises:
        ValueError: for any other backend name.
    """
    if backend != "torch":
        raise ValueError(
            "cornu runs on PyTorch only: `set_backend` accepts 'torch', "
            f"received: {backend!r}."
        )


# Defined elsewhere, reachable here as in `keras.config`; imported on first
# use because those modules import this one.
_ELSEWHERE = {
    "enable_interactive_logging": "cornu.utils.io_utils",
    "disable_interactive_logging": "cornu.utils.io_utils",
    "is_interactive_logging_enabled": "cornu.utils.io_utils",
    "dtype_policy": "cornu.core.dtype_policy",
    "set_dtype_policy": "cornu.core.dtype_policy",
}


def __getattr__(name: str) -> Any:
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cornu.config' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ELSEWHERE))
