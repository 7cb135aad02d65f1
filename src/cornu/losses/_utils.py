"""Input handling shared by the loss functions."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from cornu import config
from cornu.ops.core import convert_to_tensor

Tensor = torch.Tensor


def as_float(x: Any) -> Tensor:
    """`x` as a floating tensor (integers and booleans take `floatx()`)."""
    if not isinstance(x, Tensor):
        x = convert_to_tensor(x)
    if not x.is_floating_point():
        x = x.to(config.torch_dtype(config.floatx()))
    return x


def as_tensor(x: Any, like: Tensor) -> Tensor:
    """`x` as a tensor on `like`'s device, keeping its own dtype."""
    if not isinstance(x, Tensor):
        x = convert_to_tensor(x)
    if x.device != like.device:
        x = x.to(like.device)
    return x


def float_pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    """`y_pred` as a float tensor and `y_true` cast to its dtype and device."""
    y_pred = as_float(y_pred)
    if not isinstance(y_true, Tensor):
        y_true = convert_to_tensor(y_true)
    if y_true.dtype != y_pred.dtype or y_true.device != y_pred.device:
        y_true = y_true.to(device=y_pred.device, dtype=y_pred.dtype)
    return y_true, y_pred


def check_int_axis(axis: Any) -> None:
    # `True` is an int in Python; Keras refuses it rather than reading axis 1.
    if isinstance(axis, bool):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )


def check_same_shape(target: Tensor, output: Tensor) -> None:
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={tuple(target.shape)}, "
            f"output.shape={tuple(output.shape)}"
        )


def check_num_classes(y_pred: Tensor, fn_name: str) -> None:
    if y_pred.ndim and y_pred.shape[-1] == 1:
        # Keras warns with this category; keep it so filters written for Keras
        # apply unchanged.
        warnings.warn(
            f"In loss {fn_name}, expected y_pred.shape to be "
            "(batch_size, num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={tuple(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )
