"""Checks shared by the quantization tests: values as numpy, a layer's
weight table in Keras's terms, and configs compared as JSON."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch


def as_numpy(value: Any) -> np.ndarray:
    """A cornu or Keras variable or tensor (or array) as a numpy array."""
    value = getattr(value, "value", value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def weight_table(layer: Any, keras_layer: bool) -> list[tuple[str, str, tuple]]:
    """`(name, dtype, shape)` of each weight, in order (Keras: by path)."""
    if keras_layer:
        return [
            (w.path.split("/")[-1], str(w.dtype), tuple(w.shape)) for w in layer.weights
        ]
    return [
        (w.name, str(w.dtype).replace("torch.", ""), tuple(w.shape))
        for w in layer.weights
    ]


def same_config(ours: Any, ref: Any) -> bool:
    """Equal once written as JSON (tuples and lists alike)."""
    return json.loads(json.dumps(ours)) == json.loads(json.dumps(ref))
