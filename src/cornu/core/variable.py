"""`Variable`: a `torch.nn.Parameter` with Keras's Variable methods."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.core import naming


def _initial_value(
    initializer: Any, shape: Any, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    if callable(initializer) and not isinstance(initializer, torch.Tensor):
        if shape is None:
            raise ValueError(
                "A Variable created from an initializer needs a `shape`; "
                f"received initializer={initializer!r} and shape=None."
            )
        value = initializer(tuple(shape), dtype=config.standardize_dtype(dtype))
    elif isinstance(initializer, str):
        from cornu import initializers

        if shape is None:
            raise ValueError(
                f"Variable initializer {initializer!r} needs a `shape`; "
                "received shape=None."
            )
        init = initializers.get(initializer)
        value = init(tuple(shape), dtype=config.standardize_dtype(dtype))
    else:
        # Given data is copied, never shared: updating the variable must not
        # change the caller's array or tensor (as Keras).
        value = torch.as_tensor(
            np.asarray(initializer)
            if not isinstance(initializer, torch.Tensor)
            else initializer
        )
        value = value.detach().to(device=device, dtype=dtype, copy=True)
    value = torch.as_tensor(
        np.asarray(value) if not isinstance(value, torch.Tensor) else value
    )
    value = value.detach().to(device=device, dtype=dtype)
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"Initial value of shape {tuple(value.shape)} does not match the "
            f"Variable shape {tuple(shape)}."
        )
    return value


class Variable(torch.nn.Parameter):
    """A weight: a `torch.nn.Parameter` with Keras's Variable methods.

    Args:
        initializer: an initial value (array, tensor, number) or an
            initializer (name, object or callable taking `shape, dtype`).
        shape: the shape; required when `initializer` is callable.
        dtype: the dtype; defaults to `config.floatx()`.
        trainable: whether the optimizer updates it (`requires_grad`).
        autocast: whether a layer's compute dtype may cast it when read.
        aggregation: kept for Keras compatibility (`"none"`, `"mean"`,
            `"sum"`, `"only_first_replica"`).
        name: the variable's name (e.g. `"kernel"`).

    Example:
    >>> v = Variable(np.ones((2, 2)), name="w")
    >>> _ = v.assign_add(np.ones((2, 2)))
    >>> v.numpy().tolist()
    [[2.0, 2.0], [2.0, 2.0]]
    """

    _keras_name: str
    _path: str
    _autocast: bool
    _aggregation: str
    _synchronization: str
    _created_trainable: bool
    _keep_trainable: bool
    # Set by Layer.add_weight; the optimizer applies the constraint after
    # each update, as Keras does.
    constraint: Any = None
    regularizer: Any = None
    # Set on optimizer slots: the weight the slot belongs to.
    _slot_of: Any = None

    def __new__(
        cls,
        initializer: Any = None,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        synchronization: str = "auto",
        name: str | None = None,
        device: Any = None,
    ) -> Variable:
        if dtype is None and isinstance(initializer, (torch.Tensor, np.ndarray)):
            if initializer.dtype not in (np.float64, torch.float64):
                dtype = initializer.dtype
        torch_dtype = config.torch_dtype(dtype)
        target = torch.device(device) if device is not None else config.device()
        value = _initial_value(initializer, shape, torch_dtype, target)
        grad = bool(trainable) and (
            torch_dtype.is_floating_point or torch_dtype.is_complex
        )
        obj = torch.Tensor._make_subclass(cls, value, grad)
        obj._keras_name = name or naming.uniquify("variable")
        obj._path = naming.scoped(obj._keras_name)
        obj._autocast = autocast
        obj._aggregation = aggregation
        obj._synchronization = synchronization
        obj._created_trainable = bool(trainable)
        obj._keep_trainable = bool(trainable)
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # everything happens in __new__, as for torch.nn.Parameter

    # -- Keras's Variable surface ------------------------------------------
    @property
    def name(self) -> str:
        return self._keras_name

    @property
    def path(self) -> str:
        return self._path

    @property
    def trainable(self) -> bool:
        if self.dtype.is_floating_point or self.dtype.is_complex:
            return self.requires_grad
        return self._keep_trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._keep_trainable = bool(value)
        if self.dtype.is_floating_point or self.dtype.is_complex:
            self.requires_grad_(bool(value))

    @property
    def value(self) -> torch.Tensor:
        return self

    @property
    def autocast(self) -> bool:
        return self._autocast

    @property
    def aggregation(self) -> str:
        return self._aggregation

    @property
    def synchronization(self) -> str:
        return self._synchronization

    @property
    def ndim(self) -> int:  # type: ignore[override]
        return self.dim()

    def assign(self, value: Any) -> Variable:
        """Overwrites the value in place; shapes must match."""
        value = torch.as_tensor(
            value if isinstance(value, torch.Tensor) else np.asarray(value)
        )
        if tuple(value.shape) != tuple(self.shape):
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to "
                f"variable {self.path!r} of shape {tuple(self.shape)}."
            )
        with torch.no_grad():
            self.copy_(value)
        return self

    def assign_add(self, value: Any) -> Variable:
        with torch.no_grad():
            self.add_(torch.as_tensor(value, device=self.device, dtype=self.dtype))
        return self

    def assign_sub(self, value: Any) -> Variable:
        with torch.no_grad():
            self.sub_(torch.as_tensor(value, device=self.device, dtype=self.dtype))
        return self

    def numpy(self, *, force: bool = False) -> np.ndarray:  # type: ignore[override]
        return self.detach().cpu().numpy(force=force)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.numpy()
        return out.astype(dtype) if dtype is not None else out

    def __deepcopy__(self, memo: dict) -> Variable:
        if id(self) in memo:
            return memo[id(self)]
        out = Variable(
            self.detach().clone(),
            dtype=self.dtype,
            trainable=self.trainable,
            autocast=self._autocast,
            aggregation=self._aggregation,
            name=self._keras_name,
            device=self.device,
        )
        out._path = self._path
        memo[id(self)] = out
        return out

    def __repr__(self, *, tensor_contents: Any = None) -> Any:  # type: ignore[override]
        return (
            f"<Variable path={self.path}, shape={tuple(self.shape)}, "
            f"dtype={config.standardize_dtype(self.dtype)}, "
            f"value={self.detach().cpu().numpy()!r}>"
        )

    __hash__ = torch.nn.Parameter.__hash__


def store_in_order(variable: torch.Tensor, physical_order: tuple[int, ...]) -> None:
    """Re-lays out `variable`'s memory with its dims in `physical_order`.

    The shape and the values stay as they are (Keras's layout, e.g. a Dense
    kernel's `(input_dim, units)`); only the strides change, so that torch's
    kernels see the layout they are fastest on (`torch.nn.Linear`'s
    `(units, input_dim)` memory). Autograd gives gradients the same strides.
    """
    value = torch.empty_permuted(
        variable.shape, physical_order, dtype=variable.dtype, device=variable.device
    )
    with torch.no_grad():
        value.copy_(variable)
    variable.data = value


def match_layout(variable: torch.Tensor, reference: torch.Tensor) -> None:
    """Gives `variable` (an optimizer slot) the memory layout of `reference`."""
    if variable.stride() == reference.stride():
        return
    value = torch.empty_like(reference, dtype=variable.dtype)
    with torch.no_grad():
        value.copy_(variable)
    variable.data = value
