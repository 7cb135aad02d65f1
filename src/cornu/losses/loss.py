"""The `Loss` base class, `LossFunctionWrapper`, and Keras's reduction rules.

A loss turns `(y_true, y_pred)` into per-sample values (`call`), then weighs
them by `sample_weight` and any mask and reduces them (`reduce_weighted_values`).
`Loss.__call__` runs once per training step, so it does no conversion when it
is given torch tensors of the right dtype, never reads a value back to the
host, and lets the common built-in losses answer with one fused torch kernel
when there is nothing to weigh.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from cornu import config, tree
from cornu.core import dtype_policy, naming
from cornu.ops.core import convert_to_tensor

Tensor = torch.Tensor

_REDUCTIONS = (
    "sum_over_batch_size",
    "sum",
    "mean",
    "mean_with_sample_weight",
    "none",
    None,
)
# Reductions that divide the summed loss by the number of loss values when no
# sample weight is given: a fused kernel's "mean" computes exactly that.
_MEAN_REDUCTIONS = frozenset({"sum_over_batch_size", "mean", "mean_with_sample_weight"})


def standardize_reduction(reduction: str | None) -> str | None:
    """Checks that `reduction` is one Keras accepts, and returns it."""
    if reduction not in _REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{list(_REDUCTIONS)}. Received: reduction={reduction!r}"
        )
    return reduction


class Loss:
    """Base class of losses: subclass it and implement `call`.

    Args:
        name: Name of the instance. Defaults to the snake-cased class name,
            made unique (`"loss"`, `"loss_1"`, ...).
        reduction: How per-sample losses become the returned value:
            `"sum_over_batch_size"` (default) and `"mean"` divide their
            (weighted) sum by their number, `"sum"` sums them,
            `"mean_with_sample_weight"` divides the sum by the sum of the
            sample weights, and `None` or `"none"` returns them unreduced.
        dtype: Dtype of the computation (a name or a `DTypePolicy`, whose
            compute dtype is used). Defaults to `keras.config.floatx()`.

    Call arguments:
        y_true: Targets, shape `(batch_size, d0, ... dN)`.
        y_pred: Predictions, shape `(batch_size, d0, ... dN)`. A boolean
            `_keras_mask` attribute on it masks out entries, as in Keras.
        sample_weight: Optional weights, broadcast against the per-sample
            losses (a scalar, shape `(batch_size,)`, or the losses' shape).

    Returns:
        The reduced loss: a scalar tensor, or the weighted per-sample losses
        when `reduction` is `None` or `"none"`.

    Example:
    >>> import torch
    >>> class MeanSquared(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ((y_pred - y_true) ** 2).mean(dim=-1)
    >>> loss = MeanSquared()
    >>> float(loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]])))
    0.5
    """

    # Losses over integer labels (sparse cross-entropy, CTC...) set this so
    # that labels keep their integer dtype instead of a round trip via float.
    _integer_labels = False

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        self.name = name or naming.auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype_policy = dtype_policy.get(dtype or config.floatx())
        self._dtype = self._dtype_policy.compute_dtype
        self._torch_dtype = config.torch_dtype(self._dtype)

    @property
    def dtype(self) -> str:
        """The dtype the loss computes in (`"float32"` by default)."""
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        in_mask = getattr(y_pred, "_keras_mask", None)
        dtype = self._torch_dtype
        if isinstance(y_pred, Tensor):
            if y_pred.dtype != dtype:
                y_pred = y_pred.to(dtype)
        else:
            y_pred = _convert(y_pred, dtype)
        if isinstance(y_true, Tensor):
            if y_true.dtype != dtype and not self._integer_labels:
                y_true = y_true.to(dtype)
        else:
            y_true = _convert(y_true, None if self._integer_labels else dtype)

        if (
            sample_weight is None
            and in_mask is None
            and (self.reduction in _MEAN_REDUCTIONS or self.reduction == "sum")
            and isinstance(y_pred, Tensor)
            and isinstance(y_true, Tensor)
        ):
            fused = self._fused(y_true, y_pred)
            if fused is not None:
                return fused

        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)
        if in_mask is None:
            mask = out_mask
        elif out_mask is None:
            mask = in_mask
        else:
            mask = in_mask & out_mask
        return reduce_weighted_values(
            losses, sample_weight, mask, self.reduction, dtype
        )

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        """Returns the per-sample losses. Subclasses implement it."""
        raise NotImplementedError(
            f"Loss {type(self).__name__!r} must implement `call(y_true, y_pred)`."
        )

    def _fused(self, y_true: Tensor, y_pred: Tensor) -> Tensor | None:
        """The reduced loss in one fused kernel, or None to take the general path.

        Only called without sample weights or masks, for the `"sum"` and
        mean-like reductions (`self.reduction`).
        """
        return None

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def _obj_type(self) -> str:
        return "Loss"


def _is_structure(x: Any) -> bool:
    # Lists of numbers are array-likes; lists holding arrays or tensors (and
    # dicts) are structures of several targets, mapped leaf by leaf as Keras
    # does.
    if isinstance(x, Mapping):
        return True
    return isinstance(x, (list, tuple)) and any(
        isinstance(v, (Tensor, np.ndarray, Mapping)) for v in x
    )


def _convert(x: Any, dtype: torch.dtype | None) -> Any:
    if _is_structure(x):
        return tree.map_structure(lambda v: convert_to_tensor(v, dtype), x)
    return convert_to_tensor(x, dtype)


class LossFunctionWrapper(Loss):
    """A `Loss` that calls a per-sample loss function `fn(y_true, y_pred, **kwargs)`.

    Args:
        fn: The loss function; it returns one loss value per sample.
        reduction: See `Loss`.
        name: See `Loss`.
        dtype: See `Loss`.
        **kwargs: Keyword arguments passed to `fn` on every call.

    Returns:
        A `Loss` instance.

    Example:
    >>> import torch
    >>> from cornu.losses import huber
    >>> loss = LossFunctionWrapper(huber, delta=0.5)
    >>> float(loss(torch.tensor([[0.0]]), torch.tensor([[2.0]])))
    0.875
    """

    # Keras keeps this class out of its public namespace; name its real home
    # so that Keras can load what cornu writes.
    _keras_module = "keras.src.losses.losses"

    def __init__(
        self,
        fn: Callable[..., Any],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        if not (_is_structure(y_true) or _is_structure(y_pred)):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        else:
            pairs = tree.map_structure(squeeze_or_expand_to_same_rank, y_true, y_pred)
            y_true = tree.map_structure(lambda p: p[0], pairs)
            y_pred = tree.map_structure(lambda p: p[1], pairs)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        from cornu.losses import serialize

        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update({k: _plain(v) for k, v in self._fn_kwargs.items()})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        if "fn" in config:
            from cornu.core.serialization import deserialize_keras_object
            from cornu.losses import deserialize

            config = {
                k: deserialize_keras_object(v)
                if k != "fn" and isinstance(v, dict) and "class_name" in v
                else v
                for k, v in config.items()
            }
            fn = config["fn"]
            config["fn"] = fn if callable(fn) else deserialize(fn)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """The base of the built-in loss classes, each over one loss function.

    The keyword arguments given for the function are the class's
    hyper-parameters: each is kept as an attribute of the same name, and
    `get_config` returns them, in the order given, after the `Loss` keys
    (the function itself is implied by the class, so it is left out).
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self) -> dict[str, Any]:
        return {
            **Loss.get_config(self),
            **{key: getattr(self, key) for key in self._fn_kwargs},
        }


