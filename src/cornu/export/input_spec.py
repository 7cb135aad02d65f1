"""What an export's inputs look like, and sample inputs made from that."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from cornu import config

# Size given to unknown non-batch dimensions in sample inputs.
DEFAULT_DIM = 8


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One input: its shape (None for unknown sizes), dtype and name.

    Attributes:
        shape: the shape; the first dimension is the batch.
        dtype: a dtype name (`"float32"`, `"int64"`, ...).
        name: the input's name (used for ONNX inputs).
    """

    shape: tuple[int | None, ...]
    dtype: str
    name: str


@dataclasses.dataclass(frozen=True)
class InputSignature:
    """The inputs of a model: specs, and how the model takes them.

    Attributes:
        specs: one `TensorSpec` per input tensor, in call order.
        structure: `"single"`, `"list"` or `"dict"` (then `keys` name them).
        keys: the dict keys, for `structure == "dict"`.
    """

    specs: tuple[TensorSpec, ...]
    structure: str
    keys: tuple[str, ...] = ()

    def pack(self, tensors: list[Any]) -> Any:
        """The model's call argument for flat input tensors."""
        if self.structure == "single":
            return tensors[0]
        if self.structure == "dict":
            return dict(zip(self.keys, tensors))
        return list(tensors)


def _name(raw: Any, index: int) -> str:
    text = str(raw or f"input_{index}")
    clean = "".join(c if c.isalnum() or c == "_" else "_" for c in text)
    return clean or f"input_{index}"


def _spec(x: Any, index: int) -> TensorSpec:
    if isinstance(x, (torch.Tensor, np.ndarray)):
        shape: tuple[int | None, ...] = (None, *tuple(int(d) for d in x.shape[1:]))
        return TensorSpec(shape, config.standardize_dtype(x.dtype), f"input_{index}")
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        # KerasTensor, InputSpec-like objects.
        shape = tuple(None if d is None else int(d) for d in x.shape)
        dtype = config.standardize_dtype(x.dtype or config.floatx())
        return TensorSpec(shape, dtype, _name(getattr(x, "name", None), index))
    if isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x):
        return TensorSpec(tuple(x), config.floatx(), f"input_{index}")
    raise ValueError(
        f"Cannot read an input spec from {x!r}: pass a `keras.Input`/"
        "`KerasTensor`, an `InputSpec`, a shape tuple (batch first) or a "
        "sample array."
    )


def _is_leaf(x: Any) -> bool:
    return (
        isinstance(x, (torch.Tensor, np.ndarray))
        or hasattr(x, "shape")
        or (isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x))
    )


def signature_from(structure: Any) -> InputSignature:
    """Reads an input signature: one spec, a list of them or a dict of them."""
    if isinstance(structure, dict):
        keys = tuple(structure)
        specs = tuple(_spec(structure[k], i) for i, k in enumerate(keys))
        specs = tuple(
            dataclasses.replace(s, name=_name(k, i))
            for i, (k, s) in enumerate(zip(keys, specs))
        )
        return InputSignature(specs, "dict", keys)
    if _is_leaf(structure):
        return InputSignature((_spec(structure, 0),), "single")
    items = list(structure)
    if len(items) == 1 and not isinstance(structure, list):
        return InputSignature((_spec(items[0], 0),), "single")
    return InputSignature(tuple(_spec(x, i) for i, x in enumerate(items)), "list")


def model_signature(model: Any, input_signature: Any = None) -> InputSignature:
    """The signature given, or the model's own inputs, or its build shape.

    Raises:
        ValueError: nothing tells what the model's inputs look like.
    """
    if input_signature is not None:
        return signature_from(input_signature)
    struct = model.__dict__.get("_inputs_struct")
    if struct is not None:
        return signature_from(struct)
    functional = model.__dict__.get("_functional")
    if functional is not None:
        return signature_from(functional.__dict__["_inputs_struct"])
    shapes = getattr(model, "_build_shapes", None)
    if shapes is not None:
        return signature_from(_shape_structure(shapes))
    raise ValueError(
        f'Cannot export model "{model.name}": it has no known inputs. Call it '
        "on data (or build it) first, or pass `input_signature=` (e.g. "
        "`[keras.InputSpec(shape=(None, 28, 28))]` or a sample array)."
    )


def _shape_structure(shapes: Any) -> Any:
    if isinstance(shapes, dict):
        return {k: tuple(v) for k, v in shapes.items()}
    if isinstance(shapes, (tuple, list)) and all(
        d is None or isinstance(d, int) for d in shapes
    ):
        return (None, *tuple(shapes)[1:])
    return [(None, *tuple(s)[1:]) for s in shapes]


def sample_inputs(
    signature: InputSignature, batch_size: int, seed: int = 0
) -> list[torch.Tensor]:
    """Random inputs matching `signature`, with the given batch size.

    Floats are standard normal; integers are 0 or 1 (valid indices for any
    embedding); booleans random. A private generator keeps the global RNG
    untouched.
    """
    gen = torch.Generator().manual_seed(seed)
    out = []
    for spec in signature.specs:
        shape = (batch_size, *(DEFAULT_DIM if d is None else d for d in spec.shape[1:]))
        dtype = config.torch_dtype(spec.dtype)
        if dtype.is_floating_point:
            x = torch.randn(shape, generator=gen).to(dtype)
        elif dtype is torch.bool:
            x = torch.randint(0, 2, shape, generator=gen).bool()
        else:
            x = torch.randint(0, 2, shape, generator=gen).to(dtype)
        out.append(x)
    return out


__all__ = ["TensorSpec", "InputSignature", "model_signature", "sample_inputs"]
