"""`InputSpec`: what a layer accepts (rank, fixed axes), and its checks."""

from __future__ import annotations

from typing import Any


class InputSpec:
    """Describes the rank, dtype and fixed dimensions a layer accepts.

    Args:
        dtype: the expected dtype, or `None`.
        shape: the full expected shape (`None` for free dimensions).
        ndim: the exact rank.
        max_ndim: the largest rank.
        min_ndim: the smallest rank.
        axes: `{axis: size}` for dimensions that must have a given size.
        allow_last_axis_squeeze: accept a trailing size-1 axis difference.
        name: the name of the input, for messages.
    """

    def __init__(
        self,
        dtype: Any = None,
        shape: tuple[int | None, ...] | None = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
        allow_last_axis_squeeze: bool = False,
        name: str | None = None,
        optional: bool = False,
    ) -> None:
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): int(v) for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self) -> str:
        parts = [
            f"{k}={v}"
            for k, v in (
                ("dtype", self.dtype),
                ("shape", self.shape),
                ("ndim", self.ndim),
                ("max_ndim", self.max_ndim),
                ("min_ndim", self.min_ndim),
                ("axes", self.axes or None),
            )
            if v is not None
        ]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputSpec:
        return cls(**config)


def check_input(layer: Any, specs: Any, inputs: Any) -> None:
    """Raises a ValueError naming the layer and shapes when `inputs` break `specs`."""
    from cornu import tree

    if specs is None:
        return
    spec_list = specs if isinstance(specs, (list, tuple)) else [specs]
    flat = tree.flatten(inputs)
    if len(spec_list) > 1 and len(flat) != len(spec_list):
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}) expects '
            f"{len(spec_list)} input(s), but it received {len(flat)} input tensors."
        )
    where = f'Layer "{layer.name}" ({type(layer).__name__})'
    for i, (spec, x) in enumerate(zip(spec_list, flat)):
        if spec is None or x is None or not hasattr(x, "shape"):
            continue
        shape = tuple(x.shape)
        arg = f"input {i}" if len(spec_list) > 1 else "inputs"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze:
            if len(shape) != spec.ndim:
                raise ValueError(
                    f"{where} expects {arg} with ndim={spec.ndim}, "
                    f"received ndim={len(shape)} (shape {shape})."
                )
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(
                f"{where} expects {arg} with at most ndim={spec.max_ndim}, "
                f"received ndim={len(shape)} (shape {shape})."
            )
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(
                f"{where} expects {arg} with at least ndim={spec.min_ndim}, "
                f"received ndim={len(shape)} (shape {shape})."
            )
        for axis, size in spec.axes.items():
            if -len(shape) <= axis < len(shape):
                got = shape[axis]
                if got is not None and size is not None and got != size:
                    dim = "last dimension" if axis == -1 else f"dimension {axis}"
                    raise ValueError(
                        f"{where} expects {arg} with {dim} {size}, "
                        f"received shape {shape}."
                    )
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(
                        f"{where} expects {arg} of shape {spec.shape}, "
                        f"received shape {shape}."
                    )
