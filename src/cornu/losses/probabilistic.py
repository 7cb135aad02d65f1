"""Probabilistic losses: cross-entropies (binary, categorical, sparse, focal,
generalized), Kullback-Leibler divergence and Poisson.

Probabilities are clipped to `[epsilon, 1 - epsilon]` before their logarithm;
logits go through torch's fused log-softmax / log-sigmoid kernels
(`F.cross_entropy`, `F.binary_cross_entropy_with_logits`), as Keras's torch
backend does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from cornu import config
from cornu.losses._utils import (
    as_float,
    as_tensor,
    check_int_axis,
    check_num_classes,
    check_same_shape,
    float_pair,
)
from cornu.losses.loss import _BuiltinLoss, squeeze_or_expand_to_same_rank

Tensor = torch.Tensor


# --- kernels ------------------------------------------------------------------


def _bce(
    target: Tensor, output: Tensor, from_logits: bool, reduction: str = "none"
) -> Tensor:
    """Element-wise binary cross-entropy (`reduction` "none" or "mean")."""
    check_same_shape(target, output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction=reduction)
    eps = config.epsilon()
    output = output.clamp(eps, 1.0 - eps)
    if torch.is_autocast_enabled(output.device.type):
        # torch refuses F.binary_cross_entropy under autocast; the explicit
        # formula is equal once the output is clipped.
        bce = -(target * output.log() + (1.0 - target) * (1.0 - output).log())
        return bce.mean() if reduction == "mean" else bce
    return F.binary_cross_entropy(output, target, reduction=reduction)


def _normalized_log(output: Tensor, dim: int) -> Tensor:
    """Log of probabilities renormalized to sum to 1 along `dim`, then clipped."""
    eps = config.epsilon()
    output = output / output.sum(dim=dim, keepdim=True)
    return output.clamp(eps, 1.0 - eps).log()


def _smooth_binary(y_true: Tensor, label_smoothing: float) -> Tensor:
    # Squeezes the labels towards 0.5.
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _smooth_categorical(y_true: Tensor, label_smoothing: float) -> Tensor:
    # Keras spreads the smoothing over the last axis, whatever `axis` is.
    return y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]


def _sparse_inputs(
    y_true: Any, y_pred: Tensor, axis: int
) -> tuple[Tensor, Tensor, bool]:
    """Labels as int64 and predictions with the class axis at dim 1.

    Returns `(target, output, unbatched)`; `unbatched` says a batch axis was
    added to rank-1 predictions and must be removed from the result.
    """
    y_true = as_tensor(y_true, y_pred)
    if y_pred.ndim < 1:
        raise ValueError(
            "Argument `output` must be at least rank 1. "
            f"Received: output.shape={tuple(y_pred.shape)}"
        )
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = y_true.squeeze(axis)
    expected = list(y_pred.shape)
    del expected[axis]
    if list(y_true.shape) != expected:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until "
            f"the last dimension: target.shape={tuple(y_true.shape)}, "
            f"output.shape={tuple(y_pred.shape)}"
        )
    if y_true.dtype != torch.int64:
        y_true = y_true.long()
    if y_pred.ndim == 1:
        return y_true.unsqueeze(0), y_pred.unsqueeze(0), True
    class_dim = axis % y_pred.ndim
    if class_dim != 1:
        y_pred = y_pred.movedim(class_dim, 1)
    return y_true, y_pred, False


def _sparse_ce(
    target: Tensor,
    output: Tensor,
    from_logits: bool,
    ignore_class: int | None,
    reduction: str,
) -> Tensor:
    ignore_index = -100 if ignore_class is None else int(ignore_class)
    if from_logits:
        return F.cross_entropy(
            output, target, ignore_index=ignore_index, reduction=reduction
        )
    log_prob = _normalized_log(output, dim=1)
    return F.nll_loss(log_prob, target, ignore_index=ignore_index, reduction=reduction)


# --- functions ----------------------------------------------------------------


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """Kullback-Leibler divergence: `sum(y_true * log(y_true / y_pred), -1)`.

    Both arguments are clipped to `[epsilon, 1]` first.

    Args:
        y_true: Target distributions, shape `(batch_size, d0, ... dN)`.
        y_pred: Predicted distributions, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> out = kl_divergence(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.25, 0.75]]))
    >>> round(float(out[0]), 4)
    0.1438
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    eps = config.epsilon()
    y_true = y_true.clamp(eps, 1.0)
    y_pred = y_pred.clamp(eps, 1.0)
    return (y_true * (y_true / y_pred).log()).sum(dim=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """Poisson loss: `mean(y_pred - y_true * log(y_pred + epsilon), -1)`.

    Args:
        y_true: Targets (counts), shape `(batch_size, d0, ... dN)`.
        y_pred: Predicted rates, same shape.

    Returns:
        Losses of shape `(batch_size, d0, ... dN-1)`.

    Example:
    >>> import torch
    >>> out = poisson(torch.tensor([[1.0]]), torch.tensor([[1.0]]))
    >>> round(float(out[0]), 4)
    1.0
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    return (y_pred - y_true * (y_pred + config.epsilon()).log()).mean(dim=-1)


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary cross-entropy, averaged over `axis`.

    Args:
        y_true: Labels in `[0, 1]`, shape `(batch_size, d0, ... dN)`.
        y_pred: Probabilities, or logits if `from_logits`; same shape.
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        label_smoothing: In `[0, 1]`; squeezes labels towards 0.5:
            `y_true * (1 - label_smoothing) + 0.5 * label_smoothing`.
        axis: The axis the mean is taken over. Defaults to `-1`.

    Returns:
        Losses with `axis` reduced.

    Example:
    >>> import torch
    >>> out = binary_crossentropy(
    ...     torch.tensor([[0.0, 1.0]]), torch.tensor([[0.2, 0.8]]))
    >>> round(float(out[0]), 4)
    0.2231
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    if label_smoothing:
        y_true = _smooth_binary(y_true, label_smoothing)
    return _bce(y_true, y_pred, from_logits).mean(dim=axis)


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary focal cross-entropy (Lin et al., 2018), averaged over `axis`.

    Each element's cross-entropy is scaled by `(1 - p_t) ** gamma`, where
    `p_t` is the probability given to the true class, so that confident
    correct predictions weigh less.

    Args:
        y_true: Labels in `[0, 1]`, shape `(batch_size, d0, ... dN)`.
        y_pred: Probabilities, or logits if `from_logits`; same shape.
        apply_class_balancing: Whether to weigh class 1 by `alpha` and class 0
            by `1 - alpha`.
        alpha: Weight of class 1 under class balancing. Defaults to `0.25`.
        gamma: Focusing parameter; `0` gives binary cross-entropy.
            Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        label_smoothing: In `[0, 1]`; squeezes labels towards 0.5.
        axis: The axis the mean is taken over. Defaults to `-1`.

    Returns:
        Losses with `axis` reduced.

    Example:
    >>> import torch
    >>> out = binary_focal_crossentropy(
    ...     torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]), gamma=0.0)
    >>> round(float(out[0]), 4)
    0.6931
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    if label_smoothing:
        y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _bce(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return focal.mean(dim=axis)


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Categorical cross-entropy between one-hot labels and predictions.

    Probabilities are renormalized to sum to 1 along `axis` and clipped to
    `[epsilon, 1 - epsilon]`; logits go through log-softmax.

    Args:
        y_true: One-hot (or soft) labels, shape `(batch_size, ..., num_classes)`.
        y_pred: Probabilities, or logits if `from_logits`; same shape.
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        label_smoothing: In `[0, 1]`; with `0.1`, targets become
            `0.1 / num_classes` and `0.9 + 0.1 / num_classes`.
        axis: The class axis. Defaults to `-1`.

    Returns:
        Losses with `axis` reduced.

    Example:
    >>> import torch
    >>> out = categorical_crossentropy(
    ...     torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    ...     torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
    >>> [round(v, 4) for v in out.tolist()]
    [0.0513, 2.3026]
    """
    check_int_axis(axis)
    y_true, y_pred = float_pair(y_true, y_pred)
    check_num_classes(y_pred, "categorical_crossentropy")
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    check_same_shape(y_true, y_pred)
    if y_pred.ndim < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. "
            f"Received: target.shape={tuple(y_true.shape)}, "
            f"output.shape={tuple(y_pred.shape)}"
        )
    if not from_logits:
        return -(y_true * _normalized_log(y_pred, dim=axis)).sum(dim=axis)
    if y_pred.ndim == 1:
        return -(y_true * F.log_softmax(y_pred, dim=0)).sum()
    # One fused kernel: torch takes class probabilities as targets on dim 1.
    return F.cross_entropy(
        y_pred.movedim(axis, 1), y_true.movedim(axis, 1), reduction="none"
    )


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float | Sequence[float] = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Categorical focal cross-entropy (Lin et al., 2018).

    `sum(alpha * (1 - p) ** gamma * -y_true * log(p), axis)`, with `p` the
    renormalized, clipped probabilities.

    Args:
        y_true: One-hot labels, shape `(batch_size, ..., num_classes)`.
        y_pred: Probabilities, or logits if `from_logits`; same shape.
        alpha: Class weight: a float, or one float per class.
            Defaults to `0.25`.
        gamma: Focusing parameter; `0` gives (scaled) cross-entropy.
            Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        label_smoothing: In `[0, 1]`, as for `categorical_crossentropy`.
        axis: The class axis. Defaults to `-1`.

    Returns:
        Losses with `axis` reduced.

    Example:
    >>> import torch
    >>> out = categorical_focal_crossentropy(
    ...     torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]), gamma=0.0,
    ...     alpha=1.0)
    >>> round(float(out[0]), 4)
    0.6931
    """
    check_int_axis(axis)
    y_true, y_pred = float_pair(y_true, y_pred)
    check_num_classes(y_pred, "categorical_focal_crossentropy")
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    eps = config.epsilon()
    output = (y_pred / y_pred.sum(dim=axis, keepdim=True)).clamp(eps, 1.0 - eps)
    cce = -y_true * output.log()
    weight = torch.pow(1.0 - output, gamma)
    if isinstance(alpha, (int, float)):
        weight = weight * alpha
    else:  # one weight per class
        weight = weight * torch.as_tensor(
            alpha, dtype=output.dtype, device=output.device
        )
    return (weight * cce).sum(dim=axis)


def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> Tensor:
    """Cross-entropy between integer labels and predictions.

    Args:
        y_true: Integer labels, shape `(batch_size, d0, ... dN-1)` or with a
            trailing axis of size 1.
        y_pred: Probabilities, or logits if `from_logits`; shape
            `(batch_size, d0, ... dN-1, num_classes)`.
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        ignore_class: A label to ignore (e.g. `-1` or a "void" class): its
            entries get loss 0 and are masked out of the reduction.
        axis: The class axis. Defaults to `-1`.

    Returns:
        Losses with the class axis reduced (masked by `_keras_mask` when
        `ignore_class` is set).

    Example:
    >>> import torch
    >>> out = sparse_categorical_crossentropy(
    ...     torch.tensor([1, 2]), torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
    >>> [round(v, 4) for v in out.tolist()]
    [0.0513, 2.3026]
    """
    y_pred = as_float(y_pred)
    target, output, unbatched = _sparse_inputs(y_true, y_pred, axis)
    result = _sparse_ce(target, output, from_logits, ignore_class, "none")
    if unbatched:
        result = result.squeeze(0)
        target = target.squeeze(0)
    if ignore_class is not None:
        result._keras_mask = target != ignore_class  # type: ignore[attr-defined]
    return result


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Tensor:
    """Generalized cross-entropy (Zhang & Sabuncu, 2018): `(1 - p**q) / q`.

    `p` is the probability predicted for the true class. `q` near 0 behaves
    like cross-entropy, `q` near 1 like mean absolute error, more robust to
    noisy labels.

    Args:
        y_true: Integer labels, shape `(batch_size,)` or `(batch_size, 1)`.
        y_pred: Probabilities, shape `(batch_size, num_classes)`.
        q: Noise parameter in `(0, 1)`.

    Returns:
        Losses of shape `(batch_size,)`.

    Example:
    >>> import torch
    >>> out = categorical_generalized_cross_entropy(
    ...     torch.tensor([0, 1]), torch.tensor([[0.25, 0.75], [0.75, 0.25]]), q=0.5)
    >>> out
    tensor([1., 1.])
    """
    y_pred = as_float(y_pred)
    labels = as_tensor(y_true, y_pred)
    if labels.ndim == y_pred.ndim and labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    labels = labels.long()
    classes = torch.arange(y_pred.shape[-1], device=y_pred.device)
    # Comparing with every class index gives Keras's one-hot, where labels out
    # of range select nothing (p = 0).
    p = (y_pred * (labels.unsqueeze(-1) == classes)).sum(dim=-1)
    return (1.0 - torch.pow(p, q)) / q


# --- classes ------------------------------------------------------------------


def _fusable_axis(axis: int, ndim: int) -> bool:
    return axis == -1 or axis == ndim - 1


class KLDivergence(_BuiltinLoss):
    """Kullback-Leibler divergence: `y_true * log(y_true / y_pred)`.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"kl_divergence"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = KLDivergence()
    >>> float(loss(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.5, 0.5]])))
    0.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "kl_divergence",
        dtype: Any = None,
    ) -> None:
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(_BuiltinLoss):
    """Poisson loss: `y_pred - y_true * log(y_pred)`.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"poisson"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = Poisson()
    >>> round(float(loss(torch.tensor([[1.0]]), torch.tensor([[1.0]]))), 4)
    1.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "poisson",
        dtype: Any = None,
    ) -> None:
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(_BuiltinLoss):
    """Binary cross-entropy between labels in `[0, 1]` and predictions.

    Args:
        from_logits: Whether `y_pred` holds logits rather than probabilities.
            Defaults to `False`.
        label_smoothing: In `[0, 1]`; squeezes labels towards 0.5.
        axis: The axis the mean is taken over. Defaults to `-1`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"binary_crossentropy"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> y_true = torch.tensor([0.0, 1.0, 0.0, 0.0])
    >>> y_pred = torch.tensor([-18.6, 0.51, 2.94, -12.8])
    >>> round(float(loss(y_true, y_pred)), 3)
    0.865
    """

    from_logits: bool
    label_smoothing: float
    axis: int

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )

    def _fused(self, y_true: Tensor, y_pred: Tensor) -> Tensor | None:
        if self.reduction == "sum":
            return None
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if (
            y_true.shape != y_pred.shape
            or y_pred.ndim == 0
            or y_pred.numel() == 0
            or not _fusable_axis(self.axis, y_pred.ndim)
        ):
            return None
        if self.label_smoothing:
            y_true = _smooth_binary(y_true, self.label_smoothing)
        return _bce(y_true, y_pred, self.from_logits, reduction="mean")


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Binary focal cross-entropy: down-weights well-classified examples.

    Args:
        apply_class_balancing: Whether to weigh class 1 by `alpha` and class 0
            by `1 - alpha`. Defaults to `False`.
        alpha: Weight of class 1 under class balancing. Defaults to `0.25`.
        gamma: Focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        label_smoothing: In `[0, 1]`; squeezes labels towards 0.5.
        axis: The axis the mean is taken over. Defaults to `-1`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"binary_focal_crossentropy"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = BinaryFocalCrossentropy(gamma=2.0, from_logits=True)
    >>> y_true = torch.tensor([0.0, 1.0, 0.0, 0.0])
    >>> y_pred = torch.tensor([-18.6, 0.51, 2.94, -12.8])
    >>> round(float(loss(y_true, y_pred)), 3)
    0.691
    """

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
        )


class CategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy between one-hot labels and predictions.

    Args:
        from_logits: Whether `y_pred` holds logits rather than probabilities.
            Defaults to `False`.
        label_smoothing: In `[0, 1]`; with `0.1`, targets become
            `0.1 / num_classes` and `0.9 + 0.1 / num_classes`.
        axis: The class axis. Defaults to `-1`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"categorical_crossentropy"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = CategoricalCrossentropy()
    >>> y_true = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> y_pred = torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(float(loss(y_true, y_pred)), 4)
    1.1769
    """

    from_logits: bool
    label_smoothing: float
    axis: int

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )

    def _fused(self, y_true: Tensor, y_pred: Tensor) -> Tensor | None:
        if not self.from_logits or isinstance(self.axis, bool):
            return None
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if (
            y_true.shape != y_pred.shape
            or y_pred.ndim < 2
            or y_pred.shape[-1] == 1  # the function warns about it
            or y_pred.numel() == 0
            or not _fusable_axis(self.axis, y_pred.ndim)
        ):
            return None
        # torch smooths probability targets over the class dim exactly as
        # Keras does over the last axis.
        return F.cross_entropy(
            y_pred.movedim(-1, 1),
            y_true.movedim(-1, 1),
            label_smoothing=float(self.label_smoothing),
            reduction="sum" if self.reduction == "sum" else "mean",
        )


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Alpha-balanced focal cross-entropy between one-hot labels and predictions.

    Args:
        alpha: Class weight: a float, or one float per class. Defaults to `0.25`.
        gamma: Focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        label_smoothing: In `[0, 1]`, as for `CategoricalCrossentropy`.
        axis: The class axis. Defaults to `-1`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to
            `"categorical_focal_crossentropy"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = CategoricalFocalCrossentropy()
    >>> y_true = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> y_pred = torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(float(loss(y_true, y_pred)), 4)
    0.2332
    """

    def __init__(
        self,
        alpha: float | Sequence[float] = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
            alpha=alpha,
            gamma=gamma,
        )


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy between integer labels and predictions.

    Args:
        from_logits: Whether `y_pred` holds logits rather than probabilities.
            Defaults to `False`.
        ignore_class: A label to ignore (e.g. `-1` or a "void" class): its
            entries are left out of the loss and of the mean. Defaults to `None`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        axis: The class axis of `y_pred`. Defaults to `-1`.
        name: Name of the instance. Defaults to
            `"sparse_categorical_crossentropy"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = SparseCategoricalCrossentropy()
    >>> y_pred = torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(float(loss(torch.tensor([1, 2]), y_pred)), 4)
    1.1769
    """

    _integer_labels = True

    from_logits: bool
    ignore_class: int | None
    axis: int

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            # Keras 3 leaves `axis` out of its config, losing it on reload;
            # its `__init__` accepts the key, so files with it load there.
            axis=axis,
        )

    def _fused(self, y_true: Tensor, y_pred: Tensor) -> Tensor | None:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        target, output, _ = _sparse_inputs(y_true, y_pred, self.axis)
        if target.numel() == 0:
            return None
        if self.reduction == "sum":
            return _sparse_ce(
                target, output, self.from_logits, self.ignore_class, "sum"
            )
        if self.ignore_class is None:
            return _sparse_ce(target, output, self.from_logits, None, "mean")
        # Mean over the valid entries, and 0 (not NaN) when none is valid.
        total = _sparse_ce(target, output, self.from_logits, self.ignore_class, "sum")
        valid = (target != self.ignore_class).sum().clamp_min(1)
        return total / valid


class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    """Generalized cross-entropy, robust to noisy labels: `(1 - p**q) / q`.

    Args:
        q: Noise parameter in `(0, 1)`: near 0 behaves like cross-entropy,
            near 1 like mean absolute error. Defaults to `0.5`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to
            `"categorical_generalized_cross_entropy"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = CategoricalGeneralizedCrossEntropy()
    >>> y_pred = torch.tensor([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
    >>> round(float(loss(torch.tensor([0, 1, 0, 1]), y_pred)), 4)
    0.3599
    """

    _integer_labels = True

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_generalized_cross_entropy",
        dtype: Any = None,
    ) -> None:
        if not 0 < q < 1:
            raise ValueError(f"`q` must be in the interval (0, 1). Received: q={q}")
        super().__init__(
            categorical_generalized_cross_entropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            q=q,
        )