def _plain(value: Any) -> Any:
    """A JSON-ready config value: tuples as lists (as Keras writes them),
    objects in Keras's serialization schema."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    from cornu.core.serialization import serialize_keras_object

    return serialize_keras_object(value)


def squeeze_or_expand_to_same_rank(
    x1: Tensor, x2: Tensor, expand_rank_1: bool = True
) -> tuple[Tensor, Tensor]:
    """Aligns ranks that differ by one through a trailing axis of size 1.

    The higher-rank tensor loses its trailing 1, except that a rank-1 partner
    gains one instead when `expand_rank_1` (so `(B,)` meets `(B, 1)` as
    `(B, 1)`), as Keras does.
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _divide_no_nan(x: Tensor | float, y: Tensor) -> Tensor:
    # Dividing by a safe denominator keeps the gradient finite where y == 0.
    zero = y == 0
    return torch.where(zero, 0.0, x / torch.where(zero, 1.0, y))


def _like(x: Any, ref: Tensor) -> Tensor:
    """`x` as a tensor with `ref`'s dtype and device."""
    if not isinstance(x, Tensor):
        x = convert_to_tensor(x)
    if x.dtype != ref.dtype or x.device != ref.device:
        x = x.to(device=ref.device, dtype=ref.dtype)
    return x


