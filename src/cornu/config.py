"""Global settings: default float type, fuzz factor, image layout and device."""

from __future__ import annotations

import os

import torch

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
