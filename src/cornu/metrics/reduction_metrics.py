"""Reduction metrics: `Sum`, `Mean`, and `MeanMetricWrapper` over a function."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch

from cornu.core import serialization
from cornu.metrics.metric import Metric
from cornu.metrics.metrics_utils import (
    apply_mask,
    divide_no_nan,
    get_mask,
    loss_function,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)


def _reduce_to_samplewise_values(
    values: torch.Tensor,
    sample_weight: Any,
    mask: torch.Tensor | None,
    reduce_fn: Callable[..., torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Weights `values` and reduces both to one entry per sample (Keras's rule).

    The weights are matched to the values' rank where they differ by a
    trailing 1; values with more axes than the weights are first reduced
    over the extra axes; what is left is reduced over every axis but the
    first. A scalar weight therefore scales the batch's mean as one sample.
    """
    dtype, device = values.dtype, values.device
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype, device)
        # Keras folds the values' mask into the weights only when there are
        # weights; unweighted, masked entries count (as zeros, for losses).
        sample_weight = apply_mask(sample_weight, mask, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.dim()
        if values.dim() > weight_ndim:
            values = reduce_fn(values, dim=tuple(range(weight_ndim, values.dim())))
        # Broadcasting the weights changes nothing in the product, but it does
        # change the per-sample weight reduced below (as in Keras).
        sample_weight = sample_weight.expand(values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=tuple(range(1, weight_ndim)))
    if values.dim() > 1:
        values = reduce_fn(values, dim=tuple(range(1, values.dim())))
    return values, sample_weight


class Sum(Metric):
    """Computes the (weighted) sum of the values it is given.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = Sum()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    4.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Adds the (weighted) values of one batch to the total."""
        with torch.no_grad():
            mask = get_mask(values)
            values = to_tensor(values, self.total.dtype, self.total.device)
            if sample_weight is None:
                self.total.add_(values.sum())
                return
            values, _ = _reduce_to_samplewise_values(
                values, sample_weight, mask, torch.sum
            )
            self.total.add_(values.sum())

    def result(self) -> torch.Tensor:
        """The total so far."""
        return self.total.detach().clone()


class Mean(Metric):
    """Computes the (weighted) mean of the values it is given.

    Values with more than one axis count one sample per entry of the first
    axis (each sample's value is the mean of its entries). With weights,
    the result is `sum(w * v) / sum(w)`.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = Mean()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0])
    >>> float(m.result())
    4.0
    >>> m.reset_state()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable((), "zeros", dtype=self.dtype, name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Adds one batch of (weighted) values to the running mean."""
        self._accumulate(values, sample_weight, get_mask(values))

    def _accumulate(
        self, values: Any, sample_weight: Any, mask: torch.Tensor | None
    ) -> None:
        with torch.no_grad():
            total, count = self.total, self.count
            values = to_tensor(values, device=total.device)
            fast = sample_weight is None
            # Boolean matches (the accuracy metrics) are summed as integers:
            # exact, and no cast kernel.
            if not (fast and values.dtype == torch.bool):
                values = values.to(total.dtype)
            if fast:
                # The mean over inner axes is folded into the sum's scale, so
                # one reduction and two in-place adds per batch.
                if values.dim() == 0:
                    total.add_(values)
                    count.add_(1)
                    return
                inner = values.numel() // max(values.shape[0], 1)
                total.add_(values.sum(), alpha=1.0 / max(inner, 1))
                count.add_(values.shape[0])
                return
            values, sample_weight = _reduce_to_samplewise_values(
                values, sample_weight, mask, torch.mean
            )
            total.add_(values.sum())
            if sample_weight is not None:
                count.add_(sample_weight.sum())
            else:
                count.add_(values.shape[0] if values.dim() else 1)

    def result(self) -> torch.Tensor:
        """`total / count`, or 0 before any sample was seen."""
        return divide_no_nan(self.total.detach(), self.count.detach())


def _direction_of(fn: Any) -> str | None:
    module = getattr(fn, "__module__", None) or type(fn).__module__
    return "down" if module.startswith("cornu.losses") else None


def _resolve_function(
    spec: Any, custom_objects: dict[str, Any] | None = None
) -> Callable[..., Any]:
    """Finds a metric or loss function from a name or a serialized function.

    Only registered objects and cornu's own public functions are answered:
    nothing named in a file is imported.
    """
    if callable(spec):
        return spec
    registered = None
    if isinstance(spec, dict):
        registered = spec.get("registered_name")
        spec = spec.get("config")
    if not isinstance(spec, str):
        raise ValueError(f"Cannot interpret {spec!r} as a metric function.")
    for key in (registered, spec):
        if key and key != "function":
            found = serialization.get_registered_object(key, custom_objects)
            if found is not None:
                return found
    from cornu import losses, metrics

    for namespace in (metrics, losses):
        found = getattr(namespace, spec, None)
        if inspect.isfunction(found):
            return found
    raise ValueError(
        f"Unknown metric function {spec!r}: register it with "
        "`register_keras_serializable` or pass the function itself."
    )


class MeanMetricWrapper(Mean):
    """The running mean of a function `fn(y_true, y_pred, **kwargs)`.

    `fn` returns one value per sample (or per entry, reduced per sample as in
    `Mean`); a Keras mask on `y_pred` is folded into the sample weights.

    Args:
        fn: the function to average, e.g. a loss function.
        name: the metric's name.
        dtype: the dtype of the result.
        **kwargs: keyword arguments passed on to `fn`.

    Example:
    >>> def abs_error(y_true, y_pred):
    ...     return (torch.as_tensor(y_true) - torch.as_tensor(y_pred)).abs()
    >>> m = MeanMetricWrapper(abs_error, name="abs_error")
    >>> m.update_state([0.0, 1.0], [1.0, 1.0])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype)  # type: ignore[arg-type]
        self._fn = fn
        self._fn_kwargs = kwargs
        direction = _direction_of(fn)
        if direction is not None:
            self._direction = direction

    def update_state(  # type: ignore[override]
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> None:
        """Adds `fn(y_true, y_pred)` for one batch to the running mean."""
        mask = get_mask(y_pred)
        with torch.no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
            if mask is not None:
                # The predictions' mask becomes part of the weights; a mask
                # the function put on its values is applied after (Keras).
                device, dtype = self.total.device, self.total.dtype
                if sample_weight is not None:
                    sample_weight = to_tensor(sample_weight, dtype, device)
                sample_weight = apply_mask(sample_weight, mask.to(device), dtype)
        self._accumulate(values, sample_weight, get_mask(values))

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, the serialized `fn` and its keyword arguments."""
        out = super().get_config()
        out["fn"] = serialization.serialize_keras_object(self._fn)
        out.update(serialization.serialize_keras_object(self._fn_kwargs))
        return out

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MeanMetricWrapper:
        """Rebuilds the wrapper, finding `fn` by name among known functions."""
        config = dict(config)
        if "fn" in config:
            config["fn"] = _resolve_function(config["fn"])
        return cls(**config)


class _FunctionMean(MeanMetricWrapper):
    """The base of built-in metrics that average one function.

    The keyword arguments given for `fn` are the metric's hyper-parameters:
    each is kept as an attribute of the same name, and `get_config` returns
    them, in the order given, after `name` and `dtype` (the function itself
    is implied by the class, so it is left out). `direction` is `"up"` when
    larger values are better, `"down"` when smaller ones are.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str,
        dtype: Any,
        direction: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(fn=fn, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._direction = direction

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            **{key: getattr(self, key) for key in self._fn_kwargs},
        }


class _LossMean(_FunctionMean):
    """The running mean of the `cornu.losses` function named by `_loss`."""

    _loss = ""

    def __init__(self, name: str, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(loss_function(self._loss), name, dtype, "down", **kwargs)