def apply_mask(
    sample_weight: Tensor | None,
    mask: Any,
    dtype: torch.dtype,
    reduction: str | None,
) -> Tensor | None:
    """Folds a mask into the sample weights, as Keras does.

    For the mean reductions the valid entries weigh `total / valid`, so that
    dividing the sum by the number of entries yields the mean over valid
    entries only (0 when none is valid).
    """
    if mask is None:
        return sample_weight
    if not isinstance(mask, Tensor):
        mask = convert_to_tensor(mask)
    float_mask = mask.to(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = float_mask.sum()
        weight = _divide_no_nan(float(mask.numel()), valid)
        float_mask = torch.where(float_mask != 0, weight, 0.0)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(
        float_mask, sample_weight.to(dtype)
    )
    return sample_weight * float_mask


def reduce_values(
    values: Tensor,
    sample_weight: Tensor | None = None,
    reduction: str | None = "sum_over_batch_size",
) -> Tensor:
    """Reduces (already weighted) loss values; see `Loss` for the reductions."""
    if reduction is None or reduction == "none" or values.ndim == 0:
        return values
    if values.shape == (0,):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(values.sum(), sample_weight.sum().to(values.dtype))
    if values.numel() == 0:
        return values.sum()
    return values.mean()


def reduce_weighted_values(
    values: Tensor,
    sample_weight: Any = None,
    mask: Any = None,
    reduction: str | None = "sum_over_batch_size",
    dtype: Any = None,
) -> Tensor:
    """Weighs per-sample loss values by `sample_weight` and `mask`, then reduces.

    Args:
        values: Per-sample losses.
        sample_weight: Optional weights, broadcast against `values` after
            aligning a trailing axis of size 1 (`squeeze_or_expand_to_same_rank`).
        mask: Optional boolean mask of `values`' entries.
        reduction: One of Keras's reductions (see `Loss`).
        dtype: Dtype of the computation; defaults to `values`' own.

    Returns:
        The reduced loss (or the weighted values for `reduction=None`).

    Example:
    >>> import torch
    >>> v = torch.tensor([1.0, 2.0, 3.0])
    >>> float(reduce_weighted_values(v, sample_weight=torch.tensor([1.0, 0.0, 1.0])))
    1.3333333730697632
    """
    standardize_reduction(reduction)
    if not isinstance(values, Tensor):
        values = convert_to_tensor(values)
    if dtype is not None:
        dtype = config.torch_dtype(dtype)
        if values.dtype != dtype:
            values = values.to(dtype)
    if sample_weight is not None:
        sample_weight = _like(sample_weight, values)
    if mask is not None:
        if isinstance(mask, Tensor) and mask.device != values.device:
            mask = mask.to(values.device)
        sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)
